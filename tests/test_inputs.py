"""JSON inputs checked at the boundary (issue 12, items 8 and 23): every command that reads JSON
(`triage --answers/--analysis`, `report FILE/--answers`, `grade --segments`) exits 2 with the
place that is wrong and what to do, never a traceback; a UTF-8 byte-order mark is accepted."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.errors import BadInputError
from smilescope.inputs import MAX_DEPTH, json_depth, load_analysis, load_answers, load_segments

from conftest import ROOT

runner = CliRunner()
GOLDEN = ROOT / "tests" / "data" / "golden" / "liveportrait_d0.json"
DEEP = "[" * 100_000 + "]" * 100_000


def said(r) -> str:
    return re.sub(r"\s+", " ", r.output)


def no_crash(r) -> None:
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output


@pytest.fixture
def write(tmp_path):
    def _write(text, name="doc.json", *, bom=False):
        path = tmp_path / name
        text = text if isinstance(text, str) else json.dumps(text)
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
        return str(path)
    return _write


# --- the depth guard ----------------------------------------------------------------------------


@pytest.mark.parametrize("text, depth", [
    ("1", 0), ("{}", 1), ('{"a": [1, {"b": []}]}', 4), ('{"a": "[[[[{{{"}', 1), (r'["\"[[["]', 1),
    (DEEP, 100_000),
])
def test_json_depth_counts_brackets_outside_strings(text, depth):
    assert json_depth(text) == depth


@pytest.mark.parametrize("args", [
    ["triage", "--no-save", "--answers", "DEEP"],
    ["triage", "--no-save", "--answers", "GOOD", "--analysis", "DEEP"],
    ["report", "DEEP"],
    ["report", str(GOLDEN), "--answers", "DEEP"],
], ids=["triage-answers", "triage-analysis", "report-file", "report-answers"])
@pytest.mark.parametrize("deep", [DEEP, '{"a": ' * 50_000 + "1" + "}" * 50_000, '{"sudden_onset": ' + DEEP + "}"],
                         ids=["arrays", "objects", "in-a-value"])
def test_deeply_nested_json_exits_2_before_parsing(write, tmp_path, args, deep):
    paths = {"DEEP": write(deep, "deep.json"), "GOOD": write({}, "good.json")}
    r = runner.invoke(app, [paths.get(a, a) for a in args] + (["--out", str(tmp_path / "r.html")] if args[0] == "report" else []))
    no_crash(r)
    assert "nested too deeply" in said(r) and "deep.json" in said(r)


def test_a_document_at_the_depth_limit_is_parsed_and_one_past_it_is_not(write):
    at = write('{"a": ' + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "}")
    with pytest.raises(BadInputError, match="Invalid value for the answer 'a'|Unknown answer key 'a'"):
        load_answers(at)  # parsed: the schema speaks, not the depth guard
    past = write('{"a": ' + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "}")
    with pytest.raises(BadInputError, match="nested too deeply"):
        load_answers(past)


# --- hand-edited analysis.json ------------------------------------------------------------------


@pytest.mark.parametrize("block, value, where", [
    ("smile", "a smile", "smile"),
    ("shake", [None, None], "shake"),
    ("quality", [None], "quality"),
    ("video", "x", "video"),
    ("flags", [None, None], "flags.0"),
    ("flags", "head_tremor", "flags"),
    ("signals", [None], "signal"),
    ("peaks", {"mouth_corner_right_mm": [None]}, "peaks.mouth_corner_right_mm"),
])
@pytest.mark.parametrize("command", ["report", "triage"])
def test_a_hand_edited_analysis_with_a_block_of_the_wrong_shape_exits_2(write, tmp_path, block, value, where, command):
    doc = json.loads(GOLDEN.read_text())
    doc[block] = value
    path = write(doc, "analysis.json")
    args = (["report", path, "--out", str(tmp_path / "r.html")] if command == "report"
            else ["triage", "--no-save", "--answers", write({}, "a.json"), "--analysis", path])
    r = runner.invoke(app, args)
    no_crash(r)
    assert path in said(r) and where in said(r) and "smilescope analyze" in said(r)


def test_a_photo_analysis_given_for_a_video_analysis_is_named_as_such(write):
    path = write({"schema_version": 1, "photos": [{"path": "rest.jpg"}]}, "photo.json")
    with pytest.raises(BadInputError, match="is a photo analysis") as e:
        load_analysis(path)
    assert "smilescope analyze VIDEO" in e.value.hint


def test_load_analysis_reads_a_real_file_with_a_bom(write):
    path = write(GOLDEN.read_text(), "analysis.json", bom=True)
    assert load_analysis(path).video.fps == json.loads(GOLDEN.read_text())["video"]["fps"]


# --- byte-order mark, encodings -----------------------------------------------------------------


def test_every_json_input_accepts_a_utf8_bom(write, tmp_path):
    answers = write({"severe_headache": True}, "answers.json", bom=True)
    analysis = write(GOLDEN.read_text(), "analysis.json", bom=True)
    r = runner.invoke(app, ["triage", "--no-save", "--json", "--answers", answers, "--analysis", analysis])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"
    r = runner.invoke(app, ["report", analysis, "--answers", answers, "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "r.html").is_file()
    assert load_segments(write({"rest": [0, 2]}, "seg.json", bom=True)) == {"rest": (0, 2)}


def test_not_utf8_exits_2_with_what_to_do(tmp_path):
    path = tmp_path / "answers.json"
    path.write_bytes('{"sudden_onset": false, "x": "caf\u00e9"}'.encode("latin-1"))
    r = runner.invoke(app, ["triage", "--no-save", "--answers", str(path)])
    no_crash(r)
    assert "not UTF-8" in said(r) and "Save it as UTF-8" in said(r)


# --- grade --segments ---------------------------------------------------------------------------


@pytest.mark.parametrize("doc, where", [
    ({"rest": "abc"}, "rest"),
    ({"rest": [None, None]}, "rest.0"),
    ({"rest": [0, 2], "smile": [5, 4]}, "smile: the end (4 s) must come after the start (5 s)"),
    ({"rest": [0, "2"]}, "rest.1"),
    ({"rest": [0, True]}, "rest.1"),
    ({"rest": [-1, 2]}, "rest.0"),
    ({"rest": [0, 1, 2]}, "rest"),
    ({"rest": [0, 2], "smiel": [3, 4]}, "'smiel': unknown movement"),
    ([[0, 2]], "must be a JSON object"),
])
def test_bad_segments_name_the_entry(write, doc, where):
    with pytest.raises(BadInputError, match=re.escape(where)):
        load_segments(write(doc), names=("rest", "smile"))


def test_segments_past_the_end_of_the_video_are_refused(write):
    path = write({"rest": [0, 2], "smile": [31, 35]})
    with pytest.raises(BadInputError, match=r"'smile': starts at 31 s, after the end of the video \(30.0 s\)"):
        load_segments(path, duration_s=30.0)
    assert load_segments(path, duration_s=40.0) == {"rest": (0, 2), "smile": (31, 35)}


@pytest.mark.parametrize("text, said_", [
    (DEEP, "nested too deeply"),
    ('{"rest": [null, null]}', "rest.0"),
    ('{"rest": [0, 2], "frown": [3, 4]}', "'frown': unknown movement"),
    ("{not json", "not valid JSON"),
])
def test_grade_checks_the_segments_before_reading_the_video(write, tmp_path, monkeypatch, text, said_):
    pipeline = pytest.importorskip("smilescope.pipeline")

    def analyse(*a, **k):
        raise AssertionError("the video was analysed before the segments were checked")

    monkeypatch.setattr(pipeline, "analyze", analyse)
    r = runner.invoke(app, ["grade", str(tmp_path / "video.mp4"), "--segments", write(text, "seg.json"),
                            "--out", str(tmp_path / "out")])
    no_crash(r)
    assert said_ in said(r) and "seg.json" in said(r)
