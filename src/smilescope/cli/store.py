"""Commands of the store: ``diary``, ``journal``, ``history`` and ``data`` (export / delete).

Thin: parse, call :mod:`smilescope.store`, print. Every command takes ``--db URL``.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich import box
from rich.table import Column, Table

from smilescope.cli.console import exit_on_bad_input, out, safe
from smilescope.errors import BadInputError
from smilescope.output import atomic_write, atomic_write_bytes, dumps
from smilescope import store as user_store

DB_HELP = "Database URL, e.g. sqlite:///path/to/file.db (default: $SMILESCOPE_DB, else SQLite in your data folder)."
_UNITS = {"caffeine_cups": ("caffeine", " cups"), "sleep_hours": ("sleep", " h"), "stress_0_10": ("stress", "/10"),
          "water_glasses": ("water", " glasses")}
_ONE = {" cups": " cup", " glasses": " glass"}  # "caffeine 1 cup", not "1 cups"
_OPTIONS = {"caffeine_cups": "--caffeine", "sleep_hours": "--sleep", "stress_0_10": "--stress", "water_glasses": "--water"}


def store_off(db: str | None) -> bool:
    """Whether the store is switched off (``--db off`` or ``SMILESCOPE_DB=off``): nothing is read or saved."""
    return (db or user_store.default_url()).strip().lower() == "off"


def _parse_day(text: Optional[str]) -> date:
    return date.today() if text is None else user_store.check_day(text, "--date")


def _num(x) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:g}"


def _fmt(x, digits: int = 2) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.{digits}f}"


def _text(x) -> str:
    """A stored text for the terminal: "" for a missing one (None, or NaN from pandas)."""
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _describe(entry: dict) -> str:
    parts = [f"{name} {_num(entry.get(col))}{_ONE.get(unit, unit) if entry[col] == 1 else unit}"
             for col, (name, unit) in _UNITS.items() if entry.get(col) is not None and not math.isnan(entry[col])]
    if _text(entry.get("note")):
        parts.append(f"note: {_text(entry['note'])}")
    return ", ".join(parts)


# -- diary --------------------------------------------------------------------------------------
diary_app = typer.Typer(rich_markup_mode=None, help="A daily diary of things that may go with more or less shaking: caffeine, sleep, "
                             "stress, water. `smilescope history` looks for links.", no_args_is_help=True)


@diary_app.command("add")
def diary_add(
    day: Optional[str] = typer.Option(None, "--date", help="Day of the entry, YYYY-MM-DD (default: today)."),
    caffeine: Optional[float] = typer.Option(None, "--caffeine", help="Cups of coffee, tea or other caffeine (0 to 30)."),
    sleep: Optional[float] = typer.Option(None, "--sleep", help="Hours slept last night (0 to 24)."),
    stress: Optional[float] = typer.Option(None, "--stress", help="How stressed you felt, 0 (calm) to 10 (worst)."),
    water: Optional[float] = typer.Option(None, "--water", help="Glasses of water (0 to 40)."),
    note: Optional[str] = typer.Option(None, "--note", help="A few words about the day."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Add today's (or --date's) diary entry; adding again for the same day updates only the given values.

    \b
    Example:
      smilescope diary add --caffeine 3 --sleep 6.5 --stress 7 --water 4
    """
    with exit_on_bad_input():
        d = _parse_day(day)
        user_store.check_numbers(dict(caffeine_cups=caffeine, sleep_hours=sleep, stress_0_10=stress, water_glasses=water),
                                 _OPTIONS)
        if all(v is None for v in (caffeine, sleep, stress, water, note)):
            raise BadInputError("Nothing to record.", "Give at least one of --caffeine, --sleep, --stress, --water, --note.")
        with user_store.Store(db) as store:
            existed = store.diary_entry(d) is not None
            store.set_diary(d, caffeine_cups=caffeine, sleep_hours=sleep, stress_0_10=stress,
                            water_glasses=water, note=note)
            entry = store.diary_entry(d)
    out.print(f"{'updated' if existed else 'added'} diary entry for {d}: {safe(_describe(entry))}", highlight=False)


