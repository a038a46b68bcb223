"""``smilescope analyze`` and ``smilescope grade``: a video in, analysis files and figures out.

The analysis files come from :func:`smilescope.output.save_analysis`; the figures beside them
(smile.png, spectrum.png, twitches.png) are drawn by :mod:`smilescope.report.figures` and written
here, so ``output`` stays a writer of files and draws nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from smilescope.cli.console import err, exit_on_bad_input, out, safe
from smilescope.errors import BadInputError
from smilescope.inputs import load_segments
from smilescope.output import atomic_write, atomic_write_bytes, dumps, save_analysis
from smilescope.report import figures
from smilescope.report.summary import render_summary
from smilescope import store as user_store


FIGURES = ("smile.png", "spectrum.png", "twitches.png")


def write_figures(result, out_dir: Path) -> list[Path]:
    """Draw the figures of ``result`` (a pipeline ``Analysis``) into ``out_dir``; return their paths.

    smile.png when the signals have the smile excursion; spectrum.png and twitches.png always
    (a fresh analysis always has its tremor block, detected or not).
    """
    drawn = []
    if "smile_excursion_right_mm" in result.signals.columns:
        drawn.append(("smile.png", figures.smile_png(result.signals, result.smile)))
    drawn.append(("spectrum.png", figures.spectrum_png(result.signals, result.shake)))
    drawn.append(("twitches.png", figures.twitch_raster_png(result.signals, result.twitches, blinks=result.blinks)))
    return [atomic_write_bytes(Path(out_dir) / name, png) for name, png in drawn]


def save_with_figures(result, out_dir: Path) -> tuple[Path, Path]:
    """analysis.json and signals.csv, then the figures beside them; return the first two paths."""
    json_path, csv_path = save_analysis(result, out_dir)
    write_figures(result, out_dir)
    return json_path, csv_path


def remove_stale_figures(out_dir: Path) -> None:
    """Figures of an earlier run would not belong to this analysis: remove them."""
    for name in FIGURES:
        try:
            (Path(out_dir) / name).unlink()
        except FileNotFoundError:
            pass


def analyze(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, avi, webm, mkv), a folder of images, or a glob pattern in quotes."),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for analysis.json and signals.csv (created if missing)."),
    fps: Optional[float] = typer.Option(None, help="Frame rate of an image sequence (videos carry their own timestamps)."),
    no_refine: bool = typer.Option(False, "--no-refine", help="Use raw landmarks instead of optical-flow refinement (less accurate; for comparison)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary; only errors."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not add this analysis to your history (the local database of `smilescope history`)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL for the history (default: your data folder, or $SMILESCOPE_DB)."),
    subject: Optional[str] = typer.Option(None, "--subject", help="Who is filmed (a name or code), kept with this analysis in your history; `history --subject` shows one person's."),
    label: Optional[str] = typer.Option(None, "--label", help='What this recording is, e.g. "week 3" or "before treatment"; shown in `history`.'),
    figures_: bool = typer.Option(False, "--figures", help="Also draw smile.png, spectrum.png and twitches.png beside the files (`smilescope report` draws them into its page anyway)."),
) -> None:
    """Analyse one face video: writes OUT/analysis.json (measures, quality) and OUT/signals.csv (one row per frame).

    \b
    Example:
      smilescope analyze examples/d0.mp4 --out out/demo --figures
    Columns of signals.csv: t_s (s, from the video's own timestamps), valid, head_* (head motion),
    mouth_corner_{right,left}_{x,y}_mm (x lateral, y up, relative to the relaxed face), cheek_*, nasolabial_*,
    brow_*_height_mm, palpebral_*_height_mm (eye opening). Sides are the person's own.
    """
    from smilescope import pipeline  # loads MediaPipe and OpenCV: only when a video is analysed

    cfg = pipeline.PipelineConfig(refine=not no_refine)
    show = not quiet and err.is_terminal
    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        if not no_save and (db or user_store.default_url()).strip().lower() != "off":
            user_store.store_url(db or user_store.default_url())  # a bad --db, before the analysis runs
            user_store.check_name(subject, "--subject")
            user_store.check_name(label, "--label")
        if show:
            with Progress(TextColumn("[bold]analysing[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                          TimeRemainingColumn(), console=err, transient=True) as bar:
                task = bar.add_task("frames", total=None)

                def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=max(total, done) if total else None)

                result = pipeline.analyze(video, fps=fps, config=cfg, progress=progress)
        else:
            result = pipeline.analyze(video, fps=fps, config=cfg)
        if figures_:
            json_path, csv_path = save_with_figures(result, out_dir)
        else:
            json_path, csv_path = save_analysis(result, out_dir)
            remove_stale_figures(out_dir)
    if not quiet:
        out.print(render_summary(result, json_path=json_path, csv_path=csv_path, figures=figures_))
    if not no_save:
        # the summary (no frames, no per-frame signals) goes to the local history; a store
        # problem never costs the analysis files, which are already written, but it was asked
        # to be kept: the error says so and the exit status is 2
        with exit_on_bad_input(written=json_path):
            user_store.record_analysis(result, source=str(out_dir.resolve()), url=db, subject=subject, label=label)


def grade(
    video: Path = typer.Argument(..., help="One video of the movement set: rest, brow raise, gentle eye closure, smile, snarl, pucker."),
    segments: Path = typer.Option(..., "--segments", "-s", help='JSON file naming the stretches in seconds, e.g. {"rest": [0, 2], "smile": [5, 8]}.'),
    out_dir: Path = typer.Option(Path("out"), "--out", "-o", help="Folder for grading.json (and the usual analysis files)."),
    affected_side: Optional[str] = typer.Option(None, help="left or right (the person's own); default: the side that moves clearly less (3 mm and 20 %) in the smile."),
) -> None:
    """eFACE-style items (static, dynamic, ocular synkinesis) from a movement-set video — not clinically validated.

    \b
    Example:
      smilescope grade session.mp4 --segments session.json --out out/session
    Movements: rest (required), brow_raise, eye_closure, smile, snarl, pucker.
    """
    from smilescope import pipeline  # loads MediaPipe and OpenCV: only when a video is analysed
    from smilescope.io.video import open_video  # loads PyAV and OpenCV: only when grading
    from smilescope.measures.grading import MOVEMENTS, check_segments, eface_style  # loads OpenCV (through signals)

    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        if affected_side is not None and affected_side not in ("left", "right"):
            raise BadInputError(f"Invalid value for --affected-side: {affected_side!r}.", "Use left or right (the person's own).")
        # the file's shape and names first (before the video is even opened), then the ranges
        # against the video's length, before the long analysis
        seg = load_segments(segments, names=MOVEMENTS)
        with open_video(video) as src:
            duration_s = src.info.duration_s
        seg = check_segments(seg, duration_s=duration_s)
        result = _analyse_with_progress(pipeline, video, what="grade")
        err.print("grading…", highlight=False)
        doc = eface_style(result.signals, seg, affected_side=affected_side,
                          blinks=result.blinks.events if result.blinks is not None else None)
        save_with_figures(result, out_dir)
        path = atomic_write(out_dir / "grading.json", lambda fh: fh.write(dumps(doc) + "\n"))
    for line in grade_lines(doc):
        out.print(line, highlight=False, markup=False)
    out.print(f"wrote {safe(path)}", highlight=False)


def _analyse_with_progress(pipeline, video: Path, *, what: str):
    """Run the analysis with a progress bar on a terminal, or a line saying it started (and how long it takes) otherwise."""
    if err.is_terminal:
        with Progress(TextColumn(f"[bold]{what}: analysing[/]"), BarColumn(), TextColumn("{task.completed}/{task.total} frames"),
                      TimeRemainingColumn(), console=err, transient=True) as bar:
            task = bar.add_task("frames", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=max(total, done) if total else None)

            return pipeline.analyze(video, progress=progress)
    err.print(f"{what}: analysing {safe(video)} (about 1-3 s of work per second of video)…", highlight=False)
    return pipeline.analyze(video)


def _item(v) -> str:
    return "—" if v is None else f"{v:.0f}"


def grade_lines(doc: dict) -> list[str]:
    """The terminal lines of a grading.json document: label, affected side and why, items by group,
    subtotals and total, ocular narrowing, and the movements that were missing."""
    names = {"brow_at_rest": "brow at rest", "palpebral_fissure_at_rest": "eye opening at rest",
             "ocular_during_smile": "eye during smile", "ocular_during_pucker": "eye during pucker"}
    basis = {"given": "as given", "measured": "measured", "not_clear": "not clear"}.get(doc["affected_side_basis"], "")
    lines = [f"{doc['label']} (0-100 per item, 100 = like the other side; not a clinical score)",
             f"affected side: {doc['affected_side']} (person's own; {basis}): {doc['affected_side_reason']}"]
    for group in ("static", "dynamic", "synkinesis"):
        items = doc[group]
        body = ", ".join(f"{names.get(k, k.replace('_', ' '))} {_item(v)}" for k, v in items.items()) or "none scored"
        lines.append(f"{group}: {body} — subtotal {_item(doc['subtotals'][group])}")
    lines.append(f"total (mean of the items above): {_item(doc['total'])} — not clinically validated")
    for move, n in doc["ocular_narrowing_pct"].items():
        lines.append(f"eye narrowing {move.replace('_', ' ')}: right {_item(n['right'])} %, left {_item(n['left'])} % "
                     f"of the opening at rest ({doc['blinks_excluded']} blinks and winks left out)")
    if doc["missing"]:
        lines.append("not in the segments, so not scored: " + ", ".join(m.replace("_", " ") for m in doc["missing"]))
    if doc["too_short"]:
        lines.append("too few measured frames (under 3), so not scored: " + ", ".join(m.replace("_", " ") for m in doc["too_short"]))
    return lines
