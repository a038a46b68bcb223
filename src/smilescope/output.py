"""The one place that flattens results into files: analysis.json and signals.csv.

It writes files and draws nothing: figures are drawn by :mod:`smilescope.report.figures` and
handed to :func:`atomic_write_bytes` by whoever wants them on disk.

Files are written to a temporary name in the same folder and renamed into place, so a reader
never sees a half-written output, and a failure (a full disk) leaves the previous files intact.
"""

from __future__ import annotations

import errno
import json
import math
import os
import tempfile
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import Any

import numpy as np

from smilescope.errors import BadInputError


def plain(x: Any) -> Any:
    """JSON-ready Python: dataclasses (their ``to_dict`` when they have one) become dicts, numpy
    arrays lists, numpy scalars plain numbers, NaN and infinity ``None`` (JSON has no NaN)."""
    if hasattr(x, "to_dict") and is_dataclass(x):
        return plain(x.to_dict())
    if is_dataclass(x) and not isinstance(x, type):
        return {f.name: plain(getattr(x, f.name)) for f in fields(x)}
    if isinstance(x, dict):
        return {str(k): plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, np.ndarray):
        return plain(x.tolist())
    if isinstance(x, np.bool_):
        return bool(x)
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, (float, np.floating)):
        x = float(x)
        return x if math.isfinite(x) else None
    return x


def dumps(doc: dict, *, indent: int | None = 2) -> str:
    """JSON text with NaN/inf as ``null`` and numpy scalars as plain numbers."""
    return json.dumps(plain(doc), indent=indent, allow_nan=False)


def atomic_write(path: str | Path, write, *, binary: bool = False) -> Path:
    """Call ``write(fh)`` on a temporary text file beside ``path``, then rename it into place.

    Raises
    ------
    BadInputError
        The disk is full or the folder is not writable (nothing is left half-written).
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        raise _os_error(e, path) from e
    try:
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", newline="", encoding="utf-8")) as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as e:
        _unlink(tmp)
        raise _os_error(e, path) from e
    except BaseException:
        _unlink(tmp)
        raise
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` via a temporary file and a rename (see :func:`atomic_write`)."""
    return atomic_write(path, lambda fh: fh.write(data), binary=True)


def _unlink(p) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def _os_error(e: OSError, path: Path) -> BadInputError:
    if e.errno == errno.ENOSPC:
        return BadInputError(f"The disk is full: could not write {path}; nothing was half-written.",
                             "Free some space or choose another folder with --out.")
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BadInputError(f"Cannot write to {path.parent}: permission denied.", "Choose another folder with --out.")
    return BadInputError(f"Could not write {path}: {e.strerror}.", "Choose another folder with --out.")


def save_analysis(analysis, out_dir: str | Path) -> tuple[Path, Path]:
    """Write ``analysis.json`` and ``signals.csv`` into ``out_dir``; return both paths.

    Only these two files: figures (:mod:`smilescope.report.figures`) are the caller's to draw
    and write beside them, since this module writes and never draws.
    """
    out_dir = Path(out_dir)
    text = analysis.to_json()
    csv_path = atomic_write(out_dir / "signals.csv", analysis.signals.write_csv)
    json_path = atomic_write(out_dir / "analysis.json", lambda fh: fh.write(text + "\n"))
    return json_path, csv_path
