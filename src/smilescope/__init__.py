"""smilescope: smiles, facial tremor and twitches measured from ordinary video.

The three faces of the product (CLI, web app, Python API) sit over one library::

    import smilescope
    result = smilescope.analyze("video.mp4")
    result.to_frame()                # pandas, one row per frame
    result.to_json()                 # the analysis.json document
"""

from __future__ import annotations

__version__ = "0.1.0"

from smilescope.errors import BadInputError  # noqa: E402


def analyze(path, **kwargs):
    """Analyse a face video; see :func:`smilescope.pipeline.analyze`."""
    from smilescope.pipeline import analyze as _analyze

    return _analyze(path, **kwargs)


__all__ = ["__version__", "analyze", "BadInputError"]
