"""``smilescope photo`` as a user runs it."""

from __future__ import annotations

import json
import os

from typer.testing import CliRunner

from smilescope.cli import app

from conftest import FACES

runner = CliRunner()


def test_photo_writes_photo_json_and_an_annotated_picture(tmp_path):
    out = tmp_path / "res"
    # the same picture as rest and as "smile": nothing moved, so the pair must read (almost) no movement
    r = runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(FACES / "yale01.jpg"), "--expression", "rest",
                            "--expression", "smile", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "photo.json").read_text())
    assert doc["schema_version"] == 1 and len(doc["photos"]) == 2
    p = doc["photos"][0]
    assert p["expression"] == "rest" and p["affected_side"] in ("left", "right", "none", "unknown") and p["why"]
    assert set(p["static"]["mouth_corner_below_eyes_mm"]) == {"right", "left"}
    assert all(v < 0.3 for v in doc["photos"][1]["dynamic"]["excursion_mm"].values())
    png = (out / p["annotated"]).read_bytes()
    assert png.startswith(b"\x89PNG")
    assert oct(out.stat().st_mode & 0o777) == "0o700" and oct((out / "photo.json").stat().st_mode & 0o777) == "0o600"
    assert "not a diagnosis" in r.output
    # a second run into the same folder replaces the set (the folder holds only what photo wrote)
    again = runner.invoke(app, ["photo", str(FACES / "yale05.jpg"), "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert sorted(p.name for p in out.iterdir()) == ["01_yale05_annotated.png", "photo.json"]


def test_bad_photos_exit_2_and_write_nothing(tmp_path):
    txt = tmp_path / "notes.jpg"
    txt.write_text("not a picture")
    for args in ([str(txt)], [str(tmp_path / "missing.jpg")], [str(FACES / "yale01.jpg"), "--expression", "wink"]):
        r = runner.invoke(app, ["photo", *args, "--out", str(tmp_path / "o")])
        assert r.exit_code == 2, r.output
        assert "Traceback" not in r.output and not (tmp_path / "o").exists()


def test_report_of_a_photo_analysis_has_the_annotated_pictures(tmp_path):
    out = tmp_path / "res"
    assert runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(FACES / "yale01.jpg"), "-e", "rest", "-e", "smile",
                               "--out", str(out)]).exit_code == 0
    r = runner.invoke(app, ["report", str(out / "photo.json")])
    assert r.exit_code == 0, r.output
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 2  # both annotated pictures, inside the page
    assert "Mouth corner below the eye line" in html and "Compared with the rest photo" in html
    assert "Nasolabial fold, visible length" in html
    assert "not a diagnosis" in html and "not clinically validated" in html
    assert "http://" not in html and "https://" not in html
    flat = " ".join(html.split())
    # the rules' sources by title, and the item named (a person read "affected: right" beside "item 98")
    assert "Determining the threshold for asymmetry detection in facial expressions" in flat and "The eFACE" in flat
    from smilescope.report.photo_html import photo_report_html

    doc = json.loads((out / "photo.json").read_text())
    doc["photos"][1]["dynamic"]["eface_style_item"] = 80.0  # the same picture twice moves nothing: an item for the words
    assert "eFACE-style item for the smile (mouth corner movement): 80 of 100" in " ".join(photo_report_html(doc, out).split())
    bad = tmp_path / "photo.json"
    bad.write_text('{"photos": "nope"}')
    r = runner.invoke(app, ["report", str(bad)])
    assert r.exit_code == 2 and "photo analysis" in r.output


def test_the_photo_report_gives_the_scale_warning_once(tmp_path):
    """An inter-canthal scale is explained with the scale; the same sentence is not repeated
    among the photo's warnings (it was, starting in lower case)."""
    from smilescope.report.photo_html import photo_report_html

    why = "an eye is closed or nearly so: scale from the inter-canthal width"
    doc = {"schema_version": 1, "photos": [{"path": "p.jpg", "expression": "rest", "affected_side": "none",
                                              "confidence": "none", "why": "", "static": {},
                                              "scale": {"source": "intercanthal", "why": why},
                                              "warnings": [why, "two faces in the photo: the largest was measured"]}]}
    html = photo_report_html(doc, tmp_path)
    assert html.count(why) == 1 and "Two faces in the photo" in html