@diary_app.command("list")
def diary_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Show all diary entries."""
    with exit_on_bad_input(), user_store.Store(db) as store:
        d = store.diary()
    if d.empty:
        out.print("No diary entries yet. Add one: smilescope diary add --caffeine 2 --sleep 7 --stress 4 --water 6")
        return
    table = Table("date", "caffeine (cups)", "sleep (h)", "stress (0-10)", "water (glasses)",
                  Column("note", overflow="fold"))  # a note is shown whole, never cut off with "…"
    for r in d.itertuples(index=False):
        table.add_row(str(r.day), _num(r.caffeine_cups), _num(r.sleep_hours), _num(r.stress_0_10),
                      _num(r.water_glasses), safe(_text(r.note)))
    out.print(table)


# -- journal ------------------------------------------------------------------------------------
journal_app = typer.Typer(rich_markup_mode=None, help="A journal of positive moments, in your own words.", no_args_is_help=True)


@journal_app.command("add")
def journal_add(
    text: str = typer.Argument(..., help='What went well, e.g. "laughed with Sam at lunch".'),
    day: Optional[str] = typer.Option(None, "--date", help="Day, YYYY-MM-DD (default: today)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Write down a positive moment."""
    with exit_on_bad_input():
        d = _parse_day(day)
        with user_store.Store(db) as store:
            store.add_journal(text, d)
    out.print(f"added to the journal for {d}")


@journal_app.command("list")
def journal_list(db: Optional[str] = typer.Option(None, "--db", help=DB_HELP)) -> None:
    """Show the journal, oldest first."""
    with exit_on_bad_input(), user_store.Store(db) as store:
        j = store.journal()
    if j.empty:
        out.print('The journal is empty. Add a good moment: smilescope journal add "a walk in the sun"')
    for r in j.itertuples(index=False):
        out.print(f"[bold]{r.day}[/]  {safe(r.text)}", highlight=False)


# -- history and n-of-1 ---------------------------------------------------------------------------
def history(
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
    subject: Optional[str] = typer.Option(None, "--subject", help="Only the analyses saved with this --subject (one person's history)."),
    plot: Optional[Path] = typer.Option(None, "--plot", help="Also draw the trends into this PNG file."),
    as_json: bool = typer.Option(False, "--json", help="Print the history, diary and links as JSON instead."),
) -> None:
    """Trends of your stored analyses, with the diary, and which diary factors go with more shaking.

    \b
    Example:
      smilescope history --plot trends.png
    A link needs at least 14 days with both a diary entry and an analysis; it never shows a cause.
    """
    with exit_on_bad_input():
        if plot is not None and plot.suffix.lower() != ".png":
            # refused before any work: any other name may be a file of the user's that the PNG would overwrite
            raise BadInputError(f"--plot {safe(plot)} is not a PNG file name.", "Give a name ending in .png, e.g. --plot trends.png")
        with user_store.Store(db) as store:
            hist, diary = store.history(subject=subject), store.diary()
        effects = [user_store.nof1.relate(hist, diary, f, m) for f in user_store.FACTORS for m in user_store.nof1.MEASURES]
        if plot is not None and not hist.empty:
            user_store.private_folder(plot.parent)
            atomic_write_bytes(plot, user_store.figures.history_png(hist, diary))
    if as_json:
        rows = hist.assign(t=hist["t"].map(lambda t: t.isoformat()), day=hist["day"].map(str))
        doc = {"history": rows.to_dict("records"), "diary": diary.assign(day=diary["day"].map(str)).to_dict("records"),
               "nof1": {"min_days": user_store.nof1.MIN_DAYS, "effects": [e.to_dict() for e in effects]}}
        typer.echo(dumps(doc))
        return
    if hist.empty:
        if subject is not None:
            out.print(f"No analyses stored for --subject {safe(subject)}.", highlight=False)
            return
        out.print("No analyses stored yet. Analyse a video (smilescope analyze VIDEO) to start your history; "
                  "add diary entries (smilescope diary add) to look for links." + (" Nothing to plot yet." if plot else ""))
        return
    out.print(_history_table(hist, diary))
    if plot is not None:
        out.print(f"wrote {safe(plot)}")
    out.print(_effects_table(effects))
    for e in effects:
        if e.found:
            out.print(f"• {e.message}", highlight=False)
    out.print(f"[dim]{len(effects)} factor × measure pairs are checked; by chance alone about 1 in 20 pairs shows a "
              "link that is not there. A link is not a cause, and smilescope does not diagnose.[/]")


