"""Where the two per-frame stages of a whole recording run: one thread, two threads or two processes.

Stage 1 (decode and landmarks, :class:`~smilescope.pipeline.engine.FaceObserver`) and stage 2
(alignment, optical flow, signals, :meth:`~smilescope.pipeline.engine.FaceAnalyzer.measure`)
each see every frame in order, so the numbers do not depend on where they run:

- ``"one"``: one after the other on the caller's thread (a batch worker, one per core);
- ``"threads"``: stage 1 in a second thread, ahead of stage 2 (two cores);
- ``"processes"``: stage 1 in a child process that decodes the video itself and sends back
  only each frame's landmarks (about 11 kB); stage 2 decodes its own copy of the frames. With
  more than two cores this is the faster way, as the two stages then share no interpreter
  lock. Measured on a 16-core machine (``benchmarks/pipeline.py``, a 30 s 720p video), the
  whole ``smilescope analyze`` took 1/0.65 of the time of bare decode + FaceMesh with the
  stages in threads, and 1/0.90 in processes (numbers identical). On two cores the child's
  second decoding and start-up take CPU the stages need (measured there: no faster), and held
  to 3 and 4 cores it gave 0.59 and 0.67 (threads on 4 cores: 0.62 in an earlier run).

``"auto"`` (the default) takes processes on more than two usable cores, else threads; the
environment variable ``SMILESCOPE_STAGES`` (``one``, ``threads``, ``processes``) overrides it.
"""

from __future__ import annotations

import math
import os
import socket
import subprocess
import sys
from multiprocessing.connection import Connection
from pathlib import Path

from smilescope.errors import BadInputError
from smilescope.pipeline.engine import Observation, PipelineConfig, observer_settings
from smilescope.track.facemesh import FaceObservation

STAGES = ("one", "threads", "processes")
STAGES_ENV = "SMILESCOPE_STAGES"


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system says; else all)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def choose_stages(stages: str = "auto") -> str:
    """``stages`` (one of :data:`STAGES`, or ``"auto"``) as it will run: the environment's
    ``SMILESCOPE_STAGES`` first, then processes on more than two usable cores, else threads.

    Raises
    ------
    BadInputError
        An unknown name, or processes where they cannot run (not POSIX).
    """
    env = os.environ.get(STAGES_ENV, "").strip().lower()
    if env:
        if env not in STAGES:
            raise BadInputError(f"The environment variable {STAGES_ENV}={env!r} is not one of {', '.join(STAGES)}.",
                                "Unset it (the default chooses by the cores free) or set one of those.")
        stages = env
    if stages == "processes" and os.name != "posix":  # the child is handed its socket by descriptor
        raise BadInputError("The landmark stage runs in a child process only on Linux and macOS.",
                            f"Use threads ({STAGES_ENV}=threads).")
    if stages == "auto":
        return "processes" if usable_cores() > 2 and os.name == "posix" else "threads"
    if stages not in STAGES:
        raise BadInputError(f"stages={stages!r} is not one of auto, {', '.join(STAGES)}.")
    return stages


# The child's program, given its socket's file descriptor.
CHILD = ("import sys; from multiprocessing.connection import Connection; "
         "from smilescope.track.observer import observe_in_child; observe_in_child(Connection(int(sys.argv[1])))")


class ObservedElsewhere:
    """Stage 1 in a child process, read frame by frame: :meth:`observation` pairs the parent's
    own decoded frame with the child's landmarks for it.

    The child is a plain Python process (:data:`CHILD`; not :mod:`multiprocessing`,
    whose start methods either copy a parent that has threads, or run the caller's main script
    again in the child) talking over a socket pair. Use as a context manager: leaving it (also
    on an error or Ctrl-C) ends the child.
    """

    def __init__(self, path: str | Path, *, fps: float | None, mirrored: bool | None, config: PipelineConfig) -> None:
        mine, theirs = socket.socketpair()
        env = dict(os.environ)
        # the child imports this very smilescope, wherever it was imported from
        here = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = os.pathsep.join([here, *filter(None, [env.get("PYTHONPATH")])])
        with theirs:
            self._proc = subprocess.Popen([sys.executable, "-c", CHILD, str(theirs.fileno())],
                                          pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL,
                                          stdout=subprocess.DEVNULL, env=env)
        self._conn = Connection(mine.detach())
        self._conn.send((str(path), fps, mirrored, observer_settings(config)))
        self._index = 0
        self.multi_face_seen = False

    def _receive(self):
        try:
            msg = self._conn.recv()
        except (EOFError, ConnectionResetError):
            raise RuntimeError(f"the landmark process ended unexpectedly (exit code {self._proc.poll()})") from None
        if msg[0] == "error":
            raise msg[1]
        return msg

    def observation(self, rgb, t_s: float) -> Observation:
        """The observation of the parent's next frame (``rgb`` at ``t_s``)."""
        msg = self._receive()
        if msg[0] != "frame" or not math.isclose(msg[1], t_s, rel_tol=0, abs_tol=1e-9):
            got = "no more frames" if msg[0] == "end" else f"a frame at {msg[1]:.6f} s"
            raise RuntimeError(f"the landmark process decoded the video differently: {got} where this process has "
                               f"frame {self._index} at {t_s:.6f} s")
        face: FaceObservation | None = msg[2]
        ob = Observation(index=self._index, t_s=t_s, rgb=rgb, face=face)
        self._index += 1
        return ob

    def finish(self) -> None:
        """After the parent's last frame: the child must have no frame more; read what it saw."""
        msg = self._receive()
        if msg[0] != "end":
            raise RuntimeError(f"the landmark process decoded more frames than this process ({self._index})")
        self.multi_face_seen = bool(msg[1])

    def close(self) -> None:
        self._conn.close()
        if self._proc.poll() is None:
            self._proc.kill()  # done or given up: what it would still do (close its graphs) is not needed
        self._proc.wait()

    def __enter__(self) -> "ObservedElsewhere":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
