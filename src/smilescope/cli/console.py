"""What every command shares: the two consoles and the one way to fail.

Exit status: 0 done, 2 bad input (the message says what was wrong and what to do),
130 interrupted, 1 internal error (see :func:`smilescope.cli.main`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
import ipaddress
import os
import re
import signal
import threading
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from smilescope.errors import BadInputError, InterruptedAfterWriting

err = Console(stderr=True)
out = Console()


# Characters that act on the terminal instead of showing: C0 controls but tab and newline
# (ESC starts colour, cursor and hyperlink sequences; CR overwrites the line), DEL, C1 controls
# (U+009B is a one-character CSI), and the Unicode bidirectional overrides and isolates, which
# make text display in another order than it is stored.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def plain(text: object) -> str:
    """``text`` without the characters that would act on the terminal (see ``_CONTROL``)."""
    return _CONTROL.sub("", str(text))


def safe(text: object) -> str:
    """``text`` (a note, a path, an error message) made literal inside Rich markup: the one way
    every command prints what a user typed or named.

    Square brackets are escaped: unescaped, ``[bold]`` would restyle the line, ``[/]`` stop the
    command with a markup error and ``[link=...]`` make a clickable link. Control characters
    are removed (:func:`plain`): an ESC sequence could recolour, move the cursor or make a link.
    """
    return escape(plain(text))


@contextmanager
def exit_on_bad_input(*, interrupted: str = "interrupted", written: Path | None = None) -> Iterator[None]:
    """Turn a :class:`BadInputError` into its message on stderr and exit status 2, and Ctrl-C
    into ``interrupted`` and exit status 130, for every command (they share this one).

    ``written``: a file that was already written before the failure, named in the message so
    the user knows nothing was lost.
    """
    try:
        yield
    except BadInputError as e:
        kept = f" {written} was written." if written is not None else ""
        err.print(f"[bold red]error:[/] {safe(e)}{safe(kept)}", highlight=False)
        raise typer.Exit(2) from None
    except InterruptedAfterWriting as e:  # the results were in place, whole, when it came
        err.print(f"interrupted; the results were written to {safe(e.written)}", highlight=False)
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        err.print(interrupted, highlight=False)
        raise typer.Exit(130) from None
    except Exception as e:
        if not _during_interrupt(e):
            raise
        # Ctrl-C stopped a native library mid-call (MediaPipe's graph, a generator being closed),
        # and its clean-up failed in turn: the user's Ctrl-C is what happened
        err.print(interrupted, highlight=False)
        raise typer.Exit(130) from None


INTERRUPTS: list[int] = []  # the signals that asked this run to stop (SIGINT, SIGTERM)


def on_interrupt(signum, frame) -> None:
    """The CLI's Ctrl-C and `kill` (SIGTERM): Python's KeyboardInterrupt, remembered (see
    :func:`came_of_interrupt`)."""
    INTERRUPTS.append(signum)
    raise KeyboardInterrupt


def came_of_interrupt(e: BaseException) -> bool:
    """Whether ``e`` came of an interrupt: one was asked for in this run, or ``e`` was raised
    while one was handled. A library interrupted while it loads may report an ImportError
    instead (NumPy prints the KeyboardInterrupt and raises "numpy._core.multiarray failed to
    import", its context lost in C)."""
    return bool(INTERRUPTS) or _during_interrupt(e)


@contextmanager
def interrupt_at_safe_points() -> Iterator[Callable[..., None]]:
    """Ctrl-C during an analysis (the video commands open the block before they load PyAV,
    OpenCV and MediaPipe) sets a flag instead of raising on whatever line the main thread is
    on, and the yielded ``check`` raises it at a safe point (call it after each frame); leaving
    the block raises it if it came meanwhile. A second Ctrl-C ends the process at once.

    Why: MediaPipe loads on first use, while a thread preloads SciPy. A KeyboardInterrupt raised
    inside Python's import machinery or a native callback is sometimes swallowed ("Exception
    ignored", a traceback, then the run goes on and exits 0 with its files written) or leaves a
    module lock held (the process hangs for good). Nothing is written during the analysis, so a
    second Ctrl-C losing nothing may end it without clean-up.
    """
    ours = (signal.default_int_handler, on_interrupt)
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) not in ours):
        yield lambda *_: None  # not ours to change (an embedding program, a thread): Python's own behaviour
        return
    pressed: list[bool] = []

    def on_sigint(signum, frame) -> None:
        if pressed:  # the second: the user means it now
            try:
                os.write(2, b"interrupted\n")
            finally:
                os._exit(130)
        pressed.append(True)
        INTERRUPTS.append(signum)

    def check(*_) -> None:
        if pressed:
            raise KeyboardInterrupt

    # `kill` (SIGTERM) waits for the same safe points, where the CLI turns it into Ctrl-C
    signals = [signal.SIGINT] + ([signal.SIGTERM] if signal.getsignal(signal.SIGTERM) is on_interrupt else [])
    old = {sig: signal.signal(sig, on_sigint) for sig in signals}
    try:
        yield check
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    check()


def _during_interrupt(e: BaseException) -> bool:
    """``e`` was raised while handling a Ctrl-C (a KeyboardInterrupt in its context chain)."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, KeyboardInterrupt):
            return True
        e = e.__context__
    return False


def is_loopback(host: str) -> bool:
    """The host is this computer (127.0.0.1, ::1, localhost): nothing sent there leaves it."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
