"""Where the two per-frame stages of a whole recording run: one thread, two threads or two processes.

Stage 1 (decode and landmarks, :class:`~smilescope.track.observer.FaceObserver`) and stage 2
(alignment, optical flow, signals, :meth:`~smilescope.pipeline.engine.FaceAnalyzer.measure`)
each see every frame in order, so the numbers do not depend on where they run:

- ``"one"``: one after the other on the caller's thread (a batch worker, one per core);
- ``"threads"``: stage 1 in a second thread, ahead of stage 2 (two cores);
- ``"processes"``: stage 1 in a child process that decodes the video itself and sends back
  only each frame's landmarks (about 11 kB), up to
  :data:`~smilescope.track.observer.SEND_AHEAD_FRAMES` ahead; stage 2 decodes its own copy of
  the frames. With four or more cores this is the faster way, as the two stages then share no
  interpreter lock. ``smilescope analyze`` starts the child before its own imports
  (:func:`start_early`). Measured on a 16-core machine (``benchmarks/pipeline.py``, a 30 s
  720p video), the ratio of bare decode + FaceMesh to the whole ``smilescope analyze``,
  median of 3 rounds (min-max): in one run, 0.86 (0.75-0.96) with the child started after the
  imports and sending only as fast as the socket took its landmarks, and 1.01 (0.95-1.04)
  started early and sending ahead; in an earlier run, 0.65 with the stages in threads. The
  numbers are identical every way. On two cores the child's second decoding and start-up take
  CPU the stages need (measured there: no faster), and held to 3 and 4 cores it gave 0.59 and
  0.67 (threads on 4 cores: 0.62 in an earlier run), before the early start.

``"auto"`` (the default) takes processes on at least :data:`MIN_CORES_FOR_PROCESSES` usable
cores (a container's CPU quota counted), for a file that can be read twice, else threads; the
environment variable ``SMILESCOPE_STAGES`` (``one``, ``threads``, ``processes``) decides
instead. When the child cannot be started, the analysis runs in threads.
"""

from __future__ import annotations

import atexit
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from smilescope.errors import BadInputError

if TYPE_CHECKING:  # this module loads with the standard library only: start_early runs before the heavy imports
    from smilescope.pipeline.engine import PipelineConfig
    from smilescope.track.facemesh import FaceObservation
    from smilescope.track.observer import Observation

STAGES = ("one", "threads", "processes")
STAGES_ENV = "SMILESCOPE_STAGES"
# Processes where at least this many cores are free. Measured on a 16-core machine held to 2, 3
# and 4 cores: threads 0.59 of bare on 2; processes 0.59 on 3 and 0.67 on 4, where threads gave 0.62.
MIN_CORES_FOR_PROCESSES = 4


def usable_cores() -> int:
    """Cores this process may use: its CPU affinity (else all cores), capped by a container's
    CPU quota (cgroup ``cpu.max``, or v1's ``cpu.cfs_quota_us``) where one is set."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    quota = _cgroup_quota()
    return max(1, min(n, math.ceil(quota))) if quota else n


def _cgroup_quota() -> float | None:
    """CPUs allowed by the cgroup's quota (quota / period), or None when unlimited or unknown."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def _can_start_python() -> bool:
    """A child Python can be started: POSIX (the child is handed its socket by descriptor), an
    interpreter on disk (not a frozen or embedded application)."""
    exe = sys.executable
    return os.name == "posix" and bool(exe) and os.path.isfile(exe) and not getattr(sys, "frozen", False)


def choose_stages(stages: str = "auto") -> str:
    """``stages`` (one of :data:`STAGES`, or ``"auto"``) as it will run. For ``"auto"``: the
    environment's ``SMILESCOPE_STAGES`` if set, else processes on at least
    :data:`MIN_CORES_FOR_PROCESSES` usable cores, else threads. A choice made by the caller
    (a batch worker's ``"one"``) is kept.

    Raises
    ------
    BadInputError
        An unknown name, or processes where no child Python can be started.
    """
    if stages == "auto":
        env = os.environ.get(STAGES_ENV, "").strip().lower()
        if env and env not in STAGES:
            raise BadInputError(f"The environment variable {STAGES_ENV}={env!r} is not one of {', '.join(STAGES)}.",
                                "Unset it (the default chooses by the cores free) or set one of those.")
        if env:
            stages = env
        else:
            return "processes" if usable_cores() >= MIN_CORES_FOR_PROCESSES and _can_start_python() else "threads"
    if stages not in STAGES:
        raise BadInputError(f"stages={stages!r} is not one of auto, {', '.join(STAGES)}.")
    if stages == "processes" and not _can_start_python():
        raise BadInputError("The landmark stage can run in a child process only from a Python interpreter on "
                            "Linux or macOS.", f"Use threads ({STAGES_ENV}=threads).")
    return stages


def can_read_twice(path: str | Path) -> bool:
    """Both processes can open ``path`` each for itself: a regular file, a folder or a pattern of
    images; not a pipe or a device (``/dev/stdin``), which only one reader sees."""
    p = Path(path)
    if not p.exists():
        return True  # a glob pattern of image files
    return p.is_dir() or p.is_file()  # follows links: /dev/stdin (a pipe) is neither


