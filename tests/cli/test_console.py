"""What every command shares: the one way to fail, and user text printed literally."""

from __future__ import annotations

import pytest
import typer

from smilescope.cli.console import exit_on_bad_input, out, safe
from smilescope.errors import BadInputError


def test_every_command_shares_one_way_to_fail(capsys, tmp_path):
    """Bad input: its message (markup-like brackets kept literally), exit status 2, and the file
    already written is named; Ctrl-C: the given message and exit status 130."""
    kept = tmp_path / "report.html"
    with pytest.raises(typer.Exit) as e:
        with exit_on_bad_input(written=kept):
            raise BadInputError("Cannot read [bold]x[/bold].", "Give another file.")
    assert e.value.exit_code == 2
    msg = " ".join(capsys.readouterr().err.split())
    assert "error: Cannot read [bold]x[/bold]." in msg and "Give another file." in msg and "report.html was written" in msg
    with pytest.raises(typer.Exit) as e:
        with exit_on_bad_input(interrupted="interrupted; nothing was written"):
            raise KeyboardInterrupt
    assert e.value.exit_code == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err


@pytest.mark.parametrize("text", ["[bold]loud[/bold]", "a [/] stray close", r"back\slash [red]x", "plain"])
def test_safe_prints_user_text_as_typed(capsys, text):
    out.print(f"[bold]note:[/] {safe(text)}", highlight=False)
    assert capsys.readouterr().out.strip() == f"note: {text}"


@pytest.mark.parametrize("text, shown", [
    ("esc \x1b[31mred\x1b[0m", "esc [31mred[0m"),  # no colour change: the sequence is text without its ESC
    ("\x1b]8;;https://x.example\x1b\\link\x1b]8;;\x1b\\ end", "]8;;https://x.example\\link]8;;\\ end"),  # no link
    ("over\rwrite", "overwrite"),  # CR would overwrite the line
    ("csi \x9b2J", "csi 2J"),  # a one-character CSI
    ("evil\u202etxt.exe", "eviltxt.exe"),  # bidi override: shown in stored order
    ("bell\x07\x00\x7f", "bell"),
    ("[link=https://example.com]click[/link]", "[link=https://example.com]click[/link]"),
    ("newline\nkept", "newline\nkept"),
])
def test_safe_removes_what_would_act_on_the_terminal(capsys, text, shown):
    out.print(safe(text), highlight=False, markup=True, soft_wrap=True)
    assert capsys.readouterr().out.rstrip("\n") == shown


def test_a_clean_up_that_fails_after_ctrl_c_is_still_an_interruption(capsys):
    """Ctrl-C inside a MediaPipe call during ``analyze --overlay`` sometimes surfaced as the
    graph's own error ("CalculatorGraph::Run() failed ...") raised while closing: exit 1,
    "internal error". Raised while handling the Ctrl-C, it is the Ctrl-C."""
    def frames():
        try:
            yield 1
            raise KeyboardInterrupt
        finally:
            pass

    with pytest.raises(typer.Exit) as ex:
        with exit_on_bad_input(interrupted="interrupted; nothing was written"):
            try:
                for _ in frames():
                    pass
            except KeyboardInterrupt:
                raise ValueError("CalculatorGraph::Run() failed: Packet timestamp mismatch")
    assert ex.value.exit_code == 130 and "interrupted; nothing was written" in capsys.readouterr().err
    with pytest.raises(ValueError, match="a real error"):  # without a Ctrl-C an error stays an error
        with exit_on_bad_input():
            raise ValueError("a real error")
