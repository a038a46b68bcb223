"""``smilescope batch``: a folder or manifest of videos -> a results folder per video and one summary table."""

from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Optional
from urllib.parse import urlsplit

import typer

from smilescope.cli.console import err, exit_on_bad_input, is_loopback, on_interrupt, out, safe


def batch(
    source: Path = typer.Argument(..., help="A folder of videos (searched with its sub-folders), or a manifest CSV with a 'path' column "
                                            "and optionally subject, session, label."),
    out_dir: Path = typer.Option(..., "--out", "-o", help="Folder for the results: one folder per video and summary.parquet / summary.csv."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", show_default="the number of cores",
                                          help="Videos analysed at once (worker processes on this computer)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786) whose workers "
                                                                       "do the work; they must see the videos and --out at the same paths."),
    fps: Optional[float] = typer.Option(None, help="Frame rate of image sequences (videos carry their own timestamps)."),
    mirrored: Optional[bool] = typer.Option(None, "--mirrored/--not-mirrored", show_default="as each video file says",
                                            help="Every video plays as a mirror image (selfie recordings): flip them back so sides stay the person's own."),
    no_refine: bool = typer.Option(False, "--no-refine", help="Raw landmarks instead of optical-flow refinement (as analyze --no-refine)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary; only errors."),
) -> None:
    """Analyse many videos the same way, on all cores or a Dask cluster: OUT/<video>/analysis.json and
    signals.parquet per video, OUT/summary.parquet and OUT/summary.csv with one row per video.

    A rerun skips the videos already analysed (same file content, same settings) and goes on where an
    interrupted run stopped. A broken file is recorded in the summary with its error; the batch goes on.

    \b
    Example:
      smilescope batch videos/ --out results/
      smilescope batch manifest.csv --out results/ --workers 2
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn  # noqa: PLC0415

    from smilescope.archive.runner import batch as run_batch  # noqa: PLC0415 - Dask and pandas load on demand

    if scheduler and not quiet and not _loopback(scheduler):
        err.print(f"note: the videos' paths, subjects and results travel to {safe(scheduler)} and its workers over the "
                  "network; tcp:// is not encrypted (Dask's tls:// with its security settings is).", highlight=False)
    # `kill` (SIGTERM) ends the batch as Ctrl-C does: the finished videos are summarised first
    previous = signal.signal(signal.SIGTERM, on_interrupt) if threading.current_thread() is threading.main_thread() else None

    show = not quiet and err.is_terminal
    notes: list[str] = []
    stats = {"failed": 0, "reused": 0, "done": 0, "total": 0}
    with exit_on_bad_input(interrupted="interrupted; the videos finished so far are kept and summarised; "
                                       "run the same command again to go on"):
        with Progress(TextColumn("[bold]analysing videos[/]"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[failed]} failed, {task.fields[reused]} kept from before"),
                      TimeRemainingColumn(), console=err, transient=True, disable=not show) as bar:
            task = bar.add_task("videos", total=None, failed=0, reused=0)

            def progress(p) -> None:
                what = ("failed" if p.failed > stats["failed"] else "kept from an earlier run" if p.reused > stats["reused"]
                        else "analysed")
                stats.update(failed=p.failed, reused=p.reused, done=p.done, total=p.total)
                bar.update(task, completed=p.done, total=p.total, failed=p.failed, reused=p.reused)
                if not show and not quiet:  # a log file (nohup, a pipe): a line per video instead of the bar
                    err.print(f"[{p.done}/{p.total}] {safe(p.last)}: {what} ({p.failed} failed so far, "
                              f"{p.elapsed_s / 60:.1f} min)", highlight=False, soft_wrap=True)

            try:
                frame = run_batch(source, out_dir, workers=workers, scheduler=scheduler, fps=fps, mirrored=mirrored,
                                  refine=not no_refine, progress=progress, notes=notes)
            finally:
                if previous is not None:
                    signal.signal(signal.SIGTERM, previous)
    failed = frame[frame["status"] != "ok"]
    if quiet:  # errors only: each video that failed, on stderr
        for _, r in failed.iterrows():
            # one line per video, however long its message: a log is read with grep
            err.print(f"failed ({r['error_kind']}): {safe(r['name'])}: {safe(r['error'])}", highlight=False,
                      soft_wrap=not err.is_terminal)
    else:
        for n in notes:
            err.print(f"note: {safe(n)}", highlight=False)
        out.print(tally(frame), highlight=False)
        for _, r in failed.iterrows():
            out.print(f"  failed ({r['error_kind']}): {safe(r['name'])}: {safe(r['error'])}", highlight=False,
                      soft_wrap=not out.is_terminal)
        out.print(f"wrote {safe(Path(out_dir) / 'summary.parquet')} and summary.csv (one row per video) and a folder per "
                  "video. These are measurements, not a diagnosis.", highlight=False)
    if len(frame) and len(failed) == len(frame):
        # nothing was analysed: a script must not read this as success (the summary is written)
        raise typer.Exit(2)


def _loopback(address: str) -> bool:
    """The scheduler runs on this computer."""
    return is_loopback(urlsplit(address if "://" in address else f"tcp://{address}").hostname or "")


def tally(frame) -> str:
    """The run in one line: videos analysed and failed, each with how many an earlier run gave."""
    ok, failed = frame[frame["status"] == "ok"], frame[frame["status"] != "ok"]
    kept_ok, kept_failed = int(ok["reused"].sum()), int(failed["reused"].sum())
    return (f"{len(frame)} videos: {len(ok)} analysed" + (f" ({kept_ok} kept from an earlier run)" if kept_ok else "")
            + f", {len(failed)} failed" + (f" ({kept_failed} as in an earlier run)" if kept_failed else "") + ".")
