"""Command line: thin over the library — parse, call, print.

Exit status: 0 done, 2 bad input (the message says what was wrong and what to do),
1 internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from smilescope import __version__
from smilescope.errors import BadInputError

app = typer.Typer(
    help=(
        "Measure smiles and facial shaking from ordinary video, in millimetres and seconds.\n\n"
        "Start with:  smilescope analyze my_video.mp4 --out results/\n\n"
        "Film the face from the front, well lit, starting with a relaxed face for a second. "
        "Everything runs on this computer; nothing is uploaded. "
        "smilescope measures; it does not diagnose."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
out = Console()


@contextmanager
def exit_on_bad_input(*, interrupted: str = "interrupted", written: Path | None = None) -> Iterator[None]:
    """Turn a :class:`BadInputError` into its message on stderr and exit status 2, and Ctrl-C
    into ``interrupted`` and exit status 130, for every command (they share this one).

    ``written``: a file that was already written before the failure, named in the message so
    the user knows nothing was lost.
    """
    from rich.markup import escape

    try:
        yield
    except BadInputError as e:
        kept = f" {written} was written." if written is not None else ""
        err.print(f"[bold red]error:[/] {escape(str(e))}{escape(kept)}", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        err.print(interrupted, highlight=False)
        raise typer.Exit(130) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"smilescope {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """smilescope command line."""


@app.command()
def analyze(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, avi, webm, mkv), a folder of images, or a glob pattern in quotes."),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for analysis.json and signals.csv (created if missing)."),
    fps: Optional[float] = typer.Option(None, help="Frame rate of an image sequence (videos carry their own timestamps)."),
    no_refine: bool = typer.Option(False, "--no-refine", help="Use raw landmarks instead of optical-flow refinement (less accurate; for comparison)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary; only errors."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not add this analysis to your history (the local database of `smilescope history`)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL for the history (default: your data folder, or $SMILESCOPE_DB)."),
) -> None:
    """Analyse one face video: writes OUT/analysis.json (measures, quality) and OUT/signals.csv (one row per frame).

    \b
    Example:
      smilescope analyze examples/d0.mp4 --out out/demo
    Columns of signals.csv: t_s (s, from the video's own timestamps), valid, head_* (head motion),
    mouth_corner_{right,left}_{x,y}_mm (x lateral, y up, relative to the relaxed face), cheek_*, nasolabial_*,
    brow_*_height_mm, palpebral_*_height_mm (eye opening). Sides are the person's own.
    """
    from smilescope.pipeline import PipelineConfig
    from smilescope.pipeline import analyze as run

    cfg = PipelineConfig(refine=not no_refine)
    show = not quiet and err.is_terminal
    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        if show:
            from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

            with Progress(TextColumn("[bold]analysing[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                          TimeRemainingColumn(), console=err, transient=True) as bar:
                task = bar.add_task("frames", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=max(total, done) if total else None)

                result = run(video, fps=fps, config=cfg, progress=progress)
        else:
            result = run(video, fps=fps, config=cfg)
        json_path, csv_path = result.save(out_dir)
    if not no_save:
        # the summary (no frames, no per-frame signals) goes to the local history; a store
        # problem never costs the analysis files, which are already written
        from smilescope.store import record_analysis

        if record_analysis(result.to_dict(), source=str(out_dir.resolve()), url=db) is None and not quiet:
            err.print("note: this analysis was not added to your history (the files are written).", highlight=False)
    if not quiet:
        from smilescope.report.summary import render_summary

        out.print(render_summary(result.to_dict(), json_path=json_path, csv_path=csv_path))


@app.command()
def grade(
    video: Path = typer.Argument(..., help="One video of the movement set: rest, brow raise, gentle eye closure, smile, snarl, pucker."),
    segments: Path = typer.Option(..., "--segments", "-s", help='JSON file naming the stretches in seconds, e.g. {"rest": [0, 2], "smile": [5, 8]}.'),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for grading.json (and the usual analysis files)."),
    affected_side: Optional[str] = typer.Option(None, help="left or right (the person's own); default: the side that smiles less."),
) -> None:
    """eFACE-style items (static, dynamic, ocular synkinesis) from a movement-set video — not clinically validated.

    \b
    Example:
      smilescope grade session.mp4 --segments session.json --out out/session
    """
    import json

    from smilescope.measures.grading import eface_style
    from smilescope.output import atomic_write, dumps
    from smilescope.pipeline import analyze as run

    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        try:
            seg = json.loads(segments.read_text())
        except (OSError, ValueError) as e:
            raise BadInputError(f"Cannot read the segments file {segments}: {e}.",
                                'Give a JSON object such as {"rest": [0, 2], "smile": [5, 8]}.') from e
        result = run(video)
        doc = eface_style(result.signals, seg, affected_side=affected_side)
        result.save(out_dir)
        path = atomic_write(out_dir / "grading.json", lambda fh: fh.write(dumps(doc) + "\n"))
    out.print(f"[bold]{doc['label']}[/] — affected side: {doc['affected_side']} (person's own)")
    for group in ("static", "dynamic"):
        out.print(f"{group}: " + ", ".join(f"{k} {v:.0f}" if v is not None else f"{k} —" for k, v in doc[group].items()))
    out.print(f"wrote {path}")


# Commands that live beside their layer (assess, store, report) register themselves on the
# one app: each module named here has ``register(app)``. Keep the CLI one thin Typer app.
_COMMAND_MODULES: tuple[str, ...] = (
    "smilescope.assess.cli",
    "smilescope.report.cli",
    "smilescope.store.commands",
)


def _register_commands() -> None:
    import importlib

    for name in _COMMAND_MODULES:
        importlib.import_module(name).register(app)


_register_commands()


def _silence_native_logs() -> None:
    """Send what C++ libraries print on file descriptor 2 (MediaPipe/TFLite start-up chatter)
    to /dev/null, while Python's own stderr — our messages, warnings, tracebacks — keeps the
    terminal. Set SMILESCOPE_DEBUG=1 to see everything."""
    if os.environ.get("SMILESCOPE_DEBUG") or sys.stderr is not sys.__stderr__:
        return
    try:
        sys.stderr.flush()
        keep = os.dup(2)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
        sys.stderr = os.fdopen(keep, "w", buffering=1, encoding=sys.__stderr__.encoding or "utf-8",
                               errors="backslashreplace")
    except OSError:
        pass


def main() -> None:
    _silence_native_logs()
    try:
        app()
    except SystemExit:
        raise
    except Exception as e:  # noqa: BLE001 - last resort: say it is our fault, exit 1
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {e}\n"
                  "This is a bug in smilescope, not a problem with your video; please report it with the command you ran.",
                  highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
