"""Put together what one report shows and write report.html.

The caller loads the analysis (and reads it into an :class:`~smilescope.results.Analysis`), the
stored history and diary, and the guidance (the command line does: :mod:`smilescope.cli.report`)
and hands them in; this module reads only the files of one analysis (analysis.json, the
signals.csv beside it) and checks them, so :mod:`.html` only formats data it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smilescope.errors import BadInputError
from smilescope.output import atomic_write
from smilescope.report.html import render_html, writable_text
from smilescope.signals import SignalTable

if TYPE_CHECKING:  # annotations only: smilescope.results loads OpenCV
    from smilescope.results import Analysis


@dataclass
class ReportInputs:
    """Everything one report shows; ``notes`` says what could not be included and why."""

    analysis: Analysis
    table: object | None = None
    history: object | None = None
    diary: object | None = None
    assessment: object | None = None
    answers_given: bool = False
    saved_triage: dict | None = None
    analysed_at: datetime | None = None
    folder: Path | None = None
    signals_note: str | None = None
    notes: list[str] = field(default_factory=list)


def load_json(path: Path, what: str, hint: str) -> dict:
    """Read a JSON object from ``path``; :class:`BadInputError` naming ``what`` when it cannot."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(f"The {what} {path} does not exist.", hint)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise BadInputError(f"Cannot read the {what} {path}: {e}.", hint) from e
    except RecursionError:
        raise BadInputError(f"Cannot read the {what} {path}: it is nested too deeply.", hint) from None
    if not isinstance(doc, dict):
        raise BadInputError(f"The {what} {path} is not a JSON object.", hint)
    return doc


def load_analysis(path: Path) -> dict:
    """The analysis.json document at ``path``; :class:`BadInputError` when it is not one."""
    doc = load_json(path, "analysis file", "Give the analysis.json that `smilescope analyze VIDEO --out DIR` wrote.")
    if "video" not in doc or "schema_version" not in doc:
        raise BadInputError(f"{path} is not a smilescope analysis (no 'video' or 'schema_version').",
                            "Give the analysis.json that `smilescope analyze` wrote.")
    return doc


def signals_beside(folder: Path | None, analysis: Analysis):
    """The SignalTable from ``folder/signals.csv`` (``smilescope analyze``) or, failing that,
    ``folder/signals.parquet`` (``smilescope batch``) when it exists and matches ``analysis``;
    else (None, why)."""
    found = [Path(folder) / name for name in ("signals.csv", "signals.parquet")
             if folder is not None and (Path(folder) / name).is_file()]
    if not found:
        return None, ("Plots over time need the signals.csv that `smilescope analyze` writes beside analysis.json "
                      "(or the signals.parquet of `smilescope batch`); neither was found.")
    path = found[0]
    table = SignalTable.read_csv(path) if path.suffix == ".csv" else SignalTable.read_parquet(path)
    frames = analysis.video.frames
    if frames and len(table) != frames:
        return None, (f"The {path.name} in {folder} has {len(table)} frames but this analysis has {frames}; "
                      "it belongs to another run, so plots over time are left out.")
    return table, None


def stored_origin(history) -> tuple[datetime | None, Path | None]:
    """When the latest row of a stored history was analysed, and the folder its files were
    written to (None when that folder is gone).

    Parameters
    ----------
    history : pandas.DataFrame
        ``Store.history()``, oldest first (columns ``t`` and ``source``).
    """
    if history is None or not len(history):
        return None, None
    row = history.iloc[-1]
    analysed_at = row["t"].to_pydatetime() if hasattr(row["t"], "to_pydatetime") else row["t"]
    src = Path(str(row["source"])) if row["source"] else None
    if src is not None and src.suffix == ".json":
        src = src.parent
    return analysed_at, (src if src is not None and src.is_dir() else None)


def report_inputs(analysis: Analysis, *, folder: Path | None = None, analysed_at: datetime | None = None, history=None,
                  diary=None, assessment=None, answers_given: bool = False, saved_triage: dict | None = None,
                  notes: list[str] | None = None) -> ReportInputs:
    """The inputs of one report, with the per-frame signals read from ``folder/signals.csv``.

    Parameters
    ----------
    analysis : Analysis
        The analysis (:meth:`Analysis.from_dict` of its analysis.json).
    folder : Path, optional
        Where the analysis files are; without it (or without a matching signals.csv) the report
        has no plots over time and says why.
    analysed_at : datetime, optional
    history, diary : pandas.DataFrame, optional
        ``Store.history()`` and ``Store.diary()`` for the trend section.
    assessment : smilescope.assess.Assessment, optional
        Guidance for this analysis.
    answers_given : bool
        ``assessment`` used questionnaire answers (else it rests on the measurements alone).
    saved_triage : dict, optional
        The latest triage result saved in the store (``Store.last_triage()``: ``created_at``,
        ``level``, ``result``), shown with its date.
    notes : list of str, optional
        What was left out and why.
    """
    table, signals_note = signals_beside(folder, analysis)
    return ReportInputs(analysis=analysis, table=table, history=history, diary=diary, assessment=assessment,
                        answers_given=answers_given, saved_triage=saved_triage, analysed_at=analysed_at, folder=folder, signals_note=signals_note, notes=list(notes or []))


def write_report(inp: ReportInputs, out: Path | None = None) -> Path:
    """Render ``inp`` and write the HTML atomically; default ``report.html`` beside the analysis."""
    if out is None:
        out = (inp.folder or Path.cwd()) / "report.html"
    html = render_html(inp.analysis, table=inp.table, history=inp.history, diary=inp.diary, assessment=inp.assessment,
                       answers_given=inp.answers_given, saved_triage=inp.saved_triage, analysed_at=inp.analysed_at, signals_note=inp.signals_note, notes=inp.notes)
    return atomic_write(out, lambda fh: fh.write(writable_text(html)))
