"""``smilescope analyze`` and ``smilescope grade``: a video in, analysis files and figures out.

The analysis files come from :func:`smilescope.output.save_analysis`, which replaces the output
folder's contents as one set; the figures in it (smile.png, spectrum.png, twitches.png) are drawn
here by :mod:`smilescope.report.figures` and handed over as bytes, so ``output`` stays a writer of
files and draws nothing.
"""

from __future__ import annotations

import json
import os
import shlex
from pathlib import Path
from typing import Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from smilescope.cli.console import err, exit_on_bad_input, interrupt_at_safe_points, out, safe
from smilescope.errors import BadInputError
from smilescope.inputs import load_segments
from smilescope.measures.grading import MOVEMENTS, check_segments, eface_style
from smilescope.output import check_out_dir, dumps, save_analysis
from smilescope.report import figures, words
from smilescope.cli.summary import render_summary
from smilescope import store as user_store


def draw_figures(result) -> dict[str, bytes]:
    """The figures of ``result`` (a pipeline ``Analysis``) as PNG bytes, by file name.

    smile.png when the signals have the smile excursion; spectrum.png and twitches.png always
    (a fresh analysis always has its tremor block, detected or not).
    """
    drawn = {}
    if "smile_excursion_right_mm" in result.signals.columns:
        drawn["smile.png"] = figures.smile_png(result.signals, result.smile)
    drawn["spectrum.png"] = figures.spectrum_png(result.signals, result.shake)
    drawn["twitches.png"] = figures.twitch_raster_png(result.signals, result.twitches, blinks=result.blinks)
    return drawn


def refuse_photo(video: Path, command: str) -> None:
    """A still photo given where a video is needed: refused with the command that measures photos."""
    from smilescope.io.photo import is_still_photo  # smilescope.io loads PyAV and OpenCV: only when a video command runs

    if is_still_photo(video):
        raise BadInputError(f"'{video}' is a photo: `smilescope {command}` measures movement, which needs a video.",
                            f"For a photo's measures (mouth-corner heights, brows, eye openings, the side that looks "
                            f"affected), run `smilescope photo {shlex.quote(str(video))}`; to measure movement, record a video of a few "
                            "seconds that starts with a relaxed face, looking at the camera.")


def default_out_dir(video: Path) -> Path:
    """``out/<video name>``: each video's results in a folder of their own, so analysing a second
    video never replaces the first one's results unasked (a fixed ``out`` did)."""
    text = str(video)
    if any(ch in text for ch in "*?["):  # a glob pattern: name it after the folder it searches
        text = text[: min(text.index(ch) for ch in "*?[" if ch in text)]
        name = Path(text).name if not text.endswith(("/", os.sep)) else Path(text.rstrip("/" + os.sep)).name
    else:
        p = Path(os.path.abspath(video))
        name = p.stem if p.suffix and not p.is_dir() else p.name
    name = name.strip().lstrip(".")
    return Path("out") / (name or "analysis")


def previous_video(out_dir: Path) -> str | None:
    """The video whose results ``out_dir`` holds now (its analysis.json), if readable."""
    try:
        doc = json.loads((out_dir / "analysis.json").read_text(encoding="utf-8"))
        path = doc["video"]["path"]
        return path if isinstance(path, str) else None
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return None


