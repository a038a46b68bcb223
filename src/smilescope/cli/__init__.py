"""Command line: one Typer app, thin over the library — parse, call, print.

Each command lives in its own module of this package (:mod:`.analyze`, :mod:`.triage`,
:mod:`.report`, :mod:`.store`) and is added to the one :data:`app` here; the library's packages
(``assess``, ``store``, ``report``) know nothing of the command line.

Exit status: 0 done, 2 bad input (the message says what was wrong and what to do),
130 interrupted, 1 internal error.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_loading(signum, frame) -> None:
    """Ctrl-C or ``kill`` while the modules below load (a second or more: Typer, Rich,
    SQLAlchemy, Jinja): the same one word and exit status as an interrupt later on, instead of
    a long traceback or a silent death."""
    try:
        os.write(2, b"interrupted\n")
    except OSError:
        pass
    raise SystemExit(130)


# Installed before the heavy imports and put back once they are done (see the end of this module).
# Only where Ctrl-C and `kill` still have their default behaviour: a program that imports this module with its
# own handler keeps it.
_loading_handler = None
if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    try:
        _loading_handler = signal.signal(signal.SIGINT, _interrupted_while_loading)
    except ValueError:  # imported from a thread other than the main one: no signals there
        pass
_loading_term_handler = None
if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
    try:
        _loading_term_handler = signal.signal(signal.SIGTERM, _interrupted_while_loading)
    except ValueError:
        pass

# The per-frame arithmetic is on tiny arrays (2x2 transforms, ~70 points): OpenBLAS's worker
# threads never help there, and woken for every call they spin on the second core that the
# landmark stage needs. Read when NumPy loads, so set before anything imports it; a setting of
# the user's own wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

# The commands that analyse a video start their landmark process before anything else loads:
# it builds its models (about 1.3 s) while this process loads its own (about 1 s). Where it turns
# out not to be needed (a pipe, a photo, bad arguments) it is ended unused; on few cores none is
# started. Nothing else depends on it: an analysis without it starts its own.
_VIDEO_COMMANDS = ("analyze", "grade")
if len(sys.argv) > 2 and sys.argv[1] in _VIDEO_COMMANDS and not {"--help", "-h"} & set(sys.argv):
    from smilescope.pipeline.stages import start_early  # noqa: E402 - the standard library only

    start_early()

from typing import Optional  # noqa: E402

import typer  # noqa: E402

from smilescope import __version__  # noqa: E402
from smilescope.cli import analyze, batch, photo, report, serve, store, triage  # noqa: E402
from smilescope.cli.console import came_of_interrupt, err, exit_on_bad_input, on_interrupt, out, safe  # noqa: E402

__all__ = ["app", "err", "exit_on_bad_input", "main", "out", "safe"]

# Plain help (Click's formatter): Typer's rich panels print a "<bool>" type beside every flag,
# which reads as if a flag took a value; plain text is also what screen readers read best.
app = typer.Typer(rich_markup_mode=None, 
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


def _version(value: bool) -> None:
    if value:
        out.print(f"smilescope {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Optional[bool] = typer.Option(None, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    """smilescope command line."""


app.command("analyze")(analyze.analyze)
app.command("batch")(batch.batch)
app.command("grade")(analyze.grade)
app.command("triage")(triage.triage)
app.command("report")(report.report)
app.add_typer(store.diary_app, name="diary")
app.add_typer(store.journal_app, name="journal")
app.command("history")(store.history)
app.add_typer(store.data_app, name="data")
app.command("serve")(serve.serve)
app.command("photo")(photo.photo)


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


def _exit_now(code: int) -> None:
    """After Ctrl-C has been handled (said, and every file write finished or undone by then),
    end without the interpreter's shutdown: with MediaPipe's graph or a thread of a native
    library caught mid-call, that shutdown sometimes crashed (a segfault, about 1 run in 20 with
    Ctrl-C during the first frames) and turned exit 130 into 139."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    stages = sys.modules.get("smilescope.pipeline.stages")
    if stages is not None:  # a landmark process started early and not yet used: ended now, as exit would
        stages.end_early()
    os._exit(code)


def main() -> None:
    """The ``smilescope`` console entry point: run the app; Ctrl-C outside a command's own handling
    (e.g. while a command loads MediaPipe) says "interrupted" and exits 130; any unexpected error
    exits 1 with a plea to report it."""
    _silence_native_logs()
    # `kill` (SIGTERM) ends any command as Ctrl-C does: its files are left whole (the old set or
    # the new one), and what it says is the same (a command may set its own, as batch does)
    if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, on_interrupt)
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, on_interrupt)
    try:
        app()
    except SystemExit as e:
        if e.code == 130:
            _exit_now(130)
        raise
    except KeyboardInterrupt:
        err.print("interrupted", highlight=False)
        _exit_now(130)
    except Exception as e:  # noqa: BLE001 - last resort: say it is our fault, exit 1
        if came_of_interrupt(e):  # Ctrl-C inside a library's import surfaces as its ImportError
            err.print("interrupted", highlight=False)
            _exit_now(130)
        err.print(f"[bold red]internal error:[/] {type(e).__name__}: {safe(e)}\n"
                  "This is a bug in smilescope, not a problem with what you gave it; please report it with the "
                  "command you ran.", highlight=False)
        sys.exit(1)


if _loading_handler is not None:  # loaded: later interrupts raise KeyboardInterrupt, handled per command
    signal.signal(signal.SIGINT, _loading_handler)
if _loading_term_handler is not None:  # main() sets the one for the commands
    signal.signal(signal.SIGTERM, _loading_term_handler)
