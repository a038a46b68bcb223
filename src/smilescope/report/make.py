"""Gather what a report needs (analysis, signals, history, guidance) and write report.html.

This is the boundary: files and the store are read and checked here, so :mod:`.html` only
formats data it is given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Mapping

from smilescope.errors import BadInputError


@dataclass
class ReportInputs:
    """Everything one report shows; ``notes`` says what could not be included and why."""

    doc: dict
    table: object | None = None
    history: object | None = None
    diary: object | None = None
    assessment: object | None = None
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
    if not isinstance(doc, dict):
        raise BadInputError(f"The {what} {path} is not a JSON object.", hint)
    return doc


def load_analysis(path: Path) -> dict:
    doc = load_json(path, "analysis file", "Give the analysis.json that `smilescope analyze VIDEO --out DIR` wrote.")
    if "video" not in doc or "schema_version" not in doc:
        raise BadInputError(f"{path} is not a smilescope analysis (no 'video' or 'schema_version').",
                            "Give the analysis.json that `smilescope analyze` wrote.")
    return doc


def signals_beside(folder: Path | None, doc: Mapping):
    """The SignalTable from ``folder/signals.csv`` when it exists and matches ``doc``; else (None, why)."""
    from smilescope.signals import SignalTable

    if folder is None or not (Path(folder) / "signals.csv").is_file():
        return None, "Plots over time need the signals.csv that `smilescope analyze` writes beside analysis.json; it was not found."
    table = SignalTable.read_csv(Path(folder) / "signals.csv")
    frames = (doc.get("video") or {}).get("frames")
    if frames and len(table) != frames:
        return None, (f"The signals.csv in {folder} has {len(table)} frames but this analysis has {frames}; "
                      "it belongs to another run, so plots over time are left out.")
    return table, None


def _store_url_off(db: str | None) -> bool:
    from smilescope.store import default_url

    return (db or default_url()).strip().lower() == "off"


def gather(analysis: Path | None = None, *, last: bool = False, answers: Path | None = None,
           db: str | None = None) -> ReportInputs:
    """Collect the inputs of one report: from an analysis.json file, or the latest stored analysis.

    Raises
    ------
    BadInputError
        Neither or both of ``analysis`` and ``last``; an unreadable file; an empty store with
        ``last``; answers that fail :func:`smilescope.assess.validate_answers`.
    """
    from smilescope.assess import assess, validate_answers

    if (analysis is None) == (not last):
        raise BadInputError("Give either an analysis.json file or --last, not " + ("both." if last else "neither."),
                            "Example: smilescope report out/demo/analysis.json")
    raw_answers = None
    if answers is not None:
        raw_answers = validate_answers(load_json(answers, "answers file",
                                                 "Give a JSON object of questionnaire answers (see `smilescope triage --help`)."))
    inp: ReportInputs
    if last:
        inp = _from_store(db)
    else:
        analysis = Path(analysis)
        inp = ReportInputs(doc=load_analysis(analysis), folder=analysis.parent,
                           analysed_at=datetime.fromtimestamp(analysis.stat().st_mtime))
        inp.history, inp.diary = _history(db, inp.notes)
    inp.table, inp.signals_note = signals_beside(inp.folder, inp.doc)
    inp.assessment = assess(raw_answers, inp.doc)
    return inp


def _from_store(db: str | None) -> ReportInputs:
    from smilescope.store import Store

    if _store_url_off(db):
        raise BadInputError("--last needs the history, but the store is switched off (SMILESCOPE_DB=off).",
                            "Give an analysis.json file instead.")
    with Store(db) as store:
        doc = store.last_analysis()
        history, diary = store.history(), store.diary()
    if doc is None:
        raise BadInputError("No analysis is stored yet, so --last has nothing to report.",
                            "Run `smilescope analyze VIDEO --out DIR` first, or give an analysis.json file.")
    inp = ReportInputs(doc=doc, history=history, diary=diary)
    if len(history):
        row = history.iloc[-1]
        inp.analysed_at = row["t"].to_pydatetime() if hasattr(row["t"], "to_pydatetime") else row["t"]
        src = Path(str(row["source"])) if row["source"] else None
        if src is not None and src.suffix == ".json":
            src = src.parent
        inp.folder = src if src is not None and src.is_dir() else None
    return inp


def _history(db: str | None, notes: list[str]):
    """Stored history and diary for the trend section; a store problem leaves them out with a note."""
    from smilescope.store import Store

    if _store_url_off(db):
        return None, None
    try:
        with Store(db) as store:
            return store.history(), store.diary()
    except BadInputError as e:
        if db is not None:  # the user named this database: say so loudly
            raise
        notes.append(f"The history could not be read: {e}")
        return None, None


def write_report(inp: ReportInputs, out: Path | None = None) -> Path:
    """Render ``inp`` and write the HTML atomically; default ``report.html`` beside the analysis."""
    from smilescope.output import atomic_write
    from smilescope.report.html import render_html

    if out is None:
        out = (inp.folder or Path.cwd()) / "report.html"
    html = render_html(inp.doc, table=inp.table, history=inp.history, diary=inp.diary, assessment=inp.assessment,
                       analysed_at=inp.analysed_at, signals_note=inp.signals_note, notes=inp.notes)
    return atomic_write(out, lambda fh: fh.write(html))
