"""PDF and screenshot of the report in headless Chromium (skipped where no Chromium is installed)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.report.browser import find_chromium, html_to_pdf, screenshot
from smilescope.report.html import render_html
from smilescope.results import Analysis

from report_data import analysis_folder

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="no Chromium found (/usr/bin/chromium, chromium, chromium-browser or "
                                       "google-chrome on PATH); install it, e.g. `apt-get install chromium`")


@pytest.fixture(scope="module")
def report_html(tmp_path_factory):
    import json

    from smilescope.signals import SignalTable

    folder = analysis_folder(tmp_path_factory)
    doc = json.loads((folder / "analysis.json").read_text())
    path = tmp_path_factory.mktemp("html") / "report.html"
    path.write_text(render_html(Analysis.from_dict(doc), table=SignalTable.read_csv(folder / "signals.csv")))
    return path


def test_pdf(report_html, tmp_path):
    pdf = html_to_pdf(report_html, tmp_path / "r.pdf")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 1024
    assert [p.name for p in tmp_path.iterdir()] == ["r.pdf"]  # no temporary file left


def test_screenshot_is_not_blank(report_html, tmp_path):
    import matplotlib.image as mpimg

    png = screenshot(report_html, tmp_path / "shot.png", width=1000, height=1600)
    img = mpimg.imread(png)
    assert img.shape[:2] == (1600, 1000)
    gray = img[..., :3].mean(axis=2)
    assert gray.std() > 0.05  # text, tables and figures, not an empty page
    assert (gray < 0.3).mean() > 0.005  # some dark ink (text)


def test_cli_pdf(tmp_path_factory, tmp_path):
    import shutil

    folder = tmp_path / "run"
    shutil.copytree(analysis_folder(tmp_path_factory), folder)
    r = CliRunner().invoke(app, ["report", str(folder / "analysis.json"), "--pdf"])
    assert r.exit_code == 0, r.output
    assert (folder / "report.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / "report.html").is_file()
