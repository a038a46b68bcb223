"""``smilescope triage``: guidance from a short questionnaire and, optionally, an analysis.

Thin: read or ask the answers, call :func:`smilescope.assess.assess`, print, save to the store.
Interactively the emergency questions come first; a "yes" that makes it an emergency shows the
emergency message at once and ends the questions.

Saving: the result and answers go to the store (``Store().add_triage``) unless ``--no-save``
or ``SMILESCOPE_DB=off``. A store failure never hides the guidance: it is printed first, and
the failure is a warning on stderr.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel

from smilescope.assess import ANSWER_KEYS, QUESTIONS, Assessment, Question, assess, usable_answers, validate_answers
from smilescope.assess.questions import ANSWER_ALIASES, parse_duration
from smilescope.cli.console import err, exit_on_bad_input, out
from smilescope.cli.store import store_off
from smilescope.errors import BadInputError
from smilescope.inputs import check_answers, load_analysis, read_answers_doc
from smilescope.results import Analysis
from smilescope import store as user_store

# level -> (headline, colour)
HEADLINES = {
    "emergency": ("EMERGENCY: call emergency services now (999 / 112 / 911)", "bold white on red"),
    "urgent": ("URGENT: see a doctor today", "bold dark_orange"),
    "see_doctor": ("See a doctor: book an appointment", "bold yellow"),
    "self_care": ("Self-care: steps to try at home", "bold green"),
    "info": ("Nothing worrying found", "bold blue"),
}
_COLOURS = {"emergency": "red", "urgent": "dark_orange", "see_doctor": "yellow", "self_care": "green", "info": "blue"}
_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}
_DONT_KNOW = {"", "?", "d", "dk", "don't know", "dont know"}
_DURATION_UNITS = {"hours", "days", "weeks"}


def _help() -> str:
    """The command's help: what it does, examples, and every answer key with what it accepts."""
    keys = "\n".join(f"  {q.key} ({q.label}): {ANSWER_KEYS[q.key]}" for q in QUESTIONS)
    aliases = "\n".join(f"  {k}: instead of {t}, in {k.split('_')[1]}" for k, (t, _) in ANSWER_ALIASES.items())
    return (
        "Guidance on when to see a doctor, from your answers and (optionally) a video analysis. Not a diagnosis.\n\n"
        "\b\nExamples:\n"
        "  smilescope triage                                   (asks the questions)\n"
        "  smilescope triage --answers answers.json --analysis out/demo/analysis.json --json\n\n"
        "\b\nAnswer keys of --answers (a JSON object; every key is optional, null = don't know):\n"
        f"{keys}\n{aliases}"
    )


def triage(
    answers_file: Optional[str] = typer.Option(
        None, "--answers", "-a", metavar="FILE.json",
        help="JSON object of answers ('-' reads standard input). Without it, the questions are asked here."),
    analysis_file: Optional[Path] = typer.Option(
        None, "--analysis", metavar="analysis.json",
        help="An analysis.json from `smilescope analyze`: its measured flags count as well."),
    # metavar "": a flag takes no value, so the help shows none (Typer would print <bool>)
    as_json: bool = typer.Option(False, "--json", metavar="", help="Print the result as JSON: level, matches, disclaimer."),
    no_save: bool = typer.Option(False, "--no-save", metavar="", help="Do not keep the result in the store."),
    db: Optional[str] = typer.Option(None, "--db", metavar="URL", help="Database URL for saving (default: $SMILESCOPE_DB, else your data folder)."),
) -> None:
    with exit_on_bad_input(interrupted="interrupted; nothing was saved"):
        analysis = load_analysis(analysis_file) if analysis_file is not None else None
        shown = False  # the emergency panel was shown during the questions
        if answers_file is not None:
            answers = checked_answers(answers_file, analysis, err if as_json else out)
            result = assess(answers, analysis)
        else:
            answers, result, shown = _ask(err if as_json else out, analysis)

    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        print_result(out, result, headline=not shown)
    if not no_save:
        _save(result, answers, db)


triage.__doc__ = _help()  # built from the questionnaire, so --help lists every answer key


# --- input ------------------------------------------------------------------------------


def checked_answers(source: str | Path, analysis: Analysis | None, con: Console) -> dict:
    """The answers file's answers, checked. A file that fails the check is still read for an
    emergency first: if the answers that are right on their own (:func:`usable_answers`) already
    make one (sudden facial weakness within the stroke window), its message is shown on ``con``
    before the error, which then stops the command (exit 2) as for any bad input."""
    doc = read_answers_doc(source)
    try:
        return check_answers(doc, source)
    except BadInputError:
        salvaged = assess(usable_answers(doc), analysis)
        if salvaged.level == "emergency":
            con.print("[bold]Your answers file has a mistake (below), but what it does say is already an emergency:[/]")
            _print_headline(con, salvaged)
        raise


