"""What a batch analyses: the videos of a folder, or the rows of a manifest CSV.

A manifest is a CSV with a ``path`` column (a video file, or a folder of images; relative
paths are read from the manifest's own folder) and optional ``subject``, ``session`` and
``label`` columns, which are carried into the results. Each video gets its own results folder
inside the batch's output folder, named after its path (:attr:`BatchItem.name`).

Validation happens here, at the boundary: a manifest without a ``path`` column, with a path
twice, or with no rows is refused as a whole (:class:`BadInputError`), before any work. A
listed file that is missing is *not* refused here: it becomes a failed row of the summary
("file not found"), so that one typing error does not hold up a thousand videos.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smilescope.errors import BadInputError

#: Files a folder's batch takes as videos (FFmpeg reads many more; list those in a manifest).
VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".avi", ".webm", ".mkv", ".mpg", ".mpeg", ".wmv", ".3gp", ".mts", ".m2ts")
#: Manifest columns carried into the results, beside the required ``path``.
CARRIED = ("subject", "session", "label")


@dataclass(frozen=True)
class BatchItem:
    """One video of a batch.

    Attributes
    ----------
    path : Path
        The video (absolute).
    name : str
        Its results folder's name inside the batch's output folder (unique in the batch).
    subject, session, label : str
        From the manifest ("" when not given).
    """

    path: Path
    name: str
    subject: str = ""
    session: str = ""
    label: str = ""


@dataclass(frozen=True)
class BatchInputs:
    """The videos of a batch and what was left out of it (for the user to see)."""

    items: tuple[BatchItem, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def read_inputs(source, *, out_dir: Path | None = None) -> BatchInputs:
    """The videos of ``source``: a folder, a manifest CSV, a list of paths, or a pandas
    DataFrame with a ``path`` column (and optionally ``subject``, ``session``, ``label``).

    Parameters
    ----------
    out_dir : Path, optional
        The batch's output folder; when it lies inside a folder being read, it is not read.

    Raises
    ------
    BadInputError
        Nothing to analyse; a manifest that cannot be read, lacks a ``path`` column, or lists
        a path twice.
    """
    if hasattr(source, "columns") and hasattr(source, "to_dict"):  # a pandas DataFrame
        return _from_rows(_frame_rows(source), base=Path.cwd(), what="the table")
    if isinstance(source, (str, bytes, os.PathLike)):
        p = Path(os.fsdecode(source)).expanduser()
        if p.is_dir():
            if out_dir is not None and out_dir.resolve() == p.resolve():
                raise BadInputError(f"The output folder is the videos' own folder ({p}).",
                                    "Give another folder for the results (--out), e.g. results/.")
            return _from_folder(p, out_dir=out_dir)
        if p.suffix.lower() == ".csv" and p.is_file():
            return _from_rows(_csv_rows(p), base=p.resolve().parent, what=str(p))
        if not p.exists():
            raise BadInputError(f"{source} does not exist.",
                                "Give a folder of videos or a manifest CSV with a 'path' column.")
        return _from_rows([{"path": str(p)}], base=Path.cwd(), what=str(p))  # one video
    if isinstance(source, Iterable):
        rows = [{"path": str(x)} for x in source]
        return _from_rows(rows, base=Path.cwd(), what="the list of videos")
    raise BadInputError(f"Cannot read a batch from a {type(source).__name__}.",
                        "Give a folder, a manifest CSV, a list of paths or a DataFrame with a 'path' column.")


# -- sources --------------------------------------------------------------------------------

def _from_folder(folder: Path, *, out_dir: Path | None) -> BatchInputs:
    root = folder.resolve()
    skip = out_dir.resolve() if out_dir is not None else None
    videos, others, hidden = [], Counter(), []
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            # hidden files and folders (including smilescope's own temporaries); a hidden video
            # outside a hidden folder is named, so it is not left out without a word
            if p.name.startswith(".") and not any(part.startswith(".") for part in rel.parts[:-1]) \
                    and p.suffix.lower() in VIDEO_SUFFIXES and p.is_file():
                hidden.append(rel.as_posix())
            continue
        if skip is not None and (p == skip or skip in p.parents):
            continue
        if not p.is_file():
            continue
        if p.suffix.lower() in VIDEO_SUFFIXES:
            videos.append(p)
        else:
            others[p.suffix.lower() or "(no extension)"] += 1
    notes = []
    if others:
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(others.items()))
        notes.append(f"{sum(others.values())} other file(s) in {folder} were not taken as videos ({kinds}); "
                     "list any that are videos in a manifest CSV")
    if hidden:
        notes.append(f"{len(hidden)} hidden video(s) in {folder} were left out ({', '.join(hidden[:3])}"
                     f"{' ...' if len(hidden) > 3 else ''}); list them in a manifest CSV to analyse them")
    if not videos:
        raise BadInputError(f"No video files in {folder} (looked for {' '.join(VIDEO_SUFFIXES)}).",
                            "Give the folder that holds the videos, or a manifest CSV with a 'path' column.")
    names = _names([p.relative_to(root) for p in videos], videos)
    return BatchInputs(tuple(BatchItem(path=p, name=n) for p, n in zip(videos, names)), tuple(notes))


def _csv_rows(path: Path) -> list[dict[str, str]]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            fields = [f.strip().lower() for f in (reader.fieldnames or [])]
            rows = []
            for raw in reader:
                row = {k.strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(k, str)}
                row["_line"] = str(reader.line_num)
                rows.append(row)
    except UnicodeDecodeError as e:
        raise BadInputError(f"{path} is not a text CSV file (UTF-8): {e.reason} at byte {e.start}.",
                            "Save the manifest as CSV (UTF-8) with a 'path' column.") from e
    except (OSError, csv.Error) as e:
        raise BadInputError(f"Cannot read the manifest {path}: {e}.",
                            "Give a CSV file with a 'path' column.") from e
    twice = sorted({f for f in fields if fields.count(f) > 1})
    if twice:
        raise BadInputError(f"The manifest {path} has the column(s) {', '.join(twice)} more than once "
                            "(names are read without case).", "Keep one column of each name.")
    if "path" not in fields:
        raise BadInputError(f"The manifest {path} has no 'path' column (its columns: {', '.join(fields) or 'none'}).",
                            "Add a header line with a 'path' column (and optionally subject, session, label).")
    for r in rows:
        r["_columns"] = fields  # type: ignore[assignment]
    return rows


def _frame_rows(frame) -> list[dict[str, str]]:
    cols = [str(c).strip().lower() for c in frame.columns]
    if "path" not in cols:
        raise BadInputError(f"The table has no 'path' column (its columns: {', '.join(cols)}).",
                            "Give a DataFrame with a 'path' column (and optionally subject, session, label).")
    rows = []
    def text(v) -> str:
        if v is None or v != v:  # None, NaN
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))  # a subject column with a gap becomes floats: 12.0 is subject 12
        return str(v).strip()

    for rec in frame.to_dict(orient="records"):
        row = {str(k).strip().lower(): text(v) for k, v in rec.items()}
        row["_columns"] = cols  # type: ignore[assignment]
        rows.append(row)
    return rows


def _from_rows(rows: Sequence[dict], *, base: Path, what: str) -> BatchInputs:
    blank = [r for r in rows if not r.get("path", "").strip() and any(v for k, v in r.items() if not k.startswith("_"))]
    rows = [r for r in rows if r.get("path", "").strip()]
    if not rows:
        raise BadInputError(f"{what} lists no videos (no row with a path).", "Add one row per video with its path.")
    paths = []
    for r in rows:
        p = Path(r["path"]).expanduser()
        paths.append(p if p.is_absolute() else base / p)
    resolved = [p.resolve() for p in paths]
    twice = [str(p) for p, n in Counter(resolved).items() if n > 1]
    if twice:
        raise BadInputError(f"{what} lists the same video more than once: {', '.join(twice[:3])}.",
                            "Keep one row per video (a second session is a second file).")
    notes = []
    if blank:
        where = ", ".join(r.get("_line", "?") for r in blank[:5])
        notes.append(f"{len(blank)} row(s) of {what} have no path and were left out (line {where})")
    extra = sorted(set(rows[0].get("_columns", ())) - {"path", *CARRIED})
    if extra:
        notes.append(f"columns not carried into the results: {', '.join(extra)} (to join them, resolve the "
                     f"manifest's paths from {base}: the summary's 'path' is each video's absolute path)")
    names = _names([_relative(p, base) for p in paths], resolved)
    items = tuple(BatchItem(path=p, name=n, **{c: r.get(c, "") for c in CARRIED})
                  for p, n, r in zip(resolved, names, rows))
    return BatchInputs(items, tuple(notes))


# -- names ----------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w-]+")  # \w: letters and digits of any script, and _ (Zoë stays Zoë)
#: What the batch's own files are called: no video's folder may take these names.
RESERVED = frozenset({"summary", "summary_csv", "summary_parquet"})


def _relative(p: Path, base: Path) -> Path:
    """``p`` below ``base`` as given (a symlinked folder stays as named), else its name only."""
    for b in (base, base.resolve()):
        try:
            return p.relative_to(b) if p.is_absolute() else p
        except ValueError:
            continue
    return Path(p.name)


def _names(relative: Sequence[Path], absolute: Sequence[Path]) -> list[str]:
    """A results folder name per video, from its path below the batch's root: the folders
    joined by ``__`` and the stem, every other character than letters (of any script), digits,
    ``-`` and ``_`` made ``_`` (``clinic/p01/smile.mp4`` -> ``clinic__p01__smile``); where two would share a
    name (case aside), the suffix and then a short hash of the absolute path are added."""

    def base(rel: Path, with_suffix: bool) -> str:
        parts = [*(x for x in rel.parent.parts if x not in ("..", ".", "/")),
                 rel.stem + (("_" + rel.suffix.lstrip(".")) if with_suffix and rel.suffix else "")]
        parts = [unicodedata.normalize("NFC", x) for x in parts]  # an accent as one letter, not letter + mark
        name = "__".join(_UNSAFE.sub("_", x).strip("_-") or "_" for x in parts)[-120:].lstrip("_-")
        return name if name and name.lower() not in RESERVED else f"video_{name}"

    def digest(p: Path) -> str:
        return hashlib.sha256(os.fsencode(str(p))).hexdigest()[:8]

    names = [base(r, False) for r in relative]
    seen = Counter(n.lower() for n in names)
    names = [base(r, True) if seen[n.lower()] > 1 else n for r, n in zip(relative, names)]
    seen = Counter(n.lower() for n in names)
    return [f"{n}-{digest(a)}" if seen[n.lower()] > 1 else n for a, n in zip(absolute, names)]