def test_the_photo_report_says_why_a_fold_was_not_measured(tmp_path):
    """A side whose nasolabial fold has no value shows "—" in the table and the reason below it."""
    from smilescope.report.photo_html import photo_report_html

    folds = {"right": {"contrast": 0.05, "visible_mm": 20.0, "visible": True, "why": "a line 5 % darker"},
             "left": {"contrast": None, "visible_mm": None, "visible": None, "why": "the cheek is burnt out (grey 250)"}}
    doc = {"schema_version": 1, "photos": [{"path": "p.jpg", "expression": "rest", "affected_side": "none",
                                              "confidence": "none", "why": "", "scale": {"source": "iris", "why": "x"},
                                              "static": {"nasolabial_fold_contrast": {"right": 0.05, "left": None}},
                                              "nasolabial_folds": folds}]}
    html = photo_report_html(doc, tmp_path)
    assert "Left nasolabial fold not measured: the cheek is burnt out (grey 250)." in html
    assert "Right nasolabial fold not measured" not in html


def test_the_photo_report_says_why_a_movement_was_not_given(tmp_path):
    from smilescope.report.photo_html import photo_report_html

    why = "the head is turned 15 deg to the side in this photo (15 deg from the rest photo; at most 10 deg)"
    entry = {"path": "s.jpg", "expression": "smile", "affected_side": "unknown", "confidence": "none", "why": "turned",
             "static": {}, "scale": {"source": "iris", "why": "x"},
             "dynamic": {"excursion_mm": {"right": None, "left": None}, "brow_lift_mm": {"right": 0.1, "left": 0.2},
                         "eye_closure": {"right": 0.0, "left": 0.0}, "eface_style_item": None, "not_judged": why}}
    html = photo_report_html({"schema_version": 1, "photos": [entry]}, tmp_path)
    assert "The head is turned 15 deg to the side in this photo" in html and "eFACE-style item for this movement" not in html


def test_the_photo_tables_add_up_as_shown(tmp_path):
    """Right - left is taken from the values as shown (58.1 and 57.2: +0.9, it read +0.8), no
    "-0.0", a difference of percentages in points, and a fold under the threshold of seeing it
    says "faint" beside its length."""
    from smilescope.report.photo_html import _rows

    rows = {r[0]: r[1:] for r in _rows({
        "mouth_corner_below_eyes_mm": {"right": 58.14, "left": 57.24},
        "brow_above_eyes_mm": {"right": 20.01, "left": 20.04},
        "nasolabial_fold_contrast": {"right": 0.051, "left": 0.0504},
        "nasolabial_fold_visible_mm": {"right": 2.5, "left": 14.0},
        "nasolabial_fold_visible": {"right": False, "left": True}})}
    assert rows["Mouth corner below the eye line"] == ("58.1 mm", "57.2 mm", "+0.9 mm")
    assert rows["Brow above the eye line"][2] == "0.0 mm"
    assert rows["Nasolabial fold, darker than the cheek"] == ("5.1 %", "5.0 %", "+0.1 points")
    assert rows["Nasolabial fold, visible length"] == ("2.5 mm (faint)", "14.0 mm", "-11.5 mm")


def _photo_set(tmp_path):
    out = tmp_path / "res"
    r = runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(FACES / "yale05.jpg"), "-e", "rest", "-e", "smile",
                            "--out", str(out)])
    assert r.exit_code == 0, r.output
    return out


