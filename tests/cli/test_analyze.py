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
    assert doc["schema_version"] == 3
    for key in ("path", "fps", "frames", "duration_s", "width_px", "height_px"):
        assert key in doc["video"]
    for key in ("face_frames_ratio", "mm_per_px", "iris_mm", "noise_floor_mm", "warnings"):
        assert key in doc["quality"]
    for key in ("head_motion", "smile", "shake", "synkinesis", "flags"):
        assert key in doc
    assert doc["video"]["frames"] == 45 and doc["video"]["width_px"] == 480
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


# --------------------------------------------------------------------------- --out (issue 12, item 23)


def test_default_out_is_a_folder_per_video(tmp_path, monkeypatch, still_video):
    other = tmp_path / "other take.mp4"
    other.write_bytes(still_video.read_bytes())
    monkeypatch.chdir(tmp_path)
    for video in (still_video, other):
        r = runner.invoke(app, ["analyze", str(video), "--no-save", "-q"])
        assert r.exit_code == 0, r.output
    # two videos, two result sets: the second did not replace the first
    assert json.loads((tmp_path / "out" / "still" / "analysis.json").read_text())["video"]["path"] == str(still_video)
    assert json.loads((tmp_path / "out" / "other take" / "analysis.json").read_text())["video"]["path"] == str(other)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["other take", "still"]


def test_replacing_another_videos_results_is_said(tmp_path, still_video):
    from conftest import EXAMPLE

    out = tmp_path / "res"
    assert runner.invoke(app, ["analyze", str(EXAMPLE), "--out", str(out), "--no-save"]).exit_code == 0
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(out), "--no-save"])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "held the results of" in said and "d0.mp4" in said


def _no_analysis(monkeypatch):
    import smilescope.pipeline as pipeline

    def must_not_run(*a, **k):
        raise AssertionError("the analysis ran before --out was checked")

    monkeypatch.setattr(pipeline, "analyze", must_not_run)


def test_out_pointing_at_a_file_is_refused_before_the_analysis(tmp_path, monkeypatch, still_video):
    _no_analysis(monkeypatch)
    target = tmp_path / "results.json"
    target.write_text("mine")
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(target)])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert "is a file, not a folder" in said and "--out" in said
    assert target.read_text() == "mine"
    below = runner.invoke(app, ["analyze", str(still_video), "--out", str(target / "sub")])
    assert below.exit_code == 2 and "not a folder" in below.output


def test_out_holding_other_files_is_refused_and_they_are_kept(tmp_path, monkeypatch, still_video):
    _no_analysis(monkeypatch)
    folder = tmp_path / "Documents"
    folder.mkdir()
    (folder / "thesis.docx").write_text("years of work")
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(folder)])
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    assert "thesis.docx" in said and "did not write" in said
    assert sorted(p.name for p in folder.iterdir()) == ["thesis.docx"]


