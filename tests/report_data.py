"""One real analysis of the bundled example video, shared by the report and CLI test modules.

Not a conftest.py: a second conftest module would shadow ``tests/conftest.py`` for the test
files that import from it. The analysis (~8 s) runs once per session, in pytest's temp folder.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "d0.mp4"
_DONE: dict[str, Path] = {}


def analysis_folder(tmp_path_factory) -> Path:
    """A folder with analysis.json and signals.csv from ``smilescope.pipeline.analyze`` on examples/d0.mp4."""
    if "d0" not in _DONE:
        from smilescope.output import save_analysis
        from smilescope.pipeline import analyze

        folder = tmp_path_factory.mktemp("d0")
        save_analysis(analyze(EXAMPLE), folder)
        _DONE["d0"] = folder
    return _DONE["d0"]


def nan_numbers(x):
    """``x`` (a typed analysis, or any part of one) with every float NaN, as in a fresh result."""
    if dataclasses.is_dataclass(x) and not isinstance(x, type):
        return dataclasses.replace(x, **{f.name: nan_numbers(getattr(x, f.name)) for f in dataclasses.fields(x) if f.init})
    if isinstance(x, dict):
        return {k: nan_numbers(v) for k, v in x.items()}
    if isinstance(x, list):
        return [nan_numbers(v) for v in x]
    return float("nan") if isinstance(x, float) else x
