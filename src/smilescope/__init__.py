"""smilescope: smiles, facial tremor and twitches measured from ordinary video.

The faces of the product (the command line, this Python API and the local web coach,
``smilescope serve``) sit over one library::

    import smilescope
    result = smilescope.analyze("video.mp4")   # a typed smilescope.results.Analysis
    result.smile.episodes            # every smile, per-side excursion in mm
    result.to_frame()                # pandas, one row per frame
    result.to_dict()                 # the analysis.json document
    summary = smilescope.batch("videos/", out="results/")  # pandas, one row per video (Dask)
    photos = smilescope.photo(["rest.jpg", "smile.jpg"], expressions=["rest", "smile"], out="out/photos")
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from smilescope._version import __version__  # noqa: E402

from smilescope.errors import BadInputError  # noqa: E402

if TYPE_CHECKING:  # editors and type checkers see the real functions, their signatures and docstrings
    from smilescope.archive.runner import batch
    from smilescope.pipeline import analyze
    from smilescope.pipeline.photo import PhotoSet


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


def photo(images: str | Path | Sequence[str | Path], *, expressions: str | Sequence[str] | None = None,
          mirrored: bool = False, out: str | Path | None = None,
          progress: Callable[[int, int], None] | None = None) -> "PhotoSet":
    """Facial-palsy measures from photos of one person, as ``smilescope photo`` gives them.

    Parameters
    ----------
    images : path or list of paths
        A rest photo, and optionally the expression set (JPEG, PNG, WebP, TIFF).
    expressions : str or list of str, optional
        What each photo shows, one per photo in order, or one for all: ``rest``, ``brow_raise``,
        ``eye_closure``, ``smile``, ``snarl``, ``pucker`` (default: all ``rest``).
    mirrored : bool
        The photos are mirror images (a selfie saved as seen): flipped back so that sides stay
        the person's own.
    out : path, optional
        A folder to write, as the command does: ``photo.json`` and an annotated picture of each
        photo (the folder is replaced as a whole; one holding other files is refused before any
        photo is read).
    progress : callable(done, total), optional
        Called after each photo is analysed (as ``smilescope.analyze``'s after each frame).

    Returns
    -------
    smilescope.pipeline.photo.PhotoSet
        ``document`` (photo.json's document) and ``photos`` (each photo's typed result, in order).

    Raises
    ------
    BadInputError
        An unreadable photo, no face or a face too small, an unknown expression, a refused folder.
    """
    # OpenCV and MediaPipe load on first use, as for smilescope.analyze; the writer with them
    from smilescope.output import check_out_dir, save_run  # noqa: PLC0415
    from smilescope.pipeline.photo import analyze_photos  # noqa: PLC0415
    from smilescope.report.annotate import photo_files  # noqa: PLC0415

    paths = [images] if isinstance(images, (str, Path)) else list(images)
    if isinstance(expressions, str):
        expressions = [expressions]
    if out is not None:
        check_out_dir(out, kind="photo")  # refused before minutes of work, not after
    result = analyze_photos(paths, expressions=expressions, mirrored=mirrored, progress=progress)
    if out is not None:
        save_run(out, photo_files(result))
    return result


def __dir__() -> list[str]:
    # dir(), tab completion and help(smilescope) list analyze before it is loaded
    return sorted(set(globals()) | set(__all__))


__all__ = ["__version__", "analyze", "batch", "photo", "BadInputError"]
