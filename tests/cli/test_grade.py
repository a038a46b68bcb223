"""`smilescope grade` end to end: segments checked before the analysis, the items, subtotals,
ocular items, missing movements and the reason for the affected side (issue 12 item 20)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from smilescope.cli import app

from conftest import EXAMPLE

runner = CliRunner()


def _said(r) -> str:
    return " ".join(r.output.split())


@pytest.fixture
def no_analysis(monkeypatch):
    """Fail the test if the long analysis starts."""
    import smilescope.pipeline as pipeline

    def boom(*a, **k):
        raise AssertionError("the video was analysed before the segments were checked")

    monkeypatch.setattr(pipeline, "analyze", boom)


@pytest.mark.parametrize("seg,said", [
    ({"rest": [0, 0.6], "smile": [0.8, 60]}, "'smile' stretch [0.8, 60] s goes past the end of the video"),
    ({"rest": [0, 0.6], "grin": [1, 2]}, "'grin': unknown movement"),
    ({"rest": [2, 1]}, "after the start (2 s)"),
    ({"smile": [0, 1]}, "no 'rest' stretch"),
    ({"rest": [0, 0.8], "smile": [0.5, 2.4]}, "'rest' stretch [0, 0.8] s and the 'smile' stretch [0.5, 2.4] s overlap"),
])
def test_bad_segments_exit_2_before_the_analysis(tmp_path, no_analysis, seg, said):
    path = tmp_path / "seg.json"
    path.write_text(json.dumps(seg))
    r = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(path), "--out", str(tmp_path / "g")])
    assert r.exit_code == 2, r.output
    assert said in _said(r)
    assert "Traceback" not in r.output and not (tmp_path / "g").exists()


def test_grade_prints_items_subtotals_ocular_items_and_missing(tmp_path):
    seg = tmp_path / "seg.json"
    seg.write_text('{"rest": [0, 0.6], "smile": [0.8, 2.5]}')
    out = tmp_path / "g"
    r = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(seg), "--out", str(out)])
    assert r.exit_code == 0, r.output
    said = _said(r)
    doc = json.loads((out / "grading.json").read_text())
    assert "grade: analysing" in said  # progress while it runs (a bar on a terminal)
    assert "not clinically validated" in said
    for group in ("static", "dynamic", "synkinesis"):
        assert f"{group}:" in said and "subtotal" in said
    assert "total (mean of the items above)" in said
    assert "eye during smile" in said and "eye narrowing during smile: right" in said
    assert "not in the segments, so not scored: brow raise, eye closure, snarl, pucker" in said
    assert doc["missing"] == ["brow_raise", "eye_closure", "snarl", "pucker"]
    assert f"affected side: {doc['affected_side']}" in said and doc["affected_side_reason"].split(":")[0] in said
    assert set(doc["subtotals"]) == {"static", "dynamic", "synkinesis"} and doc["total"] is not None


@pytest.mark.parametrize("make,said", [
    (lambda p: p.write_text("my notes"), "is a file, not a folder"),
    (lambda p: (p.mkdir(), (p / "mine.txt").write_text("x")), "holds files smilescope did not write"),
    (lambda p: (p.mkdir(), (p / "photo.json").write_text("{}")), "holds a photo analysis"),
])
def test_a_refused_out_folder_exits_2_before_the_analysis(tmp_path, no_analysis, make, said):
    seg = tmp_path / "seg.json"
    seg.write_text('{"rest": [0, 0.6], "smile": [0.8, 2.5]}')
    out = tmp_path / "target"
    make(out)
    r = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(seg), "--out", str(out)])
    assert r.exit_code == 2 and said in _said(r), r.output


def test_a_movement_named_twice_is_refused_before_the_analysis(tmp_path, no_analysis):
    path = tmp_path / "seg.json"
    path.write_text('{"rest": [0, 0.6], "smile": [0.8, 1.5], "smile": [2, 2.5]}')  # JSON would keep only the last
    r = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(path), "--out", str(tmp_path / "g")])
    assert r.exit_code == 2 and "gives 'smile' twice" in _said(r), r.output


def test_a_negative_eye_narrowing_is_explained_and_where_it_comes_from_said():
    """grade printed "left -9 %" with no word on what a negative narrowing means, beside analyze's
    "12 %" for the same smile: the lines now say what it compares (the segments given) and what
    a negative value means, in the words the report uses."""
    from smilescope.cli.analyze import grade_lines
    from smilescope.report import words

    doc = {"label": "eFACE-style items", "affected_side": "none", "affected_side_basis": "measured",
           "affected_side_reason": "the sides differ by 1 mm", "static": {}, "dynamic": {}, "synkinesis": {},
           "subtotals": {"static": None, "dynamic": None, "synkinesis": None}, "total": None,
           "ocular_narrowing_pct": {"during_smile": {"right": 3.0, "left": -9.0}}, "blinks_excluded": 1,
           "missing": [], "too_short": []}
    said = " ".join(grade_lines(doc))
    assert "eye narrowing during smile: right 3 %, left -9 %" in said
    assert "compares the segments you gave with your rest segment" in said
    assert words.NEGATIVE_EYE_NARROWING.format(during="during smile") in said
    doc["ocular_narrowing_pct"] = {"during_smile": {"right": 3.0, "left": 9.0}}
    assert "negative eye narrowing" not in " ".join(grade_lines(doc))
