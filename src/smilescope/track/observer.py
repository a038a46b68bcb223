"""Stage 1 of the per-frame engine: each frame's landmarks, in order, and its child process.

:class:`FaceObserver` holds what this stage keeps from frame to frame and nothing of the
pictures, so it runs beside the measuring stage (:mod:`smilescope.pipeline.engine`) in a thread,
or in a child process of its own (:func:`observe_in_child`, started by
:class:`smilescope.pipeline.stages.ObservedElsewhere`). That child imports only this layer
(decoding, the landmark models), not the measures.
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass

import numpy as np

from smilescope.io import open_video
from smilescope.io.ahead import prefetch
from smilescope.track.crops import SmallFaceFinder
from smilescope.track.facemesh import FaceObservation, LandmarkDetector, MediaPipeFaceMesh
from smilescope.track.models import FaceModels
from smilescope.track.multiface import FaceCounter


@dataclass(frozen=True)
class Observation:
    """Stage 1's output for one frame: the frame and its landmarks (``None``: no face)."""

    index: int
    t_s: float
    rgb: np.ndarray
    face: FaceObservation | None


class FaceObserver:
    """Stage 1 of the engine: the landmarks of each frame, in order.

    Holds what this stage keeps from frame to frame: the landmark model (FaceMesh tracks the
    face from the previous frame), the periodic look for a second face (after which the mesh
    asks for several faces and keeps the largest) and the search for a small face. It keeps no
    picture, so it can run in another thread or process than the measuring (stage 2,
    :class:`smilescope.pipeline.engine.FaceAnalyzer`); given the same frames in the same order
    it gives the same observations.

    Parameters
    ----------
    detector, count_faces, find_small_faces, models
        As :class:`smilescope.pipeline.engine.FaceAnalyzer`'s.
    face_check_interval_s : float
        How often (video time) to look for a second face.
    small_face_search_interval_s : float
        When the full frame shows no face, how often to search enlarged windows of it.
    min_face_px : float
        The narrowest face the small-face search reports (px).
    """

    def __init__(self, *, detector: LandmarkDetector | None = None, count_faces: bool = True,
                 find_small_faces: bool = True, models: FaceModels | None = None, face_check_interval_s: float = 1.0,
                 small_face_search_interval_s: float = 0.5, min_face_px: float = 60.0) -> None:
        self.face_check_interval_s = float(face_check_interval_s)
        self._models = models if detector is None else None
        self._own_detector = detector is None
        self._detector = detector if detector is not None else (self._models.tracker(1) if self._models else MediaPipeFaceMesh())
        self._counter = ((self._models.counter() if self._models else FaceCounter())
                         if count_faces and self._own_detector else None)
        self._small = (SmallFaceFinder(search_interval_s=small_face_search_interval_s, min_face_px=min_face_px,
                                       finder=self._models.still() if self._models else None)
                       if find_small_faces and self._own_detector else None)
        self._multi = False
        self._last_check_t = -math.inf
        self._index = 0
        self._last_t_s = -math.inf

    @property
    def multi_face_seen(self) -> bool:
        """The periodic face check saw a second face (the mesh then follows several)."""
        return self._multi

    @property
    def small_face_searches(self) -> int:
        """How many times the frame was searched for a small face (the full frame showed none)."""
        return 0 if self._small is None else self._small.searches

    def observe(self, rgb: np.ndarray, t_s: float) -> Observation:
        """Landmarks of one frame (and, now and then, a count of the faces).

        Raises
        ------
        ValueError
            ``t_s`` is not a finite time after the previous frame's: every measure reads time
            from the frames' own timestamps (a video file's reader guarantees them; a camera
            loop must drop a frame that comes with an earlier time).
        """
        if not (math.isfinite(t_s) and t_s > self._last_t_s):
            raise ValueError(f"frame time {t_s!r} s is not a finite time after the previous frame's "
                             f"({self._last_t_s:.4f} s): give frames in the order taken, each with its own time")
        self._last_t_s = float(t_s)
        i = self._index
        self._index += 1
        self._check_faces(rgb, t_s)
        face = self._detector(rgb)
        if self._small is not None:
            if face is None:
                face = self._small(rgb, t_s)  # a small face the full frame misses
            elif self._small.following:
                self._small.reset()
        return Observation(index=i, t_s=t_s, rgb=rgb, face=face)

    def close(self) -> None:
        if self._small is not None:
            self._small.close()
        if self._models is not None:
            return  # the graphs are the process's, kept for its next recording
        if self._own_detector:
            self._detector.close()
        if self._counter is not None:
            self._counter.close()

    def __enter__(self) -> "FaceObserver":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_faces(self, rgb: np.ndarray, t_s: float) -> None:
        if self._counter is None or self._multi or t_s - self._last_check_t < self.face_check_interval_s:
            return
        self._last_check_t = t_s
        if self._counter(rgb) > 1:
            # from now on ask the mesh for several faces and keep the largest
            if self._models is not None:
                self._detector = self._models.tracker(3)
            else:
                self._detector.close()
                self._detector = MediaPipeFaceMesh(max_num_faces=3)
            self._multi = True


# How far the child's landmarks may run ahead of the parent's measuring, in frames: about 8 s of
# 30 fps video, 3 MB of landmarks (11.7 kB a frame). The socket alone holds about 17 frames, so
# without this the landmark model, the slower stage, would wait whenever the measuring is slow
# for a moment (its start-up, a calibration frame).
SEND_AHEAD_FRAMES = 256


def observe_in_child(conn) -> None:
    """The child process: build the landmark models, receive ``(path, fps, mirrored, settings)``
    (``settings``: the :class:`FaceObserver` keywords), decode the video and send each frame's
    ``("frame", t_s, face)``, then ``("end", multi_face_seen)``; an error is sent as
    ``("error", exception)``. A send to a parent that has gone (killed) fails, and the child
    ends with it; so does a parent that closes the socket before sending work.

    The models are built before the work arrives: a child started early (before the parent's
    own imports, :func:`smilescope.pipeline.stages.start_early`) builds them meanwhile. They
    are :class:`FaceModels`, reset for the recording, so the landmarks are those of new ones.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which ends this process
    models = FaceModels()
    try:
        models.tracker(1)
        models.counter()
        models.still()
        path, fps, mirrored, settings = conn.recv()
        with open_video(path, fps=fps, mirrored=mirrored) as src, FaceObserver(models=models, **settings) as observer:
            # decoding runs a frame ahead of the landmark model (FFmpeg releases the lock), in
            # a thread driven by the landmark model's own thread, and the sending behind both
            frames = prefetch(src, depth=4)
            ahead = prefetch(((ob.t_s, ob.face) for ob in (observer.observe(f.rgb, f.t_s) for f in frames)),
                             depth=SEND_AHEAD_FRAMES)
            try:
                for t_s, face in ahead:
                    conn.send(("frame", t_s, face))
            finally:
                # on an error too, both threads end before the video closes: the landmark
                # thread first (it drives the decoding), then the decoding; a decoder still
                # running at the close would raise its own error in place of the real one
                ahead.close()
                frames.close()
            conn.send(("end", observer.multi_face_seen))
    except (BrokenPipeError, ConnectionResetError, EOFError):
        return  # the parent stopped reading, or never sent work: nothing to tell
    except BaseException as e:  # noqa: BLE001 - handed to the parent, which raises it
        try:
            conn.send(("error", e))
        except Exception:  # an exception that does not pickle: its words
            conn.send(("error", RuntimeError(f"{type(e).__name__}: {e}")))
    finally:
        conn.close()
        models.close()
