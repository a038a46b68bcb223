"""What every command shares: the two consoles and the one way to fail.

Exit status: 0 done, 2 bad input (the message says what was wrong and what to do),
130 interrupted, 1 internal error (see :func:`smilescope.cli.main`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from smilescope.errors import BadInputError

err = Console(stderr=True)
out = Console()


def safe(text: object) -> str:
    """``text`` (a note, a path, an error message) made literal inside Rich markup.

    Anything the user typed or named may hold square brackets; unescaped, ``[bold]`` would
    restyle the line and ``[/]`` would stop the command with a markup error.
    """
    return escape(str(text))


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
    except KeyboardInterrupt:
        err.print(interrupted, highlight=False)
        raise typer.Exit(130) from None
