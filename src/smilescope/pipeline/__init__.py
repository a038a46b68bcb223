"""The one place that wires a video through everything, as stages of the data flow.

* :mod:`~smilescope.pipeline.engine` — :class:`FaceAnalyzer`: one frame in, one
  :class:`FrameResult` out (landmarks, alignment, optical flow, signals in pixels);
* :mod:`~smilescope.pipeline.pixels` — measures read from the pixels (skin anchors, teeth shown);
* :mod:`~smilescope.pipeline.finish` — a recording's frames -> calibrated signal table, quality;
* :mod:`~smilescope.pipeline.run` — :func:`analyze`: decode -> engine -> finish -> measures;
* :mod:`~smilescope.pipeline.live` — :class:`LiveMeasures`: the coach's per-frame read-out;
* :mod:`~smilescope.pipeline.photo` — still photos: landmarks (each half of the face fitted on its own),
  the static measures and the movement between a rest photo and an expression photo;
* :mod:`~smilescope.pipeline.overlay` — key frames of a video with the tracked points drawn
  (``analyze --overlay``).
"""

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # editors and type checkers see the real names
    from smilescope.pipeline.engine import FaceAnalyzer, FrameResult, Observation, PipelineConfig
    from smilescope.pipeline.live import LiveFrame, LiveMeasures
    from smilescope.pipeline.run import analyze
    from smilescope.results import Analysis
    from smilescope.signals import HEAD_SIGNALS

# Loaded on first use, not with the package: OpenCV and MediaPipe take most of a second, and
# smilescope.pipeline.stages.start_early must run before them (it starts the landmark process
# while they load).
__all__ = ["Analysis", "FaceAnalyzer", "FrameResult", "HEAD_SIGNALS", "LiveFrame", "LiveMeasures", "Observation",
           "PipelineConfig", "analyze"]


def __getattr__(name: str):
    if name in ("FaceAnalyzer", "FrameResult", "Observation", "PipelineConfig"):
        from smilescope.pipeline import engine as module
    elif name in ("LiveFrame", "LiveMeasures"):
        from smilescope.pipeline import live as module
    elif name == "analyze":
        from smilescope.pipeline import run as module
    elif name == "Analysis":
        from smilescope import results as module
    elif name == "HEAD_SIGNALS":
        from smilescope import signals as module
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(module, name)  # from now on a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