def test_report_never_writes_over_the_analysis_or_its_results(tmp_path):
    out = _photo_set(tmp_path)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for target in ("photo.json", before.keys() - {"photo.json"}):
        name = target if isinstance(target, str) else sorted(target)[0]
        r = runner.invoke(app, ["report", str(out / "photo.json"), "--out", str(out / name)])
        assert r.exit_code == 2 and "Traceback" not in r.output, r.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_photo_json_of_another_schema_or_shape_is_refused_by_name(tmp_path):
    out = _photo_set(tmp_path)
    doc = json.loads((out / "photo.json").read_text())
    for change, said in ((lambda d: d.update(schema_version=99), "schema_version 99"),
                         (lambda d: d["photos"][1]["dynamic"].update(excursion_mm=[1, 2]), "photos.1.dynamic.excursion_mm"),
                         (lambda d: d["photos"][0].update(affected_side=5), "photos.0.affected_side"),
                         (lambda d: d["photos"][0].update(expression="grin"), "photos.0.expression")):
        edited = json.loads(json.dumps(doc))
        change(edited)
        (out / "edited.json").write_text(json.dumps(edited))
        r = runner.invoke(app, ["report", str(out / "edited.json"), "--out", str(tmp_path / "r.html")])
        assert r.exit_code == 2 and said in r.output.replace("\n", ""), r.output


def test_answers_with_a_photo_report_point_to_triage(tmp_path):
    out = _photo_set(tmp_path)
    answers = tmp_path / "answers.json"
    answers.write_text('{"sudden_onset": true}')
    r = runner.invoke(app, ["report", str(out / "photo.json"), "--answers", str(answers)])
    assert r.exit_code == 2 and "smilescope triage" in r.output and not (out / "report.html").exists()


def test_the_photo_report_goes_on_without_a_picture_it_cannot_read(tmp_path, monkeypatch):
    from pathlib import Path

    from smilescope.report.photo_html import photo_report_html

    out = _photo_set(tmp_path)
    doc = json.loads((out / "photo.json").read_text())
    real = Path.read_bytes

    def locked(self):
        if self.name.endswith("_annotated.png") and self.name.startswith("01_"):
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", locked)
    html = photo_report_html(doc, out)
    assert html.count('src="data:image/png;base64,') == 1 and "could not be read (Permission denied)" in html


def test_a_photo_name_that_was_not_utf8_is_written_in_the_report(tmp_path):
    out = _photo_set(tmp_path)
    doc = json.loads((out / "photo.json").read_text())
    doc["photos"][0]["path"] = "bad\udcff\udcfename.jpg"  # what a non-UTF-8 file name reads back as
    (out / "photo.json").write_text(json.dumps(doc))
    r = runner.invoke(app, ["report", str(out / "photo.json")])
    assert r.exit_code == 0, r.output
    assert "bad\ufffd\ufffdname.jpg" in (out / "report.html").read_text(encoding="utf-8")


def test_a_photo_with_a_very_long_name_gets_a_shorter_picture_name(tmp_path):
    import shutil

    long_photo = tmp_path / ("a" * 240 + ".jpg")
    shutil.copy(FACES / "yale01.jpg", long_photo)
    r = runner.invoke(app, ["photo", str(long_photo), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    (png,) = (tmp_path / "o").glob("*_annotated.png")
    assert len(png.name.encode()) <= 255 and png.name.startswith("01_aaaa")


def test_an_expression_given_as_a_photo_name_gets_the_right_way_to_say_it(tmp_path):
    """`--expression rest smile` takes "smile" for a photo: "No photo found at 'smile'" did not
    say that -e goes before each expression."""
    from typer.testing import CliRunner

    from smilescope.cli import app

    r = CliRunner().invoke(app, ["photo", str(FACES / "yale01.jpg"), "--expression", "rest", "smile",
                                 "--out", str(tmp_path / "o")])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "'smile' is an expression, not a photo" in said and "-e rest -e smile" in said, said
    assert not (tmp_path / "o").exists()


def test_a_photo_pair_prints_the_movement_from_the_rest_photo(tmp_path):
    """The terminal gave each photo's static measures but never the comparison with the rest photo
    (it was only in photo.json); and "none (none)" for a side not named. The same picture as rest
    and smile moved nothing, and says why no item is given."""
    import shutil

    shutil.copy(FACES / "yale01.jpg", tmp_path / "smile.jpg")
    r = runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(tmp_path / "smile.jpg"), "-e", "rest", "-e", "smile",
                            "--out", str(tmp_path / "out")])
    said = " ".join(r.output.split())
    assert r.exit_code == 0, r.output
    assert "from the rest photo: mouth corners moved right 0.0 mm, left 0.0 mm" in said
    assert "no eFACE-style item: neither side moved" in said and "(none)" not in said


