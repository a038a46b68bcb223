"""smilescope: smiles, facial tremor and twitches measured from ordinary video.

The faces of the product (the command line, this Python API and the local web coach,
``smilescope serve``) sit over one library::

    import smilescope
    result = smilescope.analyze("video.mp4")   # a typed smilescope.results.Analysis
    result.smile.episodes            # every smile, per-side excursion in mm
    result.to_frame()                # pandas, one row per frame
    result.to_dict()                 # the analysis.json document
    summary = smilescope.batch("videos/", out="results/")  # pandas, one row per video (Dask)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smilescope._version import __version__  # noqa: E402

from smilescope.errors import BadInputError  # noqa: E402

if TYPE_CHECKING:  # editors and type checkers see the real functions, their signatures and docstrings
    from smilescope.archive.runner import batch
    from smilescope.pipeline import analyze


def __getattr__(name: str):
    # smilescope.analyze is the pipeline's own function (its signature and docstring); the
    # pipeline loads OpenCV and MediaPipe, so it is imported on first use, not with the package
    # (light commands such as `smilescope diary list` never need it)
    if name == "analyze":
        from smilescope.pipeline import analyze

        globals()["analyze"] = analyze  # from now on a plain attribute, as if imported above
        return analyze
    if name == "batch":  # Dask and pandas: loaded on first use too
        from smilescope.archive.runner import batch

        globals()["batch"] = batch
        return batch
    raise AttributeError(f"module 'smilescope' has no attribute {name!r}")


def __dir__() -> list[str]:
    # dir(), tab completion and help(smilescope) list analyze before it is loaded
    return sorted(set(globals()) | set(__all__))


__all__ = ["__version__", "analyze", "batch", "BadInputError"]