def analyze(
    video: Path = typer.Argument(..., help="Video file (mp4, mov, avi, webm, mkv), a folder of images, or a glob pattern in quotes."),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", show_default="out/<video name>",
                                           help="Folder for analysis.json and signals.csv (created if missing); each run replaces its contents as a whole."),
    fps: Optional[float] = typer.Option(None, help="Frame rate of an image sequence (videos carry their own timestamps)."),
    mirrored: Optional[bool] = typer.Option(None, "--mirrored/--not-mirrored", show_default="as the video file says, else not mirrored",
                                            help="The video plays as a mirror image (a selfie recording): flip it back so sides stay the person's own."),
    no_refine: bool = typer.Option(False, "--no-refine", help="Use raw landmarks instead of optical-flow refinement (less accurate; for comparison)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary; only errors."),
    no_save: bool = typer.Option(False, "--no-save", help="Do not add this analysis to your history (the local database of `smilescope history`)."),
    db: Optional[str] = typer.Option(None, "--db", help="Database URL for the history (default: your data folder, or $SMILESCOPE_DB)."),
    subject: Optional[str] = typer.Option(None, "--subject", help="Who is filmed (a name or code), kept with this analysis in your history; `history --subject` shows one person's."),
    label: Optional[str] = typer.Option(None, "--label", help='What this recording is, e.g. "week 3" or "before treatment"; shown in `history`.'),
    figures_: bool = typer.Option(False, "--figures", help="Also draw smile.png, spectrum.png and twitches.png beside the files (`smilescope report` draws them into its page anyway)."),
    overlay: bool = typer.Option(False, "--overlay", help="Also write overlay.png: key frames (relaxed reference, each smile's apex, each twitch) with the tracked points drawn, to see that the tracking held."),
) -> None:
    """Analyse one face video: writes OUT/analysis.json (measures, quality) and OUT/signals.csv (one row per frame).

    \b
    Example:
      smilescope analyze examples/d0.mp4 --out out/demo --figures
    Columns of signals.csv: t_s (s, from the video's own timestamps), valid, head_* (head motion),
    mouth_corner_{right,left}_{x,y}_mm (x lateral, y up, relative to the relaxed face), cheek_*, nasolabial_*,
    brow_*_height_mm, palpebral_*_height_mm (eye opening). Sides are the person's own.
    """
    show = not quiet and err.is_terminal
    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        with interrupt_at_safe_points() as check:  # from the start: the checks below load PyAV and OpenCV
            refuse_photo(video, "analyze")
            if out_dir is None:
                out_dir = default_out_dir(video)
            check_out_dir(out_dir, kind="video")  # a file, a link loop, a folder of someone else's files: refused before the work
            if not no_save and (db or user_store.default_url()).strip().lower() != "off":
                user_store.store_url(db or user_store.default_url())  # a bad --db, before the analysis runs
                user_store.check_name(subject, "--subject")
                user_store.check_name(label, "--label")
            from smilescope import pipeline  # its names load MediaPipe and OpenCV on first use: only when a video is analysed

            check()
            cfg = pipeline.PipelineConfig(refine=not no_refine)
            result = _run_analysis(pipeline, video, check, label="analysing", bar=show, fps=fps, mirrored=mirrored, config=cfg)
        before = previous_video(out_dir)
        extra = draw_figures(result) if figures_ else {}
        if overlay:
            from smilescope.pipeline.overlay import key_frames  # decodes the video again: only when asked
            from smilescope.report.annotate import contact_sheet_png  # OpenCV drawing: only when asked

            frames = key_frames(video, result, fps=fps, mirrored=bool(result.video.mirrored))
            if frames:
                extra["overlay.png"] = contact_sheet_png(frames)
        json_path, csv_path = save_analysis(result, out_dir, extra=extra)
    if before is not None and not quiet and os.path.abspath(before) != os.path.abspath(result.video.path):
        err.print(f"note: {safe(out_dir)} held the results of {safe(before)}; they were replaced by this video's.", highlight=False)
    if not quiet:
        out.print(render_summary(result, json_path=json_path, csv_path=csv_path, figures=figures_,
                                 overlay="overlay.png" in extra))
    if not no_save:
        # the summary (no frames, no per-frame signals) goes to the local history; a store
        # problem never costs the analysis files, which are already written, but it was asked
        # to be kept: the error says so and the exit status is 2
        with exit_on_bad_input(written=json_path):
            user_store.record_analysis(result, source=str(out_dir.resolve()), url=db, subject=subject, label=label)


