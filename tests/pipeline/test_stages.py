"""Where the per-frame stages run (one thread, two threads, two processes): the same numbers
every way, and a child process that never outlives its use, never hides an error, and never
stops an analysis that threads could do."""

from __future__ import annotations

import json
import os
import shutil
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
from smilescope.pipeline.stages import STAGES_ENV, ObservedElsewhere, can_read_twice, choose_stages

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "d0.mp4"
FACE = ROOT / "tests" / "data" / "faces" / "faceapi_neutral.jpg"
ENV = {**os.environ, "PYTHONPATH": str(ROOT / "src")}

needs_example = pytest.mark.skipif(not EXAMPLE.exists(), reason="the bundled example video is missing")
needs_proc = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads processes from /proc (Linux)")


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie (an orphan waits a moment to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state not in ("Z", "X")


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):
        return []


def _gone_within(pids: list[int], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while any(_alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not any(_alive(p) for p in pids)


@pytest.fixture
def long_recording(tmp_path) -> Path:
    """3000 frames of one face (hard links to one picture), to be read at 30 fps: a 100 s
    recording that the landmark process needs far longer than the tests' few seconds for, so
    a child that ends within them was ended, and did not just finish."""
    d = tmp_path / "frames"
    d.mkdir()
    first = d / "f00000.jpg"
    shutil.copyfile(FACE, first)
    for i in range(1, 3000):
        os.link(first, d / f"f{i:05d}.jpg")
    return d


def test_auto_takes_processes_only_where_cores_are_free(monkeypatch):
    monkeypatch.delenv(STAGES_ENV, raising=False)
    monkeypatch.setattr(stages, "_can_start_python", lambda: True)
    for cores, how in [(1, "threads"), (2, "threads"), (3, "threads"), (4, "processes"), (16, "processes")]:
        monkeypatch.setattr(stages, "usable_cores", lambda c=cores: c)
        assert choose_stages("auto") == how
    monkeypatch.setattr(stages, "_can_start_python", lambda: False)  # an embedded or frozen application
    assert choose_stages("auto") == "threads"
    with pytest.raises(BadInputError, match="only from a Python interpreter"):
        choose_stages("processes")


def test_the_environment_decides_only_what_the_caller_left_to_it(monkeypatch):
    monkeypatch.setenv(STAGES_ENV, "Threads")
    assert choose_stages("auto") == "threads"
    assert choose_stages("one") == "one"  # a batch worker's one core stays one core
    monkeypatch.setenv(STAGES_ENV, "gpu")
    with pytest.raises(BadInputError, match="SMILESCOPE_STAGES='gpu' is not one of one, threads, processes"):
        choose_stages()
    monkeypatch.delenv(STAGES_ENV)
    with pytest.raises(BadInputError, match="stages='fast'"):
        choose_stages("fast")


def test_a_containers_cpu_quota_counts(monkeypatch):
    """`docker --cpus=2` on a 32-core host: the affinity says 32, the quota 2."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(32)), raising=False)
    monkeypatch.setattr(stages, "_cgroup_quota", lambda: 2.0)
    assert stages.usable_cores() == 2
    monkeypatch.setattr(stages, "_cgroup_quota", lambda: 3.5)
    assert stages.usable_cores() == 4
    monkeypatch.setattr(stages, "_cgroup_quota", lambda: None)
    assert stages.usable_cores() == 32


def test_only_what_can_be_read_twice_goes_to_a_child(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert not can_read_twice(fifo)  # a pipe (or /dev/stdin) is seen by one reader only
    assert can_read_twice(EXAMPLE) and can_read_twice(tmp_path) and can_read_twice(tmp_path / "*.png")


def test_a_misspelt_stages_setting_exits_2_with_what_to_do(tmp_path):
    r = subprocess.run([sys.executable, "-c", "from smilescope.cli import main; main()", "analyze", str(EXAMPLE),
                        "--out", str(tmp_path / "o"), "--no-save"], capture_output=True, text=True, timeout=300,
                       env={**ENV, STAGES_ENV: "proceses"})
    assert r.returncode == 2, r.stderr
    assert "SMILESCOPE_STAGES='proceses'" in r.stderr and "Unset it" in r.stderr
    assert not (tmp_path / "o").exists()


@needs_example
def test_every_way_of_running_the_stages_gives_the_same_analysis(monkeypatch):
    """A real face video (the bundled example, 78 frames): landmarks made in a child process
    from its own decoding give exactly the document of one thread and of two."""
    monkeypatch.delenv(STAGES_ENV, raising=False)
    docs = {how: json.dumps(analyze(EXAMPLE, stages=how).to_dict(), sort_keys=True)
            for how in ("one", "threads", "processes")}
    assert docs["processes"] == docs["threads"] == docs["one"]
    assert json.loads(docs["processes"])["quality"]["valid_frames_ratio"] > 0.9  # a real analysis, not an empty one


@needs_example
@pytest.mark.parametrize("program", ["/bin/true", "hangs"])
def test_a_child_that_cannot_start_leaves_the_analysis_to_threads(monkeypatch, tmp_path, program):
    """An interpreter that is not a plain Python (an application embedding one): it exits at
    once, or ignores what it is asked and runs on. The analysis is then done in threads, the
    same, and the program that would not answer is ended."""
    monkeypatch.delenv(STAGES_ENV, raising=False)
    if program == "hangs":
        program = tmp_path / "host"
        program.write_text("#!/bin/sh\nexec sleep 600\n")
        program.chmod(0o755)
        monkeypatch.setattr(stages, "READY_TIMEOUT_S", 1.0)
    expected = json.dumps(analyze(EXAMPLE, stages="threads").to_dict(), sort_keys=True)
    monkeypatch.setattr(sys, "executable", str(program))
    started = _started_popens(monkeypatch)
    assert json.dumps(analyze(EXAMPLE, stages="processes").to_dict(), sort_keys=True) == expected
    assert len(started) == 1 and started[0].returncode is not None  # tried, and not left running


@needs_example
def test_an_error_in_the_landmark_process_reaches_the_caller(tmp_path):
    """The child's own error (here: its video cannot be read) is raised in the parent as the
    same kind of error, not as a broken pipe or a hang."""
    missing = tmp_path / "gone.mp4"
    with open_video(EXAMPLE) as src, ObservedElsewhere(missing, fps=None, mirrored=None, config=PipelineConfig()) as e:
        f = next(iter(src))
        with pytest.raises(BadInputError, match="gone.mp4"):
            e.observation(f.rgb, f.t_s)
    assert e.process.returncode is not None


@needs_example
def test_a_landmark_process_that_dies_is_an_error_that_says_how_not_a_hang():
    with open_video(EXAMPLE) as src, ObservedElsewhere(EXAMPLE, fps=None, mirrored=None, config=PipelineConfig()) as e:
        frames = iter(src)
        f = next(frames)
        assert e.observation(f.rgb, f.t_s).face is not None
        e.process.kill()  # as the system's memory killer would
        with pytest.raises(RuntimeError, match="the landmark process ended unexpectedly .stopped by SIGKILL: out of memory"):
            for f in frames:  # what it sent before dying is read first
                e.observation(f.rgb, f.t_s)
            e.finish()


_PARENT = """
import sys, time
from smilescope.io import open_video
from smilescope.pipeline import PipelineConfig
from smilescope.pipeline.stages import ObservedElsewhere
src = open_video(sys.argv[1], fps=30)
e = ObservedElsewhere(sys.argv[1], fps=30, mirrored=None, config=PipelineConfig())
f = next(iter(src))
e.observation(f.rgb, f.t_s)
print(e.process.pid, flush=True)
time.sleep(600)
"""


@needs_proc
def test_the_landmark_process_ends_when_its_parent_is_killed(long_recording):
    """A parent killed outright (SIGKILL: no clean-up runs) leaves no landmark process behind:
    the child's next send finds the socket closed and it ends, long before its recording would."""
    parent = subprocess.Popen([sys.executable, "-c", _PARENT, str(long_recording)], stdout=subprocess.PIPE, text=True,
                              env=ENV)
    try:
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.send_signal(signal.SIGKILL)
        parent.wait(30)
        assert _gone_within([child], 10)
    finally:
        if parent.poll() is None:
            parent.kill()


@needs_proc
@pytest.mark.parametrize("how", ["Ctrl-C at the terminal", "kill"])
def test_stopping_the_command_stops_the_landmark_process(tmp_path, long_recording, how):
    """Ctrl-C (SIGINT to the terminal's whole process group) or ``kill`` (SIGTERM to the
    command) during ``smilescope analyze`` with the landmark stage in a child process: the
    command says it was interrupted (exit 130), writes nothing, and the child is gone with it."""
    cmd = [sys.executable, "-c", "from smilescope.cli import main; main()", "analyze", str(long_recording),
           "--fps", "30", "--out", str(tmp_path / "o"), "--no-save"]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                         env={**ENV, STAGES_ENV: "processes"}, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while not (kids := _children(p.pid)) and p.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert kids, "the landmark process was not started"
        time.sleep(1.0)  # into the frames
        if how == "kill":
            p.send_signal(signal.SIGTERM)
        else:
            os.killpg(p.pid, signal.SIGINT)
        _, err = p.communicate(timeout=120)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err, err
    assert not (tmp_path / "o").exists()
    assert _gone_within(kids, 10)


@needs_example
def test_the_child_imports_what_the_parent_imports_not_the_folders_files(tmp_path):
    """Run from a folder holding a ``queue.py`` (say, a downloaded folder of videos and scripts):
    the child starts isolated with the parent's own import path, so that file is never run and
    the analysis is the one threads give."""
    script = Path(sys.executable).parent / "smilescope"
    if not script.exists():
        pytest.skip("no smilescope console script beside this interpreter")
    (tmp_path / "queue.py").write_text("open('RAN', 'w').write('ran')\nraise ImportError('not the real queue')\n")
    r = subprocess.run([str(script), "analyze", str(EXAMPLE), "--out", str(tmp_path / "o"), "--no-save", "--quiet"],
                       capture_output=True, text=True, timeout=300, cwd=tmp_path, env={**ENV, STAGES_ENV: "processes"})
    assert r.returncode == 0, r.stderr
    assert not (tmp_path / "RAN").exists()


@needs_example
def test_a_service_without_stdin_or_stdout_can_use_a_child(tmp_path):
    """With file descriptors 0 and 1 closed (a service), the socket to the child may get those
    numbers; it is moved above them before the child's own stdin and stdout are set."""
    code = ("import sys; from smilescope.pipeline import analyze; "
            f"a = analyze({str(EXAMPLE)!r}, stages='processes'); "
            f"open({str(tmp_path / 'done')!r}, 'w').write(str(len(a.smile.episodes)))")
    r = subprocess.run(["sh", "-c", 'exec "$0" -c "$1" <&- >&-', sys.executable, code], capture_output=False,
                       stderr=subprocess.PIPE, text=True, timeout=300, env=ENV)
    assert r.returncode == 0, r.stderr
    assert int((tmp_path / "done").read_text()) >= 1


@pytest.fixture(autouse=True)
def no_early_child_left():
    """A test that fails with a landmark process started early leaves none to the next."""
    yield
    stages.end_early()


def _started_popens(monkeypatch) -> list:
    """The processes ``stages`` starts from now on (only its own Popen is watched)."""
    started = []
    real = subprocess

    class Watched:
        DEVNULL = real.DEVNULL
        TimeoutExpired = real.TimeoutExpired

        @staticmethod
        def Popen(*a, **k):
            started.append(real.Popen(*a, **k))
            return started[-1]

    monkeypatch.setattr(stages, "subprocess", Watched)
    return started


@needs_example
def test_a_landmark_process_started_early_is_the_one_the_analysis_uses(monkeypatch):
    """``start_early`` (the CLI calls it before its own imports) starts the child; the analysis
    that follows takes it instead of starting another, its landmarks are used (not threads'
    after a silent fallback), and its document is the one threads give."""
    monkeypatch.delenv(STAGES_ENV, raising=False)
    expected = json.dumps(analyze(EXAMPLE, stages="threads").to_dict(), sort_keys=True)
    monkeypatch.setenv(STAGES_ENV, "processes")
    started = _started_popens(monkeypatch)
    received = []
    real_observation = ObservedElsewhere.observation
    monkeypatch.setattr(ObservedElsewhere, "observation",
                        lambda self, rgb, t_s: received.append(t_s) or real_observation(self, rgb, t_s))
    stages.start_early()
    stages.start_early()  # once only
    assert len(started) == 1
    a = analyze(EXAMPLE)
    assert json.dumps(a.to_dict(), sort_keys=True) == expected
    assert len(received) == len(a.signals) > 0  # every frame's landmarks came from the child
    assert len(started) == 1 and started[0].returncode is not None  # taken, used and ended
    assert stages._take_early() is None


@needs_example
def test_a_landmark_process_started_early_opens_the_file_it_is_given_from_any_folder(monkeypatch, tmp_path):
    """The child keeps the working folder it was started in; a relative path given after a
    change of folder is the caller's file all the same."""
    monkeypatch.setenv(STAGES_ENV, "processes")
    stages.start_early()
    shutil.copyfile(EXAMPLE, tmp_path / "clip.mp4")
    monkeypatch.chdir(tmp_path)
    with open_video("clip.mp4") as src, ObservedElsewhere("clip.mp4", fps=None, mirrored=None, config=PipelineConfig()) as e:
        for f in src:
            e.observation(f.rgb, f.t_s)
        e.finish()


def test_the_early_start_never_stops_the_command(monkeypatch, tmp_path):
    """No descriptors, no temporary folder: nothing is started, nothing is raised (the
    analysis then says what is wrong, or runs in threads)."""
    monkeypatch.setenv(STAGES_ENV, "processes")

    def no_file(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(stages.tempfile, "TemporaryFile", no_file)
    stages.start_early()
    assert stages._take_early() is None
    with pytest.raises(stages.ChildUnavailable, match="No space left"):
        ObservedElsewhere(EXAMPLE, fps=None, mirrored=None, config=PipelineConfig())


def test_the_pipeline_loads_light_and_every_name_it_offers_is_there():
    """``smilescope.pipeline.stages`` (which the CLI imports to start the child first) loads no
    NumPy, OpenCV or MediaPipe; the package's names load on first use, all of them."""
    code = ("import sys; from smilescope.pipeline import stages; "
            "heavy = [m for m in ('numpy', 'cv2', 'mediapipe', 'av') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "import smilescope.pipeline as p; missing = [n for n in p.__all__ if not hasattr(p, n)]; "
            "assert not missing, missing; assert set(p.__all__) <= set(dir(p))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=ENV)
    assert r.returncode == 0, r.stderr


@needs_example
def test_an_error_in_the_childs_landmark_stage_reaches_the_parent_as_it_was(monkeypatch):
    """The child's landmark model fails on frame 8 while its decoding runs ahead in another
    thread: the parent is sent that error, not one of the video closing under the decoder.
    (The child's function, run here with a socket pair; several times, as the decoder's timing
    varies.)"""
    import socket
    from multiprocessing.connection import Connection

    from smilescope.pipeline.engine import observer_settings
    from smilescope.track import observer as observer_module

    monkeypatch.setattr(observer_module.signal, "signal", lambda *a: None)  # the test process keeps its Ctrl-C
    real_observe = observer_module.FaceObserver.observe

    def failing(self, rgb, t_s):
        if self._index == 8:
            raise RuntimeError("the landmark model failed on frame 8")
        return real_observe(self, rgb, t_s)

    monkeypatch.setattr(observer_module.FaceObserver, "observe", failing)
    for _ in range(4):
        a, b = socket.socketpair()
        parent, child = Connection(a.detach()), Connection(b.detach())
        parent.send((str(EXAMPLE), None, None, observer_settings(PipelineConfig())))
        observer_module.observe_in_child(child)
        msgs = []
        try:
            while True:  # all it sent, up to its end of the socket closing
                msgs.append(parent.recv())
        except EOFError:
            parent.close()
        assert [m[0] for m in msgs] == ["frame"] * 8 + ["error"]
        assert str(msgs[-1][1]) == "the landmark model failed on frame 8"


@needs_example
def test_a_landmark_process_started_early_ends_when_the_analysis_runs_in_threads(monkeypatch):
    """An analysis given its own models (a batch worker's) runs in threads, as one of a pipe
    does: the child started for it is ended then, not kept idle (with its models) until the
    command exits."""
    from smilescope.track.models import FaceModels

    monkeypatch.setenv(STAGES_ENV, "processes")
    started = _started_popens(monkeypatch)
    stages.start_early()
    models = FaceModels()
    try:
        analyze(EXAMPLE, models=models)
    finally:
        models.close()
    assert len(started) == 1 and started[0].returncode is not None
    assert stages._take_early() is None


def test_nothing_is_started_early_where_the_analysis_would_use_threads(monkeypatch):
    started = _started_popens(monkeypatch)
    monkeypatch.delenv(STAGES_ENV, raising=False)
    monkeypatch.setattr(stages, "usable_cores", lambda: 2)
    stages.start_early()
    monkeypatch.setenv(STAGES_ENV, "proceses")  # said (exit 2) when the analysis starts, not here
    stages.start_early()
    assert started == [] and stages._take_early() is None


@needs_proc
@pytest.mark.parametrize("how", ["API, never used", "a refused photo", "grade, a refused photo", "help"])
def test_a_landmark_process_started_early_and_not_used_ends_with_the_command(tmp_path, how):
    """Started before the command knew what it would analyse, and not needed (a photo refused
    with exit 2, a program that never analyses): it is gone when the command ends. The help
    text starts none."""
    if how == "API, never used":
        # its own exit hook, registered first, runs last: it sees whether the child was ended by then
        cmd = [sys.executable, "-c", "import atexit; box = []; "
               "atexit.register(lambda: print('ended' if box[0].proc.poll() is not None else 'running')); "
               "from smilescope.pipeline import stages; stages.start_early(); box.append(stages._early); "
               "import time; time.sleep(0.5)"]
    else:
        args = {"a refused photo": ["analyze", str(FACE), "--no-save"],
                "grade, a refused photo": ["grade", str(FACE), "--segments", str(tmp_path / "s.json")],
                "help": ["analyze", str(FACE), "--help"]}[how]
        cmd = [sys.executable, "-c", "from smilescope.cli import main; main()", *args, "--out", str(tmp_path / "o")]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                         env={**ENV, STAGES_ENV: "processes"})
    seen: set[int] = set()
    try:
        while p.poll() is None:
            seen.update(_children(p.pid))
            time.sleep(0.01)
        out, err = p.communicate(timeout=300)
    finally:
        if p.poll() is None:
            p.kill()
    assert p.returncode == (2 if "refused" in how else 0), err
    if how == "API, never used":
        assert out.strip() == "ended"  # by this process, at its exit, not later by the child itself
    if how == "help":
        assert not seen
    else:
        assert seen, "no landmark process was started early"
        assert _gone_within(list(seen), 10)
    if "refused" in how:
        assert "is a photo" in err