# The child's program, given its socket's file descriptor: it says it runs, takes the parent's
# import path (so it imports the very same smilescope and libraries), then works.
CHILD = ("import sys; from multiprocessing.connection import Connection; c = Connection(int(sys.argv[1])); "
         "c.send(('ready',)); sys.path[:] = c.recv(); "
         "from smilescope.track.observer import observe_in_child; observe_in_child(c)")

# The child is up within this (a Python start); past it, the analysis runs in threads instead.
READY_TIMEOUT_S = 60.0


class ChildUnavailable(RuntimeError):
    """The child process could not be started, or did not answer."""


class _Child:
    """A started child Python running :data:`CHILD`, and the parent's end of its socket.

    Started before its work is known (:func:`start_early`), it imports the landmark layer and
    builds its models meanwhile, then waits for its video. Its messages go to a private
    temporary file (0600, already unlinked), quoted by :meth:`ended`; with ``SMILESCOPE_DEBUG``
    set they go to the terminal.

    Raises
    ------
    ChildUnavailable
        The interpreter could not be started, or the socket or the private file could not be
        made (no descriptors left, no usable temporary folder).
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.conn: Connection | None = None
        self.owner_pid = os.getpid()
        self._log = None
        self._ready = False
        try:
            self._start()
        except OSError as e:  # no such program, no descriptors, no temporary folder
            self.close()
            raise ChildUnavailable(f"the landmark process could not be started: {e}") from e
        except BaseException:
            self.close()
            raise

    def _start(self) -> None:
        mine, theirs = socket.socketpair()
        self.conn = Connection(mine.detach())
        # above 0-2: with stdin or stdout closed (a service), the pair can get those numbers,
        # which the child's own stdin/stdout would then overwrite
        import fcntl  # POSIX only, as this class (choose_stages checks)

        try:
            fd = fcntl.fcntl(theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 3)
        finally:
            theirs.close()
        try:
            debug = bool(os.environ.get("SMILESCOPE_DEBUG"))
            self._log = None if debug else tempfile.TemporaryFile()
            # its own process group: a Ctrl-C at the terminal reaches only the parent, which
            # ends it (not a session of its own: see ObservedElsewhere)
            self.proc = subprocess.Popen([sys.executable, "-I", "-c", CHILD, str(fd)], pass_fds=(fd,),
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                         stderr=None if debug else self._log, process_group=0)
        finally:
            os.close(fd)
        self.send(list(sys.path))  # read by the child once it runs

    def send(self, msg) -> None:
        """Send ``msg``; a child that has ended already (not a Python that runs :data:`CHILD`,
        or one started early and since stopped) is :class:`ChildUnavailable`."""
        try:
            self.conn.send(msg)
        except OSError:
            raise ChildUnavailable(f"the landmark process is not running ({self.ended()})") from None

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until the child runs (at most ``timeout_s``, default :data:`READY_TIMEOUT_S`).

        Raises
        ------
        ChildUnavailable
            It ended, or did not answer in time.
        """
        if self._ready:
            return
        deadline = time.monotonic() + (READY_TIMEOUT_S if timeout_s is None else timeout_s)
        while not self.conn.poll(0.05):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise ChildUnavailable(f"the landmark process did not start ({self.ended()})")
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            raise ChildUnavailable(f"the landmark process did not start ({self.ended()})") from None
        if msg != ("ready",):
            raise ChildUnavailable(f"the landmark process answered {msg!r:.80} instead of starting")
        self._ready = True

    def ended(self) -> str:
        """How the child ended, and the end of what it wrote."""
        try:
            rc = self.proc.wait(5)
        except subprocess.TimeoutExpired:
            return "still running, not answering"
        if rc < 0:
            name = signal.Signals(-rc).name if -rc in signal.valid_signals() else str(-rc)
            how = f"stopped by {name}" + (": out of memory?" if -rc == signal.SIGKILL else "")
        else:
            how = f"exit code {rc}"
        if self._log is not None:
            self._log.seek(0, os.SEEK_END)
            self._log.seek(max(0, self._log.tell() - 1500))
            tail = self._log.read().decode(errors="replace").strip()
            if tail:
                how += "; it wrote: " + tail
        return how

    def close(self) -> None:
        """End the child (what it would still do, close its graphs, is not needed) and wait for it."""
        if self.conn is not None:
            self.conn.close()
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
        if self._log is not None:
            self._log.close()


_early: _Child | None = None
_early_lock = threading.Lock()