def test_the_movement_line_gives_what_the_pair_measured_and_what_it_did_not():
    from smilescope.cli.photo import movement_line

    dyn = {"excursion_mm": {"right": 3.04, "left": 6.0}, "brow_lift_mm": {"right": 0.1, "left": None},
           "eye_closure": {"right": 0.5, "left": 1.0}, "eface_style_item": 50.7,
           "eface_style_label": "eFACE-style, not clinically validated"}
    line = movement_line(dyn, "smile")
    assert line.startswith("from the rest photo: mouth corners moved right 3.0 mm, left 6.0 mm; brows: right rose 0.1 mm, "
                           "left not given; eFACE-style item for the smile (mouth corner movement) 51 of 100 "
                           "(eFACE-style, not clinically validated)")
    lowered = movement_line({**dyn, "brow_lift_mm": {"right": -2.2, "left": 0.0}}, "smile")
    assert "brows: right lowered 2.2 mm, left rose 0.0 mm" in lowered  # not "rose -2.2 mm"
    assert "eyes closed right 50 %, left 100 % of their opening" in movement_line(dyn, "eye_closure")
    assert movement_line({**dyn, "not_judged": "the head is turned"}, "smile").endswith("Not given: the head is turned.")


_STOP_AT_IMPORT = """
import importlib.abc, os, signal, sys
target, signum = sys.argv[1], getattr(signal, sys.argv[2])
class Stop(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target_=None):
        if name == target:  # the signal arrives just as this module starts to load
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signum)
        return None
sys.meta_path.insert(0, Stop())
sys.argv = ["smilescope", *sys.argv[3:]]
from smilescope.cli import main  # what the console script does
main()
"""


import pytest  # noqa: E402