def _ask(con: Console, analysis: Analysis | None) -> tuple[dict, Assessment, bool]:
    """Ask the questions in order; stop at once when the answers make it an emergency.

    Returns the answers, the assessment, and whether the emergency message was shown.
    """
    con.print("[bold]A few questions.[/] Answer y or n; press Enter if you don't know. "
              "[dim]If you think this is an emergency, stop and call emergency services now.[/]")
    answers: dict = {}
    result = assess(answers, analysis)
    for q in QUESTIONS:
        if q.ask_if and not any(answers.get(k) is True for k in q.ask_if):
            continue
        try:
            value = _ask_one(con, q)
        except EOFError:  # input ended: the rest stay "don't know"
            break
        answers[q.key] = value
        result = assess(answers, analysis)
        # stop only for an emergency that no later answer can take back: a rule that reads
        # "don't know" as a warning (sudden or not?) must not fire on a question not yet asked
        later = {k.key: False for k in QUESTIONS if k.kind == "bool" and k.key not in answers}
        if result.level == "emergency" and assess({**answers, **later}, analysis).level == "emergency":
            _print_headline(con, result)
            con.print("[bold]Stopping the questions here: call now.[/]\n")
            return answers, result, True
    con.print()
    return answers, result, False


def _ask_one(con: Console, q: Question):
    hint = "[dim](y / n / Enter = don't know)[/]" if q.kind == "bool" else f"[dim]({escape(q.unit or 'number')}, Enter = don't know)[/]"
    while True:
        text = con.input(f"{escape(q.text)} {hint} ").strip().lower()
        if q.kind == "bool":
            if text in _YES:
                return True
            if text in _NO:
                return False
            if text in _DONT_KNOW:
                return None
            con.print("  please answer y, n, or press Enter for don't know")
            continue
        if text in _DONT_KNOW:
            return None
        try:
            # a duration may be typed in hours, days or weeks ("3 days"); a bare number is in the question's unit
            value = parse_duration(text, q.unit) if q.unit in _DURATION_UNITS else float(text.replace(",", "."))
            value = int(value) if value.is_integer() else value
            return validate_answers({q.key: value})[q.key]
        except (ValueError, OverflowError, BadInputError):
            also = " (you may add hours, days or weeks)" if q.unit in _DURATION_UNITS else ""
            con.print(f"  please give a number from {q.lo:g} to {q.hi:g} {q.unit}{also}, or press Enter for don't know")


# --- output -----------------------------------------------------------------------------


def _print_headline(con: Console, result: Assessment) -> None:
    headline, style = HEADLINES[result.level]
    top = result.matches[0] if result.matches else None
    if top is not None and top.rule_id == "nothing_answered":  # nothing looked at: not "nothing worrying"
        headline = "Nothing to judge: no answer and no measurement"
    body = f"[{style}]{headline}[/]"
    if top is not None:
        body += f"\n{escape(top.message)}\n[bold]{escape(top.action)}[/]"
    con.print(Panel(body, border_style=_COLOURS[result.level], expand=False), highlight=False)


def print_result(con: Console, result: Assessment, *, headline: bool = True) -> None:
    """The guidance in words and colour: level, each matched rule, the disclaimer."""
    if headline:
        _print_headline(con, result)
    for m in result.matches:
        colour = _COLOURS[m.level]
        con.print(f"[{colour}]●[/] [bold {colour}]{escape(m.level.replace('_', ' '))}[/]  {escape(m.message)}", highlight=False)
        con.print(f"    [bold]What to do:[/] {escape(m.action)}", highlight=False)
        con.print(f"    [dim]Why: {escape(m.reason)}[/]", highlight=False)
        con.print(f"    [dim]Source: {escape(m.source)}[/]\n", highlight=False)
    con.print(f"[italic]{escape(result.disclaimer)}[/]", highlight=False)


# --- saving -----------------------------------------------------------------------------


def _save(result: Assessment, answers: dict, db: str | None) -> None:
    if store_off(db):
        return
    try:
        with user_store.Store(db) as store:
            store.add_triage(result.to_dict(), answers)
    except BadInputError as e:
        err.print(f"[yellow]warning:[/] the result was not saved: {escape(str(e))}", highlight=False)
        raise typer.Exit(2) from None  # asked to be kept and not kept: not a success
