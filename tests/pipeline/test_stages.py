"""Where the per-frame stages run (one thread, two threads, two processes): the same numbers
every way, and a child process that never outlives its use or hides an error."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from smilescope.errors import BadInputError
from smilescope.io import open_video
from smilescope.pipeline import PipelineConfig, analyze
from smilescope.pipeline import stages
from smilescope.pipeline.stages import STAGES_ENV, ObservedElsewhere, choose_stages

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "d0.mp4"


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (a killed child whose parent is gone may wait
    a moment to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def test_auto_takes_processes_only_where_cores_are_free(monkeypatch):
    monkeypatch.delenv(STAGES_ENV, raising=False)
    for cores, how in [(1, "threads"), (2, "threads"), (3, "processes"), (16, "processes")]:
        monkeypatch.setattr(stages, "usable_cores", lambda c=cores: c)
        assert choose_stages("auto") == how
    assert choose_stages("one") == "one"
    monkeypatch.setenv(STAGES_ENV, "Threads")
    assert choose_stages("auto") == choose_stages("processes") == "threads"  # the environment decides
    monkeypatch.setenv(STAGES_ENV, "gpu")
    with pytest.raises(BadInputError, match="SMILESCOPE_STAGES='gpu' is not one of one, threads, processes"):
        choose_stages()
    monkeypatch.delenv(STAGES_ENV)
    with pytest.raises(BadInputError, match="stages='fast'"):
        choose_stages("fast")


def test_a_misspelt_stages_setting_exits_2_with_what_to_do(tmp_path):
    r = subprocess.run([sys.executable, "-c", "from smilescope.cli import main; main()", "analyze", str(EXAMPLE),
                        "--out", str(tmp_path / "o"), "--no-save"], capture_output=True, text=True, timeout=300,
                       env={**os.environ, "PYTHONPATH": str(ROOT / "src"), STAGES_ENV: "proceses"})
    assert r.returncode == 2, r.stderr
    assert "SMILESCOPE_STAGES='proceses'" in r.stderr and "Unset it" in r.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
def test_every_way_of_running_the_stages_gives_the_same_analysis(monkeypatch):
    """A real face video (the bundled example, 78 frames): landmarks made in a child process
    from its own decoding give exactly the document of one thread and of two."""
    monkeypatch.delenv(STAGES_ENV, raising=False)
    docs = {how: json.dumps(analyze(EXAMPLE, stages=how).to_dict(), sort_keys=True)
            for how in ("one", "threads", "processes")}
    assert docs["processes"] == docs["threads"] == docs["one"]
    assert json.loads(docs["processes"])["quality"]["valid_frames_ratio"] > 0.9  # a real analysis, not an empty one


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
def test_an_error_in_the_landmark_process_reaches_the_caller(tmp_path):
    """The child's own error (here: its video cannot be read) is raised in the parent as the
    same kind of error, not as a broken pipe or a hang."""
    missing = tmp_path / "gone.mp4"
    with open_video(EXAMPLE) as src, ObservedElsewhere(missing, fps=None, mirrored=None, config=PipelineConfig()) as e:
        f = next(iter(src))
        with pytest.raises(BadInputError, match="gone.mp4"):
            e.observation(f.rgb, f.t_s)
    assert e._proc.returncode is not None


@pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
def test_a_landmark_process_that_dies_is_an_error_not_a_hang():
    with open_video(EXAMPLE) as src, ObservedElsewhere(EXAMPLE, fps=None, mirrored=None, config=PipelineConfig()) as e:
        frames = iter(src)
        f = next(frames)
        assert e.observation(f.rgb, f.t_s).face is not None
        e._proc.kill()  # as the system's memory killer would
        with pytest.raises(RuntimeError, match="the landmark process ended unexpectedly"):
            for f in frames:  # what it sent before dying is read first
                e.observation(f.rgb, f.t_s)
            e.finish()


_PARENT = """
import sys, time
from smilescope.io import open_video
from smilescope.pipeline import PipelineConfig
from smilescope.pipeline.stages import ObservedElsewhere
src = open_video(sys.argv[1])
e = ObservedElsewhere(sys.argv[1], fps=None, mirrored=None, config=PipelineConfig())
frames = iter(src)
f = next(frames)
e.observation(f.rgb, f.t_s)
print(e._proc.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc (Linux)")
@pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
def test_the_landmark_process_ends_when_its_parent_is_killed():
    """A parent killed outright (SIGKILL: no clean-up runs) leaves no landmark process behind:
    the child's next send finds the socket closed and it ends."""
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(EXAMPLE)], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        deadline = time.monotonic() + 30
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child)
    finally:
        if parent.poll() is None:
            parent.kill()


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads child processes from /proc (Linux)")
@pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_stopping_the_command_stops_the_landmark_process(tmp_path, sig):
    """Ctrl-C or ``kill`` during ``smilescope analyze`` with the landmark stage in a child
    process: the command says it was interrupted (exit 130), writes nothing, and the child is
    gone with it."""
    cmd = [sys.executable, "-c", "from smilescope.cli import main; main()", "analyze", str(EXAMPLE),
           "--out", str(tmp_path / "o"), "--no-save"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         env={**os.environ, "PYTHONPATH": str(ROOT / "src"), STAGES_ENV: "processes"})
    try:
        deadline = time.monotonic() + 120
        while not (kids := _children(p.pid)) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert kids, "the landmark process was not started"
        p.send_signal(sig)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()
    deadline = time.monotonic() + 30
    while any(_alive(k) for k in kids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(k) for k in kids)
