"""``smilescope report``: the HTML (and PDF) report of one analysis.

Thin: load the analysis (a file, or the latest in the store), the stored history, diary and
latest saved triage result, and the guidance for it, hand them to :mod:`smilescope.report.make`
(which never opens the store itself), print what was written.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from smilescope.assess import assess
from smilescope.cli.console import exit_on_bad_input, out, safe
from smilescope.cli.store import store_off
from smilescope.cli.triage import checked_answers
from smilescope.errors import BadInputError
from smilescope.inputs import ANALYSIS_HINT, read_analysis_doc, read_json
from smilescope.output import atomic_write
from smilescope.report import browser, make
from smilescope.report.html import writable_text
from smilescope.report.photo_html import HINT as PHOTO_HINT, photo_report_html
from smilescope.results import Analysis, check_photo_document
from smilescope import store as user_store


def report(
    analysis: Optional[Path] = typer.Argument(None, help="The analysis.json that `smilescope analyze` wrote (signals.csv beside it gives the plots), or the photo.json of `smilescope photo`."),
    last: bool = typer.Option(False, "--last", help="Report the analysis most recently stored in the history instead of a file."),
    out_path: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write (default: report.html beside analysis.json)."),
    pdf: bool = typer.Option(False, "--pdf", help="Also print the report to a PDF beside the HTML (needs Chromium)."),
    answers: Optional[Path] = typer.Option(None, "--answers", help="JSON file of questionnaire answers, for guidance that uses them."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL for the history (default: SMILESCOPE_DB or the user data folder)."),
) -> None:
    """Write a self-contained HTML report (figures inside, no internet needed) of one analysis.

    \b
    Example:
      smilescope analyze examples/d0.mp4 --out out/demo
      smilescope report out/demo/analysis.json --pdf

    Plain words on the smile, shaking, twitches and blinks; trends of stored analyses; guidance with sources. Not a diagnosis.
    """
    with exit_on_bad_input(interrupted="interrupted; no report was written"):
        # a photo.json that cannot be read is told how to get a good one (photo), not a video's analysis.json
        photo_named = analysis is not None and analysis.name.lower().startswith("photo")
        doc = read_json(analysis, what="photo analysis" if photo_named else "analysis file",
                        hint=PHOTO_HINT if photo_named else ANALYSIS_HINT) \
            if analysis is not None and not last and analysis.suffix.lower() == ".json" and analysis.is_file() else None
        check_report_path(out_path, analysis)
        if isinstance(doc, dict) and "photos" in doc:  # `smilescope photo`'s photo.json
            if answers is not None:
                raise BadInputError("--answers goes with a video analysis; a photo report does not use them.",
                                    f"For guidance from your answers, run: smilescope triage --answers {safe(answers)}")
            html = photo_report_html(check_photo_document(doc, source=str(analysis)), analysis.parent)
            html_path = atomic_write(out_path or analysis.parent / "report.html", lambda fh: fh.write(writable_text(html)))
        else:
            html_path = make.write_report(gather(analysis, last=last, answers=answers, db=db), out_path)
    out.print(f"wrote {safe(html_path)}", highlight=False)
    if pdf:
        with exit_on_bad_input(interrupted=f"interrupted; {safe(html_path)} was written", written=html_path):
            pdf_path = browser.html_to_pdf(html_path, html_path.with_suffix(".pdf"))
        out.print(f"wrote {safe(pdf_path)}", highlight=False)


REPORT_SUFFIXES = (".html", ".htm")


def check_report_path(out_path: Path | None, analysis: Path | None) -> None:
    """An ``--out`` that would overwrite the analysis or one of its results is refused before any work.

    Raises
    ------
    BadInputError
        ``--out`` is not an .html file name, or is the analysis file itself.
    """
    if out_path is None:
        return
    if out_path.suffix.lower() not in REPORT_SUFFIXES:
        raise BadInputError(f"--out {safe(out_path)} is not an HTML file name, so it could be a result the report would "
                            "overwrite.", "Give a name ending in .html, e.g. --out report.html")
    if analysis is not None and out_path.exists() and analysis.exists() and out_path.resolve() == analysis.resolve():
        raise BadInputError(f"--out {safe(out_path)} is the analysis itself.", "Give another name, e.g. --out report.html")


def gather(analysis: Path | None = None, *, last: bool = False, answers: Path | None = None,
           db: str | None = None) -> make.ReportInputs:
    """Collect the inputs of one report: from an analysis.json file, or the latest stored analysis.

    Raises
    ------
    BadInputError
        Neither or both of ``analysis`` and ``last``; an unreadable file or a document that is not
        a valid analysis (:meth:`Analysis.from_dict`); an empty or switched-off store with
        ``last``; answers that fail :func:`smilescope.assess.validate_answers`.
    """
    if (analysis is None) == (not last):
        raise BadInputError("Give either an analysis.json file or --last, not " + ("both." if last else "neither."),
                            "Example: smilescope report out/demo/analysis.json")
    raw_answers = None
    if answers is not None:
        raw_answers = checked_answers(answers, None, out)  # a faulty file still shows an emergency it states
    notes: list[str] = []
    if last:
        doc, history, diary, triage = _last_stored(db)
        analysed_at, folder = make.stored_origin(history)
        history = same_person(history, history.iloc[-1]["source"] if history is not None and len(history) else None)
        source = "the last stored analysis"
    else:
        analysis = Path(analysis)
        doc = read_analysis_doc(analysis)  # BOM, nesting depth and shape checked (smilescope.inputs)
        folder, analysed_at = analysis.parent, datetime.fromtimestamp(analysis.stat().st_mtime)
        history, diary, triage = _history(db, notes)
        history = same_person(history, str(folder.resolve()))
        source = str(analysis)
    result = Analysis.from_dict(doc, source=source)  # a wrong shape: BadInputError naming the places
    return make.report_inputs(result, folder=folder, analysed_at=analysed_at, history=history, diary=diary,
                              assessment=assess(raw_answers, result), answers_given=raw_answers is not None,
                              saved_triage=triage, notes=notes)


def same_person(history, source: str | None):
    """The stored history of the person this analysis was stored for (its ``--subject``; no
    subject: the rows without one): a clinician's store holds several people. Unchanged when the
    analysis is not in the store (whose it is cannot be told)."""
    if history is None or not len(history) or source is None:
        return history
    mine = history[history["source"] == source]
    if not len(mine):
        return history
    who = mine.iloc[-1]["subject"]
    same = history["subject"].isna() if who is None or who != who else history["subject"] == who
    return history[same].reset_index(drop=True)


def _last_stored(db: str | None):
    """The latest stored analysis, with the history, the diary and the latest saved triage result."""
    if store_off(db):
        raise BadInputError("--last needs the history, but the store is switched off (SMILESCOPE_DB=off).",
                            "Give an analysis.json file instead.")
    with user_store.Store(db) as store:
        doc = store.last_analysis()
        history, diary, triage = store.history(), store.diary(), store.last_triage()
    if doc is None:
        raise BadInputError("No analysis is stored yet, so --last has nothing to report.",
                            "Run `smilescope analyze VIDEO --out DIR` first, or give an analysis.json file.")
    return doc, history, diary, triage


def _history(db: str | None, notes: list[str]):
    """Stored history, diary and latest saved triage result; a store problem leaves them out with a note."""
    if store_off(db):
        return None, None, None
    try:
        with user_store.Store(db) as store:
            return store.history(), store.diary(), store.last_triage()
    except BadInputError as e:
        if db is not None:  # the user named this database: say so loudly
            raise
        notes.append(f"The history could not be read: {e}")
        return None, None, None
