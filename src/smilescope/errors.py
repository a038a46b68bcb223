"""One error type for bad input, raised at the boundaries.

Every message says what was wrong and what the user can do about it; the CLI turns a
:class:`BadInputError` into exit status 2 and prints the message as it is.
"""

from __future__ import annotations


class BadInputError(ValueError):
    """The input cannot be analysed as given (missing, unreadable, no usable face, ...).

    Parameters
    ----------
    what : str
        What was wrong, in plain words.
    hint : str
        What to do about it.
    """

    def __init__(self, what: str, hint: str = "") -> None:
        self.what = what
        self.hint = hint
        super().__init__(f"{what} {hint}".strip())


def check_positive(name: str, value: float) -> None:
    """Raise ``BadInputError`` when ``value`` is not a finite positive number."""
    if not (value == value and 0 < value < float("inf")):
        raise BadInputError(
            f"Invalid value for the {name!r} parameter: expected a positive number, got {value!r}."
        )


class InterruptedAfterWriting(KeyboardInterrupt):
    """Ctrl-C (or `kill`) that came once the results were in place: the run stops, but what it
    wrote is whole and kept, and the message must not say "nothing was written"."""

    def __init__(self, written) -> None:
        self.written = written
        super().__init__(f"interrupted after writing {written}")
