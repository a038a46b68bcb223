"""Batch analysis of video archives: many videos, one summary table, on Dask.

* :mod:`~smilescope.archive.manifest` — what to analyse: a folder's videos or a manifest CSV;
* :mod:`~smilescope.archive.runner` — :func:`batch`: one task per video on a Dask cluster,
  resumable, each video's folder written as one set;
* :mod:`~smilescope.archive.summary` — one row per video, the same columns for all.

From Python, ``smilescope.batch(...)`` is :func:`~smilescope.archive.runner.batch`.
"""

from smilescope.archive.manifest import BatchInputs, BatchItem, read_inputs
from smilescope.archive.runner import BatchProgress, BatchSettings, OutputError, batch
from smilescope.archive.summary import COLUMNS

__all__ = ["BatchInputs", "BatchItem", "BatchProgress", "BatchSettings", "COLUMNS", "OutputError", "batch", "read_inputs"]