def start_early() -> None:
    """Start the landmark process now, for an analysis that this process is about to run.

    For a command that analyses a video (``smilescope analyze``), called before its own
    imports: the child then imports the landmark layer and builds its models (MediaPipe's
    first graph: about 1.3 s measured on a 16-core machine) while this process loads the
    measures, instead of after. The next :class:`ObservedElsewhere` in this process takes it.
    Nothing is started where the analysis would not use a child (:func:`choose_stages`), or a
    second time. A child not taken is ended by :func:`end_early` (the analysis runs in
    threads after all), at this process's exit, and in any case on finding its socket closed
    (a process ended by ``os._exit`` or a signal). It never raises: it only saves time.
    """
    global _early
    with _early_lock:
        if _early is not None and _early.owner_pid == os.getpid():
            return
        try:
            if choose_stages("auto") != "processes":
                return
            _early = _Child()
        except Exception as e:  # noqa: BLE001 - said, or done in threads, when the analysis starts
            if os.environ.get("SMILESCOPE_DEBUG"):
                print(f"smilescope: no early landmark process: {type(e).__name__}: {e}", file=sys.stderr)


def _take_early() -> _Child | None:
    """The child started early, once, and only in the process that started it (a forked
    worker sees its parent's and leaves it)."""
    global _early
    with _early_lock:
        if _early is None or _early.owner_pid != os.getpid():
            return None
        child, _early = _early, None
        return child


def end_early() -> None:
    """End the landmark process started early, if it is still unused (an analysis that runs
    in threads after all: a pipe, models handed in; a command that ends without analysing)."""
    child = _take_early()
    if child is not None:
        child.close()


atexit.register(end_early)


class ObservedElsewhere:
    """Stage 1 in a child process, read frame by frame: :meth:`observation` pairs the parent's
    own decoded frame with the child's landmarks for it.

    The child is a plain, isolated Python process (:data:`CHILD`, ``python -I``; not
    :mod:`multiprocessing`, whose start methods either copy a parent that has threads or run the
    caller's main script again) talking over a socket pair; one started by :func:`start_early`
    is taken when there is one. It runs in its own process group, so
    a Ctrl-C at the terminal reaches only the parent, which ends it (not in a session of its own:
    where the kernel shares the CPU by session (autogroup), the child then ran against the
    parent as a separate group, and on two cores the thread pools' waiting doubled, 380 000
    against 210 000 ``sched_yield`` calls for a 30 s video, with about 1 s more); its messages (MediaPipe's,
    or why it failed) go to a private temporary file, quoted when it fails. Use as a context
    manager: leaving it (also on an error or Ctrl-C) ends the child, and so does any error in
    the constructor.
    """

    def __init__(self, path: str | Path, *, fps: float | None, mirrored: bool | None, config: PipelineConfig) -> None:
        """Start the child (or take the one started early) and hand it its work.

        Raises
        ------
        ChildUnavailable
            The interpreter could not be started.
        """
        # this module loads with the standard library only (start_early); these are loaded by now
        from smilescope.pipeline.engine import observer_settings  # noqa: PLC0415
        from smilescope.track.observer import Observation  # noqa: PLC0415

        self._observation = Observation
        self._child: _Child | None = None
        self._index = 0
        self.multi_face_seen = False
        try:
            self._child = _take_early() or _Child()
            # absolute: a child started early keeps the working folder it was started in
            self._child.send((os.path.abspath(path), fps, mirrored, observer_settings(config)))
        except BaseException:
            self.close()
            raise

    @property
    def process(self) -> subprocess.Popen:
        """The child process."""
        return self._child.proc

    def ready(self, timeout_s: float | None = None) -> None:
        """Wait until the child runs (at most ``timeout_s``, default :data:`READY_TIMEOUT_S`);
        the first :meth:`observation` waits for it too.

        Raises
        ------
        ChildUnavailable
            It ended, or did not answer in time.
        """
        self._child.ready(timeout_s)

    def _receive(self):
        self.ready()
        try:
            msg = self._child.conn.recv()
        except (EOFError, OSError):
            raise RuntimeError(f"the landmark process ended unexpectedly ({self._child.ended()})") from None
        if msg[0] == "error":
            raise msg[1]
        return msg

    def observation(self, rgb, t_s: float) -> Observation:
        """The observation of the parent's next frame (``rgb`` at ``t_s``).

        Raises
        ------
        BadInputError
            The child read the file differently (it changed between the two reads).
        """
        msg = self._receive()
        if msg[0] != "frame" or not math.isclose(msg[1], t_s, rel_tol=0, abs_tol=1e-9):
            got = "no more frames" if msg[0] == "end" else f"a frame at {msg[1]:.6f} s"
            raise BadInputError(f"The video read differently twice: {got} where frame {self._index} is at {t_s:.6f} s "
                                f"(is it still being written or copied?).",
                                f"Run it again once the file is complete, or set {STAGES_ENV}=threads to read it once.")
        face: FaceObservation | None = msg[2]
        ob = self._observation(index=self._index, t_s=t_s, rgb=rgb, face=face)
        self._index += 1
        return ob

    def finish(self) -> None:
        """After the parent's last frame: the child must have no frame more; read what it saw."""
        msg = self._receive()
        if msg[0] != "end":
            raise BadInputError(f"The video read differently twice: more than {self._index} frames the second time "
                                f"(is it still being written or copied?).",
                                f"Run it again once the file is complete, or set {STAGES_ENV}=threads to read it once.")
        self.multi_face_seen = bool(msg[1])

    def close(self) -> None:
        if self._child is not None:
            self._child.close()

    def __enter__(self) -> "ObservedElsewhere":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