def _video(r) -> str:
    """Which recording a history row is: subject, video name and label, as the user gave them."""
    parts = [_text(r.subject), _text(r.video), f"({_text(r.label)})" if _text(r.label) else ""]
    return " ".join(p for p in parts if p)


def _history_table(hist, diary):
    by_day = {r["day"]: r for r in diary.to_dict("records")}
    rows = list(hist.itertuples(index=False))
    # the diary's columns only when a shown day has an entry: four columns of "—" pushed the
    # measures and the video's name into folds on an 80-column terminal
    with_diary = any(r.day in by_day for r in rows)
    diary_heads = ("caff.\ncups", "sleep\nh", "stress\n0-10", "water\nglass") if with_diary else ()
    table = Table(Column("date, video", overflow="fold", min_width=10, max_width=22), "smile R\nmm", "smile L\nmm",
                  "asym.\n%", "tremor\nmm", "twitch\n/min", *diary_heads,
                  box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0), pad_edge=False,
                  title="History (R/L: the person's own right and left)",
                  caption=None if with_diary else "No diary entries on these days (smilescope diary add).")
    for r in rows:
        d = by_day.get(r.day, {})
        video = _video(r)
        table.add_row(str(r.day) + (f"\n[dim]{safe(video)}[/]" if video else ""),
                      _fmt(r.excursion_right_mm, 1), _fmt(r.excursion_left_mm, 1),
                      _fmt(r.asymmetry_pct, 0), _fmt(r.tremor_amplitude_mm), _fmt(r.twitch_rate_per_min, 1),
                      *((_num(d.get(c)) for c in _UNITS) if with_diary else ()))
    return table


def _effects_table(effects):
    short = {"caffeine_cups": "caffeine", "sleep_hours": "sleep", "stress_0_10": "stress", "water_glasses": "water",
             "tremor_amplitude_mm": "tremor amplitude", "twitch_rate_per_min": "twitch rate"}
    table = Table("diary", "measure", "days", "r", "95 % CI", "result", box=box.SIMPLE_HEAD, pad_edge=False,
                  title=f"Links (n-of-1): need ≥ {user_store.nof1.MIN_DAYS} days with both a diary entry and an analysis")
    for e in effects:
        r, ci = ("—", "—") if e.effect is None else (f"{e.effect:+.2f}", f"{e.ci_low:+.2f} to {e.ci_high:+.2f}")
        verdict = "not enough data yet" if not e.enough_data else ("[bold]link[/]" if e.found else "no clear link")
        table.add_row(short.get(e.factor, e.factor), short.get(e.measure, e.measure), str(e.n_days), r, ci, verdict)
    return table


# -- the user's data ------------------------------------------------------------------------------
data_app = typer.Typer(rich_markup_mode=None, help="Your stored data: take a copy of everything, or delete everything.", no_args_is_help=True)


@data_app.command("export")
def data_export(
    out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="JSON file to write (default: print it)."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Export everything stored (analyses, triage, diary, journal) as JSON."""
    with exit_on_bad_input():
        with user_store.Store(db) as store:
            text = dumps(store.export())
        if out_file is None:
            typer.echo(text)
            return
        user_store.private_folder(out_file.parent)  # personal data: folder 0700, file 0600 (atomic_write)
        atomic_write(out_file, lambda fh: fh.write(text + "\n"))
    out.print(f"wrote {safe(out_file)}")


@data_app.command("delete")
def data_delete(
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    db: Optional[str] = typer.Option(None, "--db", help=DB_HELP),
) -> None:
    """Delete everything stored (analyses, triage, diary, journal). This cannot be undone."""
    with exit_on_bad_input(), user_store.Store(db) as store:
        try:
            sure = yes or typer.confirm(f"Delete all smilescope data in {store.display_url()}? This cannot be undone")
        except (typer.Abort, EOFError):  # input closed (a script without --yes): no answer is not a yes
            raise BadInputError("No answer to the question (the input was closed), so nothing was deleted.",
                                "Answer y to the question, or give --yes to delete without asking.") from None
        if not sure:
            out.print("nothing was deleted")
            return  # the user's choice, carried out: not a failure
        store.delete_all()
    out.print("all stored data was deleted")