def test_symlink_loops_say_so(tmp_path, monkeypatch, still_video):
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    r = runner.invoke(app, ["analyze", str(loop), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "symbolic link loop" in " ".join(r.output.split()), r.output
    _no_analysis(monkeypatch)
    r = runner.invoke(app, ["analyze", str(still_video), "--out", str(loop / "res")])
    assert r.exit_code == 2 and "link loop" in " ".join(r.output.split()), r.output


# --------------------------------------------------------------------------- mirrored video (issue 12, item 12)


def test_mirrored_flips_sides_and_the_summary_says_which_convention(tmp_path, face):
    # the person's left corner moves 6 mm, their right 2 mm; as a selfie shows it, left and right swap
    clip = tmp_path / "smile.mp4"
    motions = synth.smile_motions(face, right_mm=2.0, left_mm=6.0, onset_s=0.5, rise_s=0.4, hold_s=0.8, fall_s=0.3)
    synth.render(clip, face=face, fps=30, duration_s=2.2, motions=motions, write_truth=False)
    docs, said = {}, {}
    for flag in ([], ["--mirrored"]):
        out = tmp_path / ("m" if flag else "plain")
        r = runner.invoke(app, ["analyze", str(clip), "--out", str(out), "--no-save", *flag])
        assert r.exit_code == 0, r.output
        docs[bool(flag)] = json.loads((out / "analysis.json").read_text())
        said[bool(flag)] = " ".join(r.stdout.split())
    assert (docs[False]["video"]["mirrored"], docs[False]["video"]["mirrored_by"]) == (False, "default")
    assert (docs[True]["video"]["mirrored"], docs[True]["video"]["mirrored_by"]) == (True, "option")
    assert "taken as not mirrored" in said[False] and "--mirrored" in said[False]
    assert "mirrored like a selfie (as you said)" in said[True]
    plain, flipped = docs[False]["peaks"], docs[True]["peaks"]
    assert plain["mouth_corner_left_mm"] > plain["mouth_corner_right_mm"] + 2
    # told it is a selfie, the clip is read as the mirror image of a person whose right side smiles more
    assert flipped["mouth_corner_right_mm"] > flipped["mouth_corner_left_mm"] + 2


# --------------------------------------------------------------------------- Ctrl-C while loading (issue 12, item 9)

_INTERRUPT_AT_IMPORT = """
import importlib.abc, os, signal, sys
target, how = sys.argv[1].split(":") if ":" in sys.argv[1] else (sys.argv[1], "SIGINT")
class Interrupt(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target_=None):
        if name == target:  # Ctrl-C (or kill) arrives just as this module starts to load
            sys.meta_path.remove(self)
            os.kill(os.getpid(), getattr(signal, how))
        return None
sys.meta_path.insert(0, Interrupt())
sys.argv = ["smilescope", *sys.argv[2:]]
from smilescope.cli import main  # what the console script does
main()
"""


# the last three load once the analysis has begun: MediaPipe's protobuf (a KeyboardInterrupt
# raised there was swallowed: a traceback, then the run went on, wrote its files and exited 0),
# and SciPy's, loaded by a thread beside MediaPipe (the same race could leave an import lock held:
# a hang)
@pytest.mark.parametrize("module", ["typer", "numpy", "pydantic", "rich.progress", "cv2",
                                    "google.protobuf.descriptor_pool", "mediapipe", "scipy.stats",
                                    # kill (SIGTERM) while the command module loads, a landmark process started
                                    "typer:SIGTERM", "numpy:SIGTERM"])
def test_ctrl_c_while_modules_load_says_interrupted(tmp_path, module):
    import os
    import subprocess
    import sys

    from conftest import EXAMPLE, ROOT

    r = subprocess.run([sys.executable, "-c", _INTERRUPT_AT_IMPORT, module, "analyze", str(EXAMPLE),
                        "--out", str(tmp_path / "o"), "--no-save"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert r.returncode == 130, r.stderr
    assert "interrupted" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


_INTERRUPT_INSIDE_IMPORT = _INTERRUPT_AT_IMPORT.replace(
    "            os.kill(os.getpid(), getattr(signal, how))\n",
    "            os.kill(os.getpid(), getattr(signal, how))\n"
    "            for _ in range(1000): pass  # the import's own Python runs on: a raising handler fires here\n"
    "            open(os.environ['IMPORT_WENT_ON'], 'w').close()\n")


@pytest.mark.parametrize("command", ["analyze", "grade"])
@pytest.mark.parametrize("module", ["av:SIGTERM", "cv2:SIGTERM", "cv2:SIGINT"])
def test_an_interrupt_while_the_command_loads_waits_for_a_safe_point(tmp_path, command, module):
    """A kill or Ctrl-C while the command loads PyAV or OpenCV (the checks before the analysis) is
    taken at the next safe point, not inside the import: a KeyboardInterrupt raised there reaches
    NumPy's loader, which prints it with a traceback (seen in CI when a kill came 1 s after the
    landmark process started, before the analysis had begun), or is swallowed. The import runs
    to its end, then the command stops: 130, "interrupted", nothing written."""
    import os
    import subprocess
    import sys

    from conftest import EXAMPLE, ROOT

    segments = tmp_path / "segments.json"
    segments.write_text('{"rest": [0, 1]}')
    args = ["--segments", str(segments)] if command == "grade" else ["--no-save"]
    went_on = tmp_path / "import went on"
    r = subprocess.run([sys.executable, "-c", _INTERRUPT_INSIDE_IMPORT, module, command, str(EXAMPLE),
                        "--out", str(tmp_path / "o"), *args],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "IMPORT_WENT_ON": str(went_on)})
    assert went_on.exists(), r.stderr
    assert r.returncode == 130, r.stderr
    assert "interrupted; nothing was written" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("module", ["google.protobuf.descriptor_pool:SIGINT", "mediapipe:SIGTERM", "cv2:SIGINT"])
def test_an_interrupt_while_photo_loads_mediapipe_waits_for_a_safe_point(tmp_path, module):
    """``smilescope photo``: Ctrl-C or kill as MediaPipe (or its protobuf) loads. A KeyboardInterrupt
    raised inside the protobuf import was swallowed: a traceback, then the command went on,
    wrote photo.json and exited 0. It is taken at the next safe point: 130, nothing written."""
    import os
    import subprocess
    import sys

    from conftest import FACES, ROOT

    r = subprocess.run([sys.executable, "-c", _INTERRUPT_INSIDE_IMPORT, module, "photo", str(FACES / "yale01.jpg"),
                        "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src"), "IMPORT_WENT_ON": str(tmp_path / "went on")})
    assert (tmp_path / "went on").exists(), r.stderr
    assert r.returncode == 130, r.stderr
    assert "interrupted; nothing was written" in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert not (tmp_path / "o").exists()


def test_overlay_shows_the_key_frames_with_the_tracked_points(tmp_path):
    """--overlay: the relaxed reference and the smile's apex, re-read from the video, with the
    points drawn, in overlay.png beside the analysis (and a second run may replace the folder)."""
    face = synth.load_face(FACES / "yale01.jpg")
    clip = tmp_path / "smile.mp4"
    synth.render(clip, face=face, fps=30, duration_s=3.0,
                 motions=synth.smile_motions(face, right_mm=4.0, left_mm=4.0, onset_s=1.0, rise_s=0.4, hold_s=0.8, fall_s=0.4),
                 write_truth=False)
    out = tmp_path / "res"
    r = runner.invoke(app, ["analyze", str(clip), "--out", str(out), "--no-save", "--quiet", "--overlay"])
    assert r.exit_code == 0, r.output
    img = cv2.imread(str(out / "overlay.png"))
    assert img is not None and img.shape[0] == 320 and img.shape[1] > 2 * 300  # at least the reference and one apex
    r = runner.invoke(app, ["analyze", str(clip), "--out", str(out), "--no-save", "--overlay"])
    assert r.exit_code == 0 and "overlay.png" in " ".join(r.stdout.split())  # the summary says it was written
    r = runner.invoke(app, ["analyze", str(clip), "--out", str(out), "--no-save", "--quiet"])
    assert r.exit_code == 0 and not (out / "overlay.png").exists()


@pytest.mark.parametrize("command", ["analyze", "grade"])
def test_a_photo_given_for_a_video_names_the_photo_command(tmp_path, command):
    """A still photo needs the photo measures, not the movement analysis: exit 2 before any work,
    naming `smilescope photo` with the path quoted as a shell would need it."""
    photo = tmp_path / "my face.jpg"
    photo.write_bytes((FACES / "faceapi_neutral.jpg").read_bytes())
    seg = tmp_path / "seg.json"
    seg.write_text(json.dumps({"rest": [0, 1]}))
    args = [command, str(photo), "--out", str(tmp_path / "o")] + (["--segments", str(seg)] if command == "grade" else [])
    r = runner.invoke(app, args)
    assert r.exit_code == 2, r.output
    said = " ".join(r.output.split())
    bare = "".join(r.output.split())  # the terminal may fold a long path anywhere
    assert "is a photo" in said and "smilescopephoto'" + str(photo).replace(" ", "") + "'" in bare, said
    assert not (tmp_path / "o").exists()


def test_a_one_frame_video_is_not_taken_for_a_photo(tmp_path, face):
    path = _write_video(tmp_path / "one.mp4", [face.rgb])
    r = runner.invoke(app, ["analyze", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "is a photo" not in r.output and "needs a video" in " ".join(r.output.split())
