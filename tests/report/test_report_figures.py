"""Figures as PNG bytes from a real analysis; the file forms write the same bytes whole."""

from __future__ import annotations

import json

import pytest

from smilescope.report import figures
from smilescope.signals import SignalTable

from report_data import analysis_folder

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = analysis_folder(tmp_path_factory)
    doc = json.loads((folder / "analysis.json").read_text())
    table = SignalTable.read_csv(folder / "signals.csv")
    return doc, table


def test_each_figure_is_png_bytes_and_its_file_form_writes_them(drawn, tmp_path):
    doc, table = drawn
    for png_of, to_file, block in [(figures.smile_png, figures.smile_figure, doc["smile"]),
                                   (figures.spectrum_png, figures.spectrum_figure, doc["shake"]),
                                   (figures.twitch_raster_png, figures.twitch_raster_figure, doc["shake"])]:
        png = png_of(table, block)
        assert png.startswith(PNG_MAGIC) and len(png) > 2000
        path = to_file(table, block, tmp_path / f"{png_of.__name__}.png")
        assert path.read_bytes()[:8] == PNG_MAGIC
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".png"] * 3  # no temporary file left
