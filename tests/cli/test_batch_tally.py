"""`smilescope batch`'s closing line: the counts add up (failed videos kept from an earlier run
were counted among the analysed ones: "5 videos: 3 analysed (5 kept from an earlier run)")."""

from __future__ import annotations

import pandas as pd
import pytest

from smilescope.cli.batch import tally


def test_the_tally_counts_kept_videos_where_they_belong():
    rerun = pd.DataFrame({"status": ["ok", "ok", "ok", "failed", "failed"], "reused": [True] * 5})
    assert tally(rerun) == "5 videos: 3 analysed (3 kept from an earlier run), 2 failed (2 as in an earlier run)."
    first = pd.DataFrame({"status": ["ok", "failed"], "reused": [False, False]})
    assert tally(first) == "2 videos: 1 analysed, 1 failed."


def test_without_a_terminal_each_finished_video_gets_a_line(tmp_path, monkeypatch):
    """A long batch under nohup or into a log file showed nothing until the end (the bar needs a
    terminal): each finished video now gets a line saying how it ended."""
    from typer.testing import CliRunner

    from smilescope.archive import runner
    from smilescope.cli import app

    def fake_batch(source, out, *, progress, **kw):
        steps = [("a", 0, 0), ("b", 1, 0), ("c", 1, 1)]  # name, failed so far, kept so far
        for i, (name, failed, reused) in enumerate(steps, start=1):
            progress(runner.BatchProgress(done=i, failed=failed, reused=reused, total=3, elapsed_s=30.0 * i, last=name))
        return pd.DataFrame({"name": ["a", "b", "c"], "status": ["ok", "failed", "ok"], "reused": [False, False, True],
                             "error_kind": ["", "bad input", ""], "error": ["", "broken", ""]})

    monkeypatch.setattr(runner, "batch", fake_batch)
    (tmp_path / "v").mkdir()
    r = CliRunner().invoke(app, ["batch", str(tmp_path / "v"), "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "[1/3] a: analysed (0 failed so far, 0.5 min)" in r.output
    assert "[2/3] b: failed (1 failed so far, 1.0 min)" in r.output
    assert "[3/3] c: kept from an earlier run (1 failed so far, 1.5 min)" in r.output


@pytest.mark.parametrize("quiet", [False, True])
def test_a_batch_where_every_video_failed_says_which_and_exits_2(tmp_path, monkeypatch, quiet):
    """With -q ("only errors") a batch of bad videos printed nothing and exited 0."""
    from typer.testing import CliRunner

    from smilescope.archive import runner
    from smilescope.cli import app

    def fake_batch(source, out, *, progress, **kw):
        return pd.DataFrame({"name": ["text.mp4", "empty.mp4"], "status": ["failed", "failed"], "reused": [False, False],
                             "error_kind": ["bad input", "bad input"], "error": ["not a video", "empty file"]})

    monkeypatch.setattr(runner, "batch", fake_batch)
    (tmp_path / "v").mkdir()
    r = CliRunner().invoke(app, ["batch", str(tmp_path / "v"), "--out", str(tmp_path / "o"), *(["-q"] if quiet else [])])
    assert r.exit_code == 2, r.output
    assert "text.mp4: not a video" in r.output and "empty.mp4: empty file" in r.output


@pytest.mark.parametrize("quiet", [False, True])
def test_a_long_failure_message_stays_on_one_line_in_a_log(tmp_path, monkeypatch, quiet):
    """`grep failed batch.log` must show the whole message: no wrapping at 80 columns off a terminal."""
    from typer.testing import CliRunner

    from smilescope.archive import runner
    from smilescope.cli import app

    long = "the file looks truncated: decoding stopped at frame 331 of about 587; " * 3 + "record it again."

    def fake_batch(source, out, *, progress, **kw):
        return pd.DataFrame({"name": ["clinic__p01__smile", "ok"], "status": ["failed", "ok"], "reused": [False, False],
                             "error_kind": ["bad input", ""], "error": [long, ""]})

    monkeypatch.setattr(runner, "batch", fake_batch)
    (tmp_path / "v").mkdir()
    r = CliRunner().invoke(app, ["batch", str(tmp_path / "v"), "--out", str(tmp_path / "o"), *(["-q"] if quiet else [])])
    assert r.exit_code == 0, r.output
    (line,) = [ln for ln in r.output.splitlines() if "failed (bad input)" in ln]
    assert line.strip() == f"failed (bad input): clinic__p01__smile: {long}"
