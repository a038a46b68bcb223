"""Figures as PNG bytes from the typed blocks of a real analysis."""

from __future__ import annotations

import dataclasses
import json

import pytest

from smilescope.report import figures
from smilescope.results import Analysis
from smilescope.signals import SignalTable

from report_data import analysis_folder

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    folder = analysis_folder(tmp_path_factory)
    analysis = Analysis.from_dict(json.loads((folder / "analysis.json").read_text()))
    table = SignalTable.read_csv(folder / "signals.csv")
    return analysis, table


def test_each_figure_is_png_bytes(drawn):
    a, table = drawn
    for png in (figures.smile_png(table, a.smile), figures.spectrum_png(table, a.shake),
                figures.twitch_raster_png(table, a.twitches, blinks=a.blinks), figures.twitch_raster_png(table, a.twitches)):
        assert png.startswith(PNG_MAGIC) and len(png) > 2000


def test_figures_draw_around_missing_times(drawn):
    """A read-back block may hold None for an unmeasured time or size: it is left out, not a crash."""
    a, table = drawn
    smile = dataclasses.replace(a.smile, episodes=[dataclasses.replace(e, start_s=None) for e in a.smile.episodes])
    twitches = dataclasses.replace(a.twitches, twitches=[dataclasses.replace(t, peak_mm=None) for t in a.twitches.twitches])
    assert figures.smile_png(table, smile).startswith(PNG_MAGIC)
    assert figures.twitch_raster_png(table, twitches).startswith(PNG_MAGIC)