@pytest.mark.parametrize("module,signame", [
    ("numpy._core._multiarray_umath", "SIGINT"),  # NumPy turns it into "numpy._core.multiarray failed to import"
    ("mediapipe", "SIGINT"),
    ("mediapipe", "SIGTERM"),  # `kill`: as Ctrl-C, not a silent death halfway
])
def test_a_photo_run_stopped_while_it_loads_says_interrupted_and_writes_nothing(tmp_path, module, signame):
    """Ctrl-C 0.3 s into `smilescope photo` gave "internal error: ImportError ... This is a bug"
    (exit 1); SIGTERM ended it without a word. Both now say "interrupted", exit 130, write nothing."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    r = subprocess.run([sys.executable, "-c", _STOP_AT_IMPORT, module, signame, "photo", str(FACES / "yale01.jpg"),
                        "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 130, r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("interrupted") and "internal error" not in r.stderr
    assert not (tmp_path / "o").exists() and not list(tmp_path.glob(".o*"))


def test_a_damaged_photo_json_is_refused_naming_the_field_and_a_missing_picture_is_said(tmp_path):
    """NaN, Infinity and absurd numbers went into the report ("nan of 100", "inf mm"); a version
    given as "1" or true was taken; a photo.json copied without its pictures gave a page without
    them and no word."""
    out = tmp_path / "res"
    assert runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(FACES / "yale01.jpg"), "-e", "rest", "-e", "smile",
                               "--out", str(out)]).exit_code == 0
    text = (out / "photo.json").read_text()

    def damaged_with(change) -> str:
        doc = json.loads(text)
        change(doc)
        return json.dumps(doc)  # NaN and Infinity written as JSON readers accept them

    cases = ((lambda d: d["photos"][1]["dynamic"].update(eface_style_item=float("nan")), "eface_style_item"),
             (lambda d: d["photos"][1]["dynamic"].update(eface_style_item=1e300), "eface_style_item"),
             (lambda d: d["photos"][0]["static"].update(mouth_corner_difference_mm=float("inf")), "mouth_corner_difference_mm"),
             (lambda d: d["photos"][1]["dynamic"]["excursion_mm"].update(left=float("-inf")), "excursion_mm"),
             (lambda d: d.update(schema_version="1"), "schema_version"),
             (lambda d: d.update(schema_version=True), "schema_version"))
    for change, field in cases:
        damaged = tmp_path / "damaged.json"
        damaged.write_text(damaged_with(change))
        r = runner.invoke(app, ["report", str(damaged), "--out", str(tmp_path / "r.html")])
        assert r.exit_code == 2 and field in " ".join(r.output.split()), r.output
        assert not (tmp_path / "r.html").exists()
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "photo.json").write_text(text)
    r = runner.invoke(app, ["report", str(alone / "photo.json")])
    assert r.exit_code == 0, r.output
    html = " ".join((alone / "report.html").read_text().split())
    assert "is not beside photo.json, so it is not shown" in html


def test_an_unreadable_photo_json_is_told_how_to_get_a_photo_analysis(tmp_path):
    for content in (b"", b'{"photos": [', b"\xff\xfe\x00"):
        bad = tmp_path / "photo.json"
        bad.write_bytes(content)
        r = runner.invoke(app, ["report", str(bad)])
        said = " ".join(r.output.split())
        assert r.exit_code == 2 and "smilescope photo" in said and "smilescope analyze" not in said, said


@pytest.mark.parametrize("point,written", [("before-swap", False), ("after-swap", True)])
def test_ctrl_c_says_whether_the_results_were_written(tmp_path, monkeypatch, point, written):
    """Ctrl-C right after the new set was put in place said "interrupted; nothing was written"
    while --out held the new results (and the old set could be left half-deleted beside it)."""
    import smilescope.output as o

    out = tmp_path / "res"
    assert runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def checkpoint(p):
        if p == point:
            raise KeyboardInterrupt

    monkeypatch.setattr(o, "_checkpoint", checkpoint)
    r = runner.invoke(app, ["photo", str(FACES / "yale05.jpg"), "--out", str(out)])
    assert r.exit_code == 130, r.output
    said = " ".join(r.output.split())
    if written:
        assert f"the results were written to {out}" in said and "nothing was written" not in said
        assert {p.name for p in out.iterdir()} == {"photo.json", "01_yale05_annotated.png"}
    else:
        assert "nothing was written" in said
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".res.")]  # no set left beside it


def test_a_second_photo_of_the_same_name_says_it_replaced_the_first_and_a_side_named_warns_of_stroke(tmp_path):
    """photo a/rest.jpg then photo b/rest.jpg (another person) both went to out/rest and the second
    replaced the first without a word; a side named came with no word on sudden weakness."""
    for sub, face in (("a", "yale01.jpg"), ("b", "yale05.jpg")):
        (tmp_path / sub).mkdir()
        (tmp_path / sub / "rest.jpg").write_bytes((FACES / face).read_bytes())
    first = runner.invoke(app, ["photo", str(tmp_path / "a" / "rest.jpg"), "--out", str(tmp_path / "out")])
    assert first.exit_code == 0 and "held the analysis" not in first.output
    again = runner.invoke(app, ["photo", str(tmp_path / "a" / "rest.jpg"), "--out", str(tmp_path / "out")])
    assert again.exit_code == 0 and "held the analysis" not in again.output  # the same photo again: nothing to say
    other = runner.invoke(app, ["photo", str(tmp_path / "b" / "rest.jpg"), "--out", str(tmp_path / "out")])
    said = " ".join(other.output.split())
    assert other.exit_code == 0 and "held the analysis of rest.jpg; it was replaced" in said and "--out" in said


def test_a_named_side_comes_with_the_stroke_warning(tmp_path):
    """A central (stroke-type) palsy photo got "affected: right, high confidence" and not a word
    on sudden weakness; a face with no side named gets no alarm."""
    from conftest import SHARED

    photo = SHARED / "images" / "palda" / "central" / "image0081.jpg"
    if not photo.exists():
        pytest.skip(f"the shared Palda photos are not at {photo.parent}")
    named = runner.invoke(app, ["photo", str(photo), "--out", str(tmp_path / "a")])
    doc = json.loads((tmp_path / "a" / "photo.json").read_text())
    assert named.exit_code == 0 and doc["photos"][0]["affected_side"] in ("left", "right")
    said = " ".join(named.output.split())
    assert "call emergency services now: it can be a stroke" in said
    healthy = runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), "--out", str(tmp_path / "b")])
    assert healthy.exit_code == 0 and "stroke" not in healthy.output
