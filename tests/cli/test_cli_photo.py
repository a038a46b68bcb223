"""``smilescope photo`` as a user runs it."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from smilescope.cli import app

from conftest import FACES

runner = CliRunner()


def test_photo_writes_photo_json_and_an_annotated_picture(tmp_path):
    out = tmp_path / "res"
    r = runner.invoke(app, ["photo", str(FACES / "yale01.jpg"), str(FACES / "yale05.jpg"), "--expression", "rest",
                            "--expression", "smile", "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "photo.json").read_text())
    assert doc["schema_version"] == 1 and len(doc["photos"]) == 2
    p = doc["photos"][0]
    assert p["expression"] == "rest" and p["affected_side"] in ("left", "right", "none", "unknown") and p["why"]
    assert set(p["static"]["mouth_corner_below_eyes_mm"]) == {"right", "left"}
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
