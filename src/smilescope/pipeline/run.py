"""Whole recordings: :func:`analyze` reads a video and composes the stages; it writes nothing.

decode and landmarks, stage 1 (a thread, or a child process on four or more cores) ->
alignment, flow and signals, stage 2 (the caller's thread) -> finishing (calibration, quality)
-> every measure (``measures.registry``). FFmpeg, MediaPipe and OpenCV release the GIL, so on
two cores the stages overlap across frames in two threads; where they run is chosen in
:mod:`smilescope.pipeline.stages`. Each stage still sees its frames in order, so the numbers do
not depend on the overlap. (On two cores, decoding in a third thread was no faster: measured
11.0 s against 10.4 s for a 30 s video.)
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable
from pathlib import Path

from smilescope.io import open_video
from smilescope.io.ahead import prefetch
from smilescope.measures.registry import MeasureContext, measure_all
from smilescope.pipeline.engine import FaceAnalyzer, FrameResult, PipelineConfig
from smilescope.pipeline.finish import finish
from smilescope.pipeline.stages import ChildUnavailable, ObservedElsewhere, can_read_twice, choose_stages, end_early
from smilescope.results import Analysis, Peaks, Reference
from smilescope.track.facemesh import LandmarkDetector
from smilescope.track.models import FaceModels


# SciPy's submodules load on first use (about 0.5 s of imports the measures need at the end).
# They load in a thread once the landmark model is built, beside the first frames, instead of
# after the last frame. Not before: imports hold the interpreter lock, and beside MediaPipe's own
# import (0.45 s, the first frame waits for it) they made that take 0.9-1.0 s instead.
MEASURE_MODULES = ("scipy.signal", "scipy.stats", "scipy.ndimage", "scipy.interpolate")


class _Warm:
    """The measure modules' import, started in a thread by :meth:`start` and awaited by
    :meth:`join` (a no-op when it was never started)."""

    def __init__(self) -> None:
        self._th: threading.Thread | None = None

    def start(self) -> None:
        if self._th is None:
            self._th = threading.Thread(target=lambda: [importlib.import_module(m) for m in MEASURE_MODULES],
                                        daemon=True)
            self._th.start()

    def join(self) -> None:
        if self._th is not None:
            self._th.join()


def analyze(
    path: str | Path,
    *,
    fps: float | None = None,
    mirrored: bool | None = None,
    config: PipelineConfig = PipelineConfig(),
    detector: LandmarkDetector | None = None,
    iris_detector: LandmarkDetector | None = None,
    progress: Callable[[int, int], None] | None = None,
    models: FaceModels | None = None,
    one_core: bool = False,
    stages: str = "auto",
) -> Analysis:
    """Analyse a face video (or image sequence) into calibrated signals and every measure.

    Parameters
    ----------
    path : str or Path
        Video file (mp4, mov, avi, webm, mkv, ...), a folder of images, or a glob pattern.
    fps : float, optional
        Frame rate of an image sequence (video files carry their own timestamps).
    mirrored : bool, optional
        The video plays as a mirror image of the person (a selfie recording): its frames are
        flipped back before measuring, so sides stay the person's own. ``None`` (default): as
        the file says (a display matrix that mirrors the picture), else not mirrored; the
        ``video`` block records what was used (``mirrored``, ``mirrored_by``).
    config : PipelineConfig
    detector, iris_detector : LandmarkDetector, optional
        Another landmark backend (tests use recorded landmarks); see :class:`FaceAnalyzer`.
    progress : callable(done, total), optional
        Called after each frame; ``total`` is the container's frame count (0 if unknown).
    models : FaceModels, optional
        MediaPipe graphs to reuse (reset) rather than build: a batch worker passes its own
        (:func:`smilescope.track.models.process_models`). The numbers are the same.
    one_core : bool
        Work on one core: decode on this thread and run the landmark stage in turn with the
        alignment, instead of ahead of it in a second thread (the default overlaps them on two
        cores). A batch worker, one per core, uses it; the numbers are the same either way.
    stages : {"auto", "one", "threads", "processes"}
        Where the landmark stage runs (:mod:`smilescope.pipeline.stages`): ``"auto"`` takes a
        child process on at least four usable cores, else a second thread; ``one_core=True``
        means ``"one"``; the environment variable ``SMILESCOPE_STAGES`` decides what is left to
        ``"auto"``. Only
        the default landmark models run in a child process (an injected ``detector`` or
        ``models`` run in threads). The numbers are the same every way.

    Returns
    -------
    Analysis
        Typed blocks (``smile``, ``shake``, ``blinks``, ``twitches``, ``synkinesis``, ``flags``,
        ``quality``, ...), the per-frame ``signals`` and the ``calibration``;
        :meth:`Analysis.to_dict` is the analysis.json document.

    Raises
    ------
    BadInputError
        Unreadable input, no usable face, a face too small, a head turned away throughout.
    """
    warm = _Warm()
    try:
        return _analyze(path, warm, fps=fps, mirrored=mirrored, config=config, detector=detector,
                        iris_detector=iris_detector, progress=progress, models=models,
                        stages="one" if one_core else stages)
    finally:
        # also on an error or Ctrl-C: a process that exits while this thread is still importing a
        # compiled module can crash at shutdown (a segfault, seen with Ctrl-C during the first frames)
        warm.join()


def _analyze(path, warm: _Warm, *, fps, mirrored, config, detector, iris_detector, progress, models,
             stages) -> Analysis:
    how = choose_stages(stages)
    if how == "processes" and (detector is not None or iris_detector is not None or models is not None
                               or not can_read_twice(path)):
        how = "threads"  # what was handed in lives in this process; a pipe can be read once
    if how != "processes":
        end_early()  # a landmark process started for this analysis (smilescope analyze) is not needed
    results: list[FrameResult] = []

    def step(ob) -> None:
        results.append(fa.measure(ob))
        if progress is not None:
            progress(len(results), total)

    with open_video(path, fps=fps, mirrored=mirrored, threaded_decode=how != "one") as src:
        info = src.info
        total = int(info.frames or 0)
        if how == "processes":
            try:
                elsewhere = ObservedElsewhere(path, fps=fps, mirrored=mirrored, config=config)
            except ChildUnavailable:
                how = "threads"
        if how == "processes":
            try:
                with FaceAnalyzer(config=config, observe_here=False) as fa:  # built while the child builds its own
                    elsewhere.ready()
                    warm.start()
                    for f in prefetch(src, depth=4):  # this process's own decoding, beside the measuring
                        step(elsewhere.observation(f.rgb, f.t_s))
                    elsewhere.finish()
                    reference_t_s, reference_face = fa.reference_t_s, fa.reference_face_px()
                    multi = fa.multi_face_seen or elsewhere.multi_face_seen
            except ChildUnavailable:
                how = "threads"  # no child Python here (an embedded interpreter, say): the same, in threads
            finally:
                elsewhere.close()
        if how != "processes":
            with FaceAnalyzer(detector=detector, iris_detector=iris_detector, config=config, models=models) as fa:
                warm.start()
                observed = (fa.observe(f.rgb, f.t_s) for f in src)
                for ob in (prefetch(observed, depth=4) if how == "threads" else observed):
                    step(ob)
                reference_t_s, reference_face = fa.reference_t_s, fa.reference_face_px()
                multi = fa.multi_face_seen
        warnings = list(src.warnings)
    warm.join()
    fin = finish(results, path=path, info=info, warnings=warnings, multi_face=multi, config=config)
    k = fin.calibration.mm_per_px
    points_mm = {name: [float(v[0] * k), float(v[1] * k)] for name, v in reference_face.items()}
    m = measure_all(fin.table, MeasureContext.of(noise_floor_mm=fin.quality.noise_floor_mm, reference_points_mm=points_mm,
                                                 mm_per_px=fin.quality.mm_per_px))
    fin.quality.warnings.extend(m.warnings)
    return Analysis(video=fin.video, quality=fin.quality, head_motion=fin.head_motion, smile=m.smile, shake=m.shake,
                    blinks=m.blinks, twitches=m.twitches, synkinesis=m.synkinesis, flags=m.flags,
                    reference=Reference(t_s=reference_t_s, points_mm=points_mm),
                    # movement from the first frame is a measure only where that face was found relaxed
                    # somewhere: without, it is movement from an expression (a 23 mm "cheek movement"
                    # with the lips pressed), so it is not given (null), as the summary and report show none
                    peaks=fin.peaks if m.smile.relaxed_face is not False else Peaks(),
                    signals=m.table, calibration=fin.calibration, extra=m.extra)
