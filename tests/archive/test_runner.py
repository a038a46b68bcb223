"""Batch runs against known truth: rendered smiles of known size, a truncated file, a non-video.

The rendered videos move each mouth corner by a known amount (person's right 6 mm in both; the
left 6 mm in one, 2 mm in the other), so the summary's numbers are checked against what was
rendered, not against an earlier run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from smilescope import BadInputError
from smilescope.archive import runner
from smilescope.archive.manifest import read_inputs
from smilescope.archive.summary import COLUMNS
from smilescope.testing import synth

from conftest import FACES

SMILES = {"even": (6.0, 6.0), "weak_left": (7.0, 1.0)}  # person's (right, left) corner, mm: 6 mm apart, clear of
# the 3 mm + 2 px (4.1 mm on this face) that names a weaker side
TOL_MM = 0.6  # the rendered-truth tests' bound for one corner's excursion (tests/test_pipeline_truth.py)


def _render(path: Path, right_mm: float, left_mm: float, duration_s: float = 4.0) -> None:
    face = synth.load_face(FACES / "yale01.jpg")
    motions = list(synth.smile_motions(face, right_mm=right_mm, left_mm=left_mm, onset_s=1.0, rise_s=0.5, hold_s=1.0,
                                       fall_s=0.5))
    synth.render(path, face=face, fps=30, duration_s=duration_s, motions=motions, write_truth=False)


@pytest.fixture(scope="module")
def videos(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("videos")
    for name, (r, l) in SMILES.items():
        _render(d / f"{name}.mp4", r, l)
    data = (d / "even.mp4").read_bytes()
    (d / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (d / "notes.mp4").write_text("these are my notes, not a video\n")
    return d


@pytest.fixture(scope="module")
def first_run(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "results"
    seen = []
    frame = runner.batch(videos, out, workers=2, progress=seen.append)
    return out, frame, seen


def _mtimes(out: Path) -> dict:
    return {str(p.relative_to(out)): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.parent != out}


def test_the_summary_holds_what_was_rendered_and_the_errors(first_run):
    out, frame, seen = first_run
    assert list(frame.columns) == list(COLUMNS)
    rows = frame.set_index("name")
    assert list(frame["name"]) == ["even", "notes", "truncated", "weak_left"]  # the order of the inputs
    for name, (r, l) in SMILES.items():
        row = rows.loc[name]
        assert row["status"] == "ok" and row["error"] == "" and not row["reused"]
        assert row["smile_episodes"] == 1
        assert abs(row["excursion_right_mm"] - r) < TOL_MM and abs(row["excursion_left_mm"] - l) < TOL_MM
        assert row["weaker_side"] == ("left" if l < r else "none")
        assert 3.9 < row["duration_s"] < 4.1 and row["valid_frames_ratio"] > 0.8
        assert row["worker_peak_mb"] > 50
        assert (out / name / "analysis.json").is_file() and (out / name / "signals.parquet").is_file()
        doc = json.loads((out / name / "analysis.json").read_text())
        assert row["warnings"] == "; ".join(doc["quality"]["warnings"])  # a truncated tail would show here
    for name, words in (("truncated", "truncated"), ("notes", "not a video")):
        row = rows.loc[name]
        assert row["status"] == "failed" and row["error_kind"] == "bad input" and words in row["error"]
        assert pd.isna(row["excursion_right_mm"])
        assert sorted(os.listdir(out / name)) == ["batch.json"]
    assert [p.done for p in seen] == [1, 2, 3, 4] and seen[-1].failed == 2 and seen[-1].total == 4
    written = pd.read_parquet(out / "summary.parquet")
    pd.testing.assert_frame_equal(written, frame)
    assert len(pd.read_csv(out / "summary.csv")) == 4
    assert (out / "summary.csv").stat().st_mode & 0o077 == 0


def test_each_video_gets_what_analyze_gives(tmp_path, videos, monkeypatch):
    """Item 4: the batch's analysis.json and signals are those of ``smilescope.analyze``, also
    for a second video through the same (reset) graphs of a worker."""
    import smilescope
    from smilescope.track import models

    monkeypatch.setattr(models, "_local", type(models._local)())  # a fresh worker: no graphs yet
    for name in ("even", "weak_left"):
        assert _one(videos, tmp_path, name)["status"] == "ok"
    for name in ("even", "weak_left"):
        alone = smilescope.analyze(videos / f"{name}.mp4")
        assert json.loads((tmp_path / name / "analysis.json").read_text()) == json.loads(alone.to_json())
        pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / name / "signals.parquet"), alone.signals.to_frame())


def test_a_rerun_skips_the_finished_and_a_changed_setting_reruns(first_run, videos):
    out, first, _ = first_run
    before = _mtimes(out)
    again = runner.batch(videos, out, workers=1)
    assert again["reused"].all()  # the bad-input failures too: the same bytes fail the same way
    assert _mtimes(out) == before  # nothing rewritten
    cols = ["name", "status", "excursion_right_mm", "excursion_left_mm", "error"]
    pd.testing.assert_frame_equal(again[cols], first[cols])

    changed = runner.batch(videos, out, workers=2, refine=False)
    assert not changed["reused"].any()
    ok = changed.set_index("name").loc[list(SMILES)]
    assert (ok["status"] == "ok").all()
    assert all(_mtimes(out)[f"{n}/analysis.json"] > before[f"{n}/analysis.json"] for n in SMILES)


def test_a_changed_file_is_analysed_again(tmp_path, videos):
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(videos / "notes.mp4", src / "clip.mp4")
    out = tmp_path / "out"
    assert runner.batch(src, out, workers=1)["status"].tolist() == ["failed"]
    shutil.copy(videos / "even.mp4", src / "clip.mp4")  # the same name, now a real video
    row = runner.batch(src, out, workers=1).iloc[0]
    assert row["status"] == "ok" and not row["reused"] and abs(row["excursion_left_mm"] - 6.0) < TOL_MM


def test_a_file_added_later_does_not_rename_a_finished_videos_folder(tmp_path, videos):
    """clip.mp4 was analysed into clip/; a clip.mov added beside it would make this run call
    them clip_mp4 and clip_mov. The finished video keeps clip/ and is not analysed again."""
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(videos / "even.mp4", src / "clip.mp4")
    out = tmp_path / "out"
    assert runner.batch(src, out, workers=1)["name"].tolist() == ["clip"]
    shutil.copy(videos / "notes.mp4", src / "clip.mov")
    frame = runner.batch(src, out, workers=1).set_index("path")
    kept = frame.loc[str(src.resolve() / "clip.mp4")]
    assert kept["name"] == "clip" and kept["reused"] and kept["status"] == "ok"
    assert frame.loc[str(src.resolve() / "clip.mov"), "name"] == "clip_mov"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["clip", "clip_mov"]


def test_a_manifest_carries_its_columns_and_a_missing_file_is_a_failed_row(tmp_path, videos):
    m = tmp_path / "manifest.csv"
    m.write_text(f"path,subject,session,label\n{videos / 'weak_left.mp4'},P07,2,after\ngone.mp4,P08,1,\n")
    frame = runner.batch(m, tmp_path / "out", workers=1).set_index("name")
    assert tuple(frame.loc["weak_left", ["subject", "session", "label", "status"]]) == ("P07", "2", "after", "ok")
    gone = frame.loc["gone"]
    assert gone["status"] == "failed" and gone["error_kind"] == "bad input" and "does not exist" in gone["error"]
    assert not (tmp_path / "out" / "gone").exists()


# --- one video in this process: errors, graphs, disk -------------------------------------------

@pytest.fixture(autouse=True)
def _opencv_threads_restored():
    """analyse_one sets this process up as a worker (OpenCV on one thread): undone after each test."""
    import cv2

    n = cv2.getNumThreads()
    yield
    cv2.setNumThreads(n)


def _one(videos, out, name="even"):
    item = next(i for i in read_inputs(videos).items if i.name == name)
    return runner.analyse_one(item, str(out), runner.BatchSettings())


def test_an_internal_error_is_recorded_with_its_traceback_and_retried(tmp_path, videos, monkeypatch):
    import smilescope.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError("a bug")

    monkeypatch.setattr(pipeline, "analyze", boom)
    row = _one(videos, tmp_path)
    assert row["status"] == "failed" and row["error_kind"] == "internal error" and "RuntimeError: a bug" in row["error"]
    assert "Traceback" in json.loads((tmp_path / "even" / "batch.json").read_text())["traceback"]
    monkeypatch.undo()
    row = _one(videos, tmp_path)  # not kept: an internal error may not happen again
    assert row["status"] == "ok" and not row["reused"]


def test_a_worker_builds_its_landmark_graphs_once(tmp_path, videos, monkeypatch):
    from smilescope.track import facemesh, models

    built = []
    real = facemesh.MediaPipeFaceMesh.__init__

    def counting(self, **kw):
        built.append(kw.get("static_image_mode", False))
        real(self, **kw)

    monkeypatch.setattr(facemesh.MediaPipeFaceMesh, "__init__", counting)
    monkeypatch.setattr(models, "_local", type(models._local)())  # a fresh worker thread
    _one(videos, tmp_path / "a")
    n = len(built)
    assert n >= 1
    _one(videos, tmp_path / "b", "weak_left")
    assert len(built) == n  # the second video reused them


def test_a_damaged_record_counts_as_none(tmp_path, videos):
    assert _one(videos, tmp_path)["status"] == "ok"
    (tmp_path / "even" / "batch.json").write_text("{not json")
    assert not _one(videos, tmp_path)["reused"]


def test_an_output_that_cannot_be_written_stops_the_batch(tmp_path, videos, monkeypatch):
    def full(*a, **k):
        raise BadInputError("The disk is full.", "Free some space.")

    monkeypatch.setattr(runner, "save_run", full)
    with pytest.raises(runner.OutputError, match="disk is full"):
        _one(videos, tmp_path)


# --- the command line: a real scheduler, Ctrl-C ------------------------------------------------

CLI = [sys.executable, "-m", "smilescope.cli"]


def test_a_batch_runs_on_a_separate_dask_scheduler_and_worker(tmp_path, videos):
    """Item 1: ``--scheduler``: a scheduler and a worker started as their own processes on 127.0.0.1."""
    info = tmp_path / "scheduler.json"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    sched = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
                              "--no-dashboard", "--scheduler-file", str(info)], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        worker = subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                   "--nworkers", "1", "--no-dashboard", "--host", "127.0.0.1"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        src = tmp_path / "v"
        src.mkdir()
        for n in ("weak_left.mp4", "notes.mp4"):
            shutil.copy(videos / n, src / n)
        out = tmp_path / "out"
        r = subprocess.run([*CLI, "batch", str(src), "--out", str(out), "--scheduler", address], env=env,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
        frame = pd.read_parquet(out / "summary.parquet").set_index("name")
        assert frame.loc["weak_left", "status"] == "ok" and frame.loc["weak_left", "weaker_side"] == "left"
        assert frame.loc["notes", "error_kind"] == "bad input"
        rec = json.loads((out / "weak_left" / "batch.json").read_text())
        assert rec["worker_pid"] not in (os.getpid(), sched.pid)  # analysed in the worker's process
        assert "2 videos: 1 analysed" in r.stdout
    finally:
        for p in (worker, sched):
            if p is not None:
                p.terminate()
        for p in (worker, sched):
            if p is not None:
                try:
                    p.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    p.kill()


@pytest.mark.parametrize("args,words", [
    (["--scheduler", "tcp://127.0.0.1:9"], "Cannot reach the Dask scheduler"),
    (["--scheduler", "http://127.0.0.1:8787/status"], "Cannot reach the Dask scheduler"),
    (["--workers", "0"], "must be 1 or more"),
    (["--fps", "-3"], "positive number"),
])
def test_bad_batch_options_are_clear_errors(tmp_path, videos, args, words):
    r = subprocess.run([*CLI, "batch", str(videos), "--out", str(tmp_path / "o"), *args],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and words in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_ctrl_c_keeps_what_is_finished_whole_and_a_rerun_goes_on(tmp_path, videos):
    """Item 2: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) in the middle
    of a batch: exit 130, every video folder either complete or absent, the finished ones
    summarised; the same command then finishes the rest and keeps the finished."""
    src = tmp_path / "v"
    src.mkdir()
    for i in range(4):
        shutil.copy(videos / "even.mp4", src / f"clip{i}.mp4")
        with open(src / f"clip{i}.mp4", "ab") as fh:
            fh.write(b"\0" * (i + 1))  # other bytes: four different files
    out = tmp_path / "out"
    cmd = [*CLI, "batch", str(src), "--out", str(out), "--workers", "1"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    deadline = time.monotonic() + 240
    # the second video written: the first one's row reached the client a video's time ago
    while not (out / "clip1" / "batch.json").exists() and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.05)
    os.killpg(p.pid, signal.SIGINT)
    _, stderr = p.communicate(timeout=120)
    assert p.returncode == 130, stderr
    assert "interrupted" in stderr
    done = [d.name for d in out.iterdir() if d.is_dir() and not d.name.startswith(".")]
    assert 2 <= len(done) < 4
    for d in done:  # whole sets only
        assert sorted(os.listdir(out / d)) == ["analysis.json", "batch.json", "signals.parquet"]
        json.loads((out / d / "analysis.json").read_text())
    summary = set(pd.read_csv(out / "summary.csv")["name"])
    assert "clip0" in summary and summary <= set(done)  # a video finishing as Ctrl-C came may miss it
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    frame = pd.read_parquet(out / "summary.parquet")
    assert (frame["status"] == "ok").all() and len(frame) == 4
    assert set(frame.loc[frame["reused"], "name"]) == set(done)
    assert not [n for n in os.listdir(out) if n.startswith(".")]  # no temporaries left behind


def test_a_rerun_with_the_output_inside_the_videos_folder_reads_only_the_videos(tmp_path, videos):
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(videos / "notes.mp4", src / "clip.mp4")
    for _ in range(2):
        frame = runner.batch(src, src / "results", workers=1)
        assert frame["name"].tolist() == ["clip"]
    with pytest.raises(BadInputError, match="own folder"):
        runner.batch(src, src, workers=1)


def test_videos_finished_when_the_batch_is_stopped_are_in_its_summary(tmp_path, videos, monkeypatch):
    """Ctrl-C arrives while the client handles the first finished video: a second one already
    finished in its worker was on disk but missing from the summary written on the way out."""
    import distributed

    real = distributed.as_completed

    def stopped_after_one(futures):
        distributed.wait(list(futures))  # both videos done in the workers
        yield next(iter(real(futures)))
        raise KeyboardInterrupt

    monkeypatch.setattr(distributed, "as_completed", stopped_after_one)
    src = tmp_path / "v"
    src.mkdir()
    for name in SMILES:
        shutil.copy(videos / f"{name}.mp4", src / f"{name}.mp4")
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        runner.batch(src, out, workers=1)
    summary = pd.read_parquet(out / "summary.parquet")
    assert sorted(summary["name"]) == sorted(SMILES) and (summary["status"] == "ok").all()


def test_a_result_written_but_not_yet_collected_when_stopped_is_read_from_its_folder(tmp_path):
    """A worker had written a video's folder (a full disk or Ctrl-C stopped the client before its
    result arrived): the summary takes it from the folder's record when that record is this
    run's (written since the run started, with the run's settings), never an older one."""
    from smilescope.archive.manifest import BatchItem

    settings = runner.BatchSettings(fps=None, mirrored=None, refine=True)
    out = tmp_path / "out"
    items = tuple(BatchItem(path=tmp_path / f"{n}.mp4", name=n, subject="", session="", label="") for n in ("new", "old", "other"))
    started = time.time() - 5.0
    for it, fp in ((items[0], settings.fingerprint()), (items[1], settings.fingerprint()), (items[2], "another setting")):
        folder = out / it.name
        folder.mkdir(parents=True)
        (folder / "analysis.json").write_text("{}")
        (folder / runner.RECORD).write_text(json.dumps({"record_schema": runner.RECORD_SCHEMA, "content_sha256": "x",
                                                        "settings_sha256": fp, "row": {"status": "ok", "name": it.name}}))
    os.utime(out / "old" / runner.RECORD, (started - 3600, started - 3600))  # an earlier run's
    found = runner.written_since(items, out, {}, settings=settings, since=started)
    assert list(found) == ["new"] and found["new"]["status"] == "ok" and found["new"]["reused"] is False
    assert runner.written_since(items, out, {"new": {}}, settings=settings, since=started) == {}  # already collected


def test_the_fingerprint_follows_the_code_not_only_its_version(tmp_path, monkeypatch):
    """A fix pulled into a checkout keeps the version number: the code's own hash tells the
    change, so a batch redoes its videos instead of keeping numbers the code no longer gives."""
    pkg = tmp_path / "smilescope"
    shutil.copytree(Path(runner.__file__).resolve().parents[1], pkg, ignore=shutil.ignore_patterns("__pycache__"))
    first = runner.code_sha256(pkg)
    calibration = pkg / "geometry" / "calibration.py"
    calibration.write_text(calibration.read_text().replace("11.7", "12.5"))
    assert runner.code_sha256.__wrapped__(pkg) != first
    calibration.write_text(calibration.read_text().replace("12.5", "11.7"))
    (pkg / "web" / "static" / "coach.css").write_text("/* a page's look measures nothing */")
    (pkg / "__pycache__").mkdir()
    (pkg / "__pycache__" / "x.pyc").write_bytes(b"compiled")
    assert runner.code_sha256.__wrapped__(pkg) == first

    before = runner.BatchSettings().fingerprint()
    runner._versions.cache_clear()
    monkeypatch.setattr(runner, "code_sha256", lambda root=None: "another build")
    try:
        assert runner.BatchSettings().fingerprint() != before
    finally:
        runner._versions.cache_clear()


def test_a_frame_rate_for_image_folders_neither_reaches_nor_redoes_a_video_file(tmp_path, videos):
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(videos / "even.mp4", src / "clip.mp4")
    out = tmp_path / "out"
    assert runner.batch(src, out, workers=1)["status"].tolist() == ["ok"]
    notes = []
    again = runner.batch(src, out, workers=1, fps=25, notes=notes)
    assert again["reused"].tolist() == [True]
    assert any("applies to folders of images only" in n and "1 video file uses its own timestamps" in n for n in notes), notes


def test_a_video_measured_anew_is_in_the_summary_on_disk_at_once(tmp_path, videos):
    """A rerun that redoes a changed video rewrites the summary when that video is done: a kill
    after it must not leave the earlier row standing beside the new analysis.json."""
    src = tmp_path / "v"
    src.mkdir()
    shutil.copy(videos / "even.mp4", src / "clip.mp4")
    out = tmp_path / "out"
    runner.batch(src, out, workers=1)
    shutil.copy(videos / "weak_left.mp4", src / "clip.mp4")
    on_disk = []
    runner.batch(src, out, workers=1, progress=lambda p: on_disk.append(pd.read_csv(out / "summary.csv")))
    (row,) = on_disk[0].to_dict("records")
    assert abs(row["excursion_left_mm"] - SMILES["weak_left"][1]) < TOL_MM, row


def test_a_report_of_a_batch_result_has_its_plots_from_the_parquet_signals(first_run, tmp_path):
    from typer.testing import CliRunner

    from smilescope.cli import app
    from smilescope.signals import SignalTable

    out, _, _ = first_run
    folder = out / "even"
    assert (folder / "signals.parquet").is_file() and not (folder / "signals.csv").exists()
    table = SignalTable.read_parquet(folder / "signals.parquet")
    assert len(table) == json.loads((folder / "analysis.json").read_text())["video"]["frames"]
    page = tmp_path / "r.html"
    r = CliRunner().invoke(app, ["report", str(folder / "analysis.json"), "--out", str(page)])
    assert r.exit_code == 0, r.output
    html = page.read_text()
    assert "Plots over time need" not in html and html.count("data:image/png;base64") >= 2