def grade(
    video: Path = typer.Argument(..., help="One video of the movement set: rest, brow raise, gentle eye closure, smile, snarl, pucker."),
    segments: Path = typer.Option(..., "--segments", "-s", help='JSON file naming the stretches in seconds, e.g. {"rest": [0, 2], "smile": [5, 8]}.'),
    out_dir: Optional[Path] = typer.Option(None, "--out", "-o", help="Folder for grading.json (and the usual analysis files); default out/VIDEO-grade."),
    affected_side: Optional[str] = typer.Option(None, help="left or right (the person's own); default: the side that moves clearly less (3 mm and 20 %) in the smile."),
) -> None:
    """eFACE-style items (static, dynamic, ocular synkinesis) from a movement-set video — not clinically validated.

    \b
    Example:
      smilescope grade session.mp4 --segments session.json --out out/session
    Movements: rest (required), brow_raise, eye_closure, smile, snarl, pucker.
    """
    with exit_on_bad_input(interrupted="interrupted; nothing was written"):
        with interrupt_at_safe_points() as check:  # from the start: loading PyAV and OpenCV
            from smilescope import pipeline  # its names load MediaPipe and OpenCV on first use: only when a video is analysed
            from smilescope.io.video import open_video  # loads PyAV and OpenCV: only when grading

            check()
            if affected_side is not None and affected_side not in ("left", "right"):
                raise BadInputError(f"Invalid value for --affected-side: {affected_side!r}.", "Use left or right (the person's own).")
            # the file's shape and names first (before the video is even opened), then the ranges
            # against the video's length, before the long analysis
            refuse_photo(video, "grade")
            seg = load_segments(segments, names=MOVEMENTS)
            out_dir = out_dir if out_dir is not None else Path("out") / f"{video.stem.lstrip('.') or 'video'}-grade"
            check_out_dir(out_dir, kind="video")  # before the long analysis
            with open_video(video) as src:
                duration_s = src.info.duration_s
            seg = check_segments(seg, duration_s=duration_s)
            result = _analyse_with_progress(pipeline, video, check, what="grade")
        err.print("grading…", highlight=False)
        doc = eface_style(result.signals, seg, affected_side=affected_side,
                          blinks=result.blinks.events if result.blinks is not None else None,
                          mm_per_px=result.quality.mm_per_px)
        # grading.json goes with the analysis files and figures, as one set that replaces the folder's
        save_analysis(result, out_dir, extra={**draw_figures(result), "grading.json": dumps(doc) + "\n"})
        path = out_dir / "grading.json"
    for line in grade_lines(doc):
        out.print(line, highlight=False, markup=False)
    out.print(f"wrote {safe(path)}", highlight=False)


def _analyse_with_progress(pipeline, video: Path, check, *, what: str):
    """Run the analysis with a progress bar on a terminal, or a line saying it started (and how long it takes) otherwise."""
    if not err.is_terminal:
        err.print(f"{what}: analysing {safe(video)} (about 1-3 s of work per second of video)…", highlight=False)
    return _run_analysis(pipeline, video, check, label=f"{what}: analysing", bar=err.is_terminal)


def _run_analysis(pipeline, video: Path, check, *, label: str, bar: bool, **kw):
    """``pipeline.analyze(video, **kw)`` with a progress bar (``bar``) labelled ``label``, and
    Ctrl-C taken after a frame: ``check`` is :func:`interrupt_at_safe_points`'s, whose block the
    command opened before it loaded anything (a KeyboardInterrupt raised inside an import is
    printed by NumPy's loader or swallowed)."""
    if not bar:
        return pipeline.analyze(video, progress=check, **kw)
    with Progress(TextColumn(f"[bold]{label}[/]"), BarColumn(), MofNCompleteColumn(), TextColumn("frames"),
                  TimeRemainingColumn(), console=err, transient=True) as shown:
        task = shown.add_task("frames", total=None)

        def progress(done: int, total: int) -> None:
            check()
            shown.update(task, completed=done, total=max(total, done) if total else None)

        return pipeline.analyze(video, progress=progress, **kw)


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
    negative = []
    for move, n in doc["ocular_narrowing_pct"].items():
        lines.append(f"eye narrowing {move.replace('_', ' ')}: right {_item(n['right'])} %, left {_item(n['left'])} % "
                     f"of the opening at rest ({doc['blinks_excluded']} blink{'s' if doc['blinks_excluded'] != 1 else ''} or wink{'s' if doc['blinks_excluded'] != 1 else ''} left out)")
        if any(isinstance(v, (int, float)) and round(v) < 0 for v in n.values()):
            negative.append(move.replace("_", " "))
    if doc["ocular_narrowing_pct"]:
        # measured between the segments given, so it may differ from analyze's (every smile frame
        # against the relaxed face the analysis found)
        lines.append("eye narrowing here compares the segments you gave with your rest segment; `analyze` compares "
                     "every smile with the relaxed face it finds, so the two can differ"
                     + (f"; {words.NEGATIVE_EYE_NARROWING.format(during=' and '.join(negative))}" if negative else ""))
    if doc["missing"]:
        lines.append("not in the segments, so not scored: " + ", ".join(m.replace("_", " ") for m in doc["missing"]))
    if doc["too_short"]:
        lines.append("too few measured frames (under 3), so not scored: " + ", ".join(m.replace("_", " ") for m in doc["too_short"]))
    return lines
