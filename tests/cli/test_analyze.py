"""`smilescope analyze` and `grade` end to end (and the app itself): outputs, exit codes and messages for bad input."""

from __future__ import annotations

import json

import av
import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from smilescope import __version__
from smilescope.testing import synth
from smilescope.cli import app, main

from conftest import FACES

runner = CliRunner()


def _write_video(path, frames, fps=30):
    with av.open(str(path), "w") as out:
        st = out.add_stream("libx264", rate=fps)
        st.height, st.width = frames[0].shape[:2]
        st.pix_fmt = "yuv420p"
        for f in frames:
            for p in st.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                out.mux(p)
        for p in st.encode():
            out.mux(p)
    return path


@pytest.fixture(scope="module")
def face():
    return synth.load_face(FACES / "yale01.jpg")


@pytest.fixture(scope="module")
def still_video(tmp_path_factory, face):
    path = tmp_path_factory.mktemp("cli") / "still.mp4"
    synth.render(path, face=face, fps=30, duration_s=1.5, write_truth=False)
    return path


def test_version_and_help():
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and __version__ in r.stdout
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "analyze" in r.stdout
    r = runner.invoke(app, ["analyze", "--help"])
    assert r.exit_code == 0 and "--out" in r.stdout and "signals.csv" in r.stdout


def test_analyze_writes_the_contract(tmp_path, still_video):
    out = tmp_path / "res"
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["schema_version"] == 1
    for key in ("path", "fps", "frames", "duration_s", "width", "height"):
        assert key in doc["video"]
    for key in ("face_frames_ratio", "mm_per_px", "iris_mm", "noise_floor_mm", "warnings"):
        assert key in doc["quality"]
    for key in ("head_motion", "smile", "shake", "synkinesis", "flags"):
        assert key in doc
    assert doc["video"]["frames"] == 45 and doc["video"]["width"] == 480
    assert doc["quality"]["iris_mm"] == 11.7
    rows = (out / "signals.csv").read_text().splitlines()
    assert len(rows) == 1 + 45
    header = rows[0].split(",")
    assert header[:3] == ["frame", "t_s", "valid"]
    assert "mouth_corner_left_x_mm" in header and "head_roll_deg" in header
    # nothing half-written is left behind; figures only on request
    assert sorted(p.name for p in out.iterdir()) == ["analysis.json", "signals.csv"]
    assert "not a diagnosis" in r.stdout
    # the summary went to the history (the test's private database), without frames or signals
    from smilescope.store import Store

    with Store() as store:
        assert len(store.history()) == 1
        assert store.last_analysis()["video"]["frames"] == 45
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(out), "--no-save", "-q"])
    assert r.exit_code == 0
    with Store() as store:
        assert len(store.history()) == 1


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda d: d / "missing.mp4", "No file or folder found.*Check the spelling"),
        (lambda d: (d / "notes.mp4").write_text("hello") and d / "notes.mp4", "video"),
        (lambda d: (d / "empty.mov").write_bytes(b"") or d / "empty.mov", "empty|video"),
    ],
)
def test_bad_paths_exit_2_with_a_message(tmp_path, make, match):
    path = make(tmp_path)
    r = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    import re

    assert re.search(match, r.output, re.I | re.S), r.output
    assert not (tmp_path / "o").exists()


def test_no_face_exit_2(tmp_path):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (240, 320, 3), dtype=np.uint8) for _ in range(10)]
    path = _write_video(tmp_path / "noise.mp4", frames)
    r = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "No face" in r.output
    assert not (tmp_path / "o").exists()


def test_face_too_small_exit_2(tmp_path, face):
    small = cv2.resize(face.rgb, (144, 144), interpolation=cv2.INTER_AREA)  # face ~75 px wide
    canvas = np.full((192, 192, 3), 128, np.uint8)
    canvas[24:168, 24:168] = small
    path = _write_video(tmp_path / "small.mp4", [canvas] * 15)
    r = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "too small" in r.output and "closer" in r.output


def test_two_faces_warn_and_keep_the_largest(tmp_path, face):
    big = face.rgb
    small = cv2.resize(big, (320, 320), interpolation=cv2.INTER_AREA)
    canvas = np.full((480, 832, 3), 128, np.uint8)
    canvas[:, :480] = big
    canvas[80:400, 496:816] = small
    path = _write_video(tmp_path / "two.mp4", [canvas] * 20)
    out = tmp_path / "o"
    r = runner.invoke(app, ["analyze", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "analysis.json").read_text())
    assert any("more than one face" in w.lower() for w in doc["quality"]["warnings"])
    # the larger face (about 250 px wide) is the one measured
    assert doc["quality"]["face_width_px"] > 200


def test_internal_error_exits_1(monkeypatch, tmp_path, still_video, capsys):
    import smilescope.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("synthetic failure")

    monkeypatch.setattr(pipeline, "analyze", boom)
    monkeypatch.setattr("sys.argv", ["smilescope", "analyze", str(still_video), "--out", str(tmp_path / "o")])
    with pytest.raises(SystemExit) as e:
        main()
    assert e.value.code == 1
    assert "internal error" in capsys.readouterr().err


def test_face_in_few_frames_is_a_warning_not_a_failure(tmp_path, face):
    blank = np.full_like(face.rgb, 90)
    path = _write_video(tmp_path / "brief.mp4", [face.rgb] * 12 + [blank] * 24)
    out = tmp_path / "o"
    r = runner.invoke(app, ["analyze", str(path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "analysis.json").read_text())
    assert doc["quality"]["face_frames_ratio"] == pytest.approx(12 / 36)
    assert any("only 33%" in w for w in doc["quality"]["warnings"])
    assert "only 33%" in r.output  # also shown in the summary


def test_truncated_video_exit_2_and_nothing_written(tmp_path, still_video):
    cut = tmp_path / "cut.mp4"
    data = still_video.read_bytes()
    cut.write_bytes(data[: len(data) * 6 // 10])  # index (moov) at the end is lost
    r = runner.invoke(app, ["analyze", str(cut), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "incomplete" in r.output.lower() or "truncated" in r.output.lower(), r.output
    assert not (tmp_path / "o").exists()


def test_grade_writes_eface_style_items(tmp_path):
    from conftest import EXAMPLE

    seg = tmp_path / "seg.json"
    seg.write_text('{"rest": [0, 0.6], "smile": [0.8, 2.5]}')
    out = tmp_path / "g"
    r = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(seg), "--out", str(out)])
    assert r.exit_code == 0, r.output
    doc = json.loads((out / "grading.json").read_text())
    assert doc["label"] == "eFACE-style, not clinically validated"
    assert 0 < doc["dynamic"]["smile"] <= 100
    bad = runner.invoke(app, ["grade", str(EXAMPLE), "--segments", str(tmp_path / "none.json"), "--out", str(out)])
    assert bad.exit_code == 2 and "segments file" in bad.output


def test_figures_on_request_and_stale_ones_removed(tmp_path, still_video):
    out = tmp_path / "res"
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(out), "--figures", "--no-save"])
    assert r.exit_code == 0, r.output
    names = ["analysis.json", "signals.csv", "smile.png", "spectrum.png", "twitches.png"]
    assert sorted(p.name for p in out.iterdir()) == names
    for png in names[2:]:
        assert (out / png).read_bytes().startswith(b"\x89PNG")
    # a later run without figures leaves none of the earlier run's behind
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(out), "--no-save"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in out.iterdir()) == names[:2]
