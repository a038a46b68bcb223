"""Finishing a recording: per-frame results -> calibrated signal table, quality and video blocks.

What needs the whole recording lives here: the millimetre scale from every usable iris, the
noise floor, the share of usable frames and the plain-word warnings.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smilescope import landmarks as lm
from smilescope.errors import BadInputError
from smilescope.geometry.calibration import Calibration, calibrate_frames, good_for_iris
from smilescope.io import VideoInfo
from smilescope.pipeline.engine import FrameResult, PipelineConfig
from smilescope.results import FrameInterval, HeadMotion, Peaks, QualityBlock, VideoBlock
from smilescope.signals import (DISPLACEMENT_SIGNALS, FACIAL_SIGNALS, HEAD_SIGNALS, SignalTable, mend_tracking_jumps,
                                noise_floor_mm, px_name)


@dataclass
class Finished:
    """The whole-recording part of an analysis, before the measures."""

    table: SignalTable
    calibration: Calibration
    video: VideoBlock
    quality: QualityBlock
    head_motion: HeadMotion
    peaks: Peaks


def check_usable(results: list[FrameResult], *, path, config: PipelineConfig) -> None:
    """Raise :class:`BadInputError` when no frame can be measured, saying why and what to do."""
    n = len(results)
    if n == 0:
        raise BadInputError(f"No frame could be read from {path}.", "Check that the file is a complete video.")
    found = np.array([r.face_found for r in results])
    if not found.any():
        raise BadInputError(
            f"No face was found in any of the {n} frames.",
            "Film the face from the front, well lit, filling a good part of the picture.",
        )
    med_w = float(np.nanmedian(np.array([r.face_width_px for r in results])[found]))
    if med_w < config.min_face_width_px:
        raise BadInputError(
            f"The face is too small to measure: about {med_w:.0f} px wide (at least {config.min_face_width_px:.0f} px needed).",
            "Move the camera closer or record at a higher resolution.",
        )
    if not any(r.valid for r in results):
        reasons = {r.reason for r in results if r.face_found}
        if "head turned" in reasons:
            raise BadInputError(
                "The head is turned too far from the camera in every frame "
                f"(more than {config.max_yaw_deg:.0f} deg sideways or {config.max_pitch_deg:.0f} deg up/down).",
                "Face the camera directly.",
            )
        if n == 1:
            raise BadInputError(
                "Only one frame was read (a single picture): movement is measured against the same face at rest, so it needs a video.",
                "Record a video of a few seconds that starts with a relaxed face, looking at the camera.",
            )
        if reasons <= {"settling"}:
            seen_s = results[-1].t_s - next(r.t_s for r in results if r.face_found)
            raise BadInputError(
                f"The recording is too short to measure: the face is seen for {seen_s:.2f} s in {int(found.sum())} frames, "
                f"and the relaxed reference is taken only once the face has been tracked for {config.settle_s:.1f} s "
                "(at least 3 frames).",
                "Record a video of a few seconds that starts with a relaxed face, looking at the camera.",
            )
        if "waiting for a frontal face" in reasons:
            raise BadInputError(
                f"The face is never frontal enough for a reference (within {config.reference_max_angle_deg:.0f} deg of "
                "facing the camera) in any frame.",
                "Face the camera directly at the start, relaxed, for a second.",
            )
        raise BadInputError("No frame was usable for measurement.", "Face the camera directly, well lit, and hold still at the start.")


def calibrate_results(results: list[FrameResult]) -> Calibration:
    """The video's millimetre scale from the iris of every frame fit for it.

    The eye-opening reference is the 75th percentile over valid frames (eyes wide open); when
    fewer than 3 frames qualify, every valid frame with an iris measurement is used.
    """
    valid = np.array([r.valid for r in results])
    iris = np.array([r.iris_ref_px for r in results])
    opening = np.array([r.eye_open_px if r.valid else np.nan for r in results])
    open_ref = float(np.nanpercentile(opening, 75))
    use = np.array([r.valid and np.isfinite(r.iris_ref_px) and good_for_iris(r.yaw_deg, r.pitch_deg, o, open_ref)
                    for r, o in zip(results, opening)])
    if use.sum() < 3:
        use = valid & np.isfinite(iris)
    return calibrate_frames(iris[use])


def signal_table(results: list[FrameResult], mm_per_px: float) -> SignalTable:
    """One row per frame: head motion and facial signals in mm (NaN where not measured), the
    smile score, teeth shown, how far the lips are apart (mm), face width (px) and the share of refined points."""
    valid = np.array([r.valid for r in results])
    cols: dict[str, np.ndarray] = {}
    for name in HEAD_SIGNALS:
        key, scale = (px_name(name), mm_per_px) if name.endswith("_mm") else (name, 1.0)
        cols[name] = np.array([r.head.get(key, np.nan) * scale if r.valid else np.nan for r in results])
    for name in FACIAL_SIGNALS:
        key = px_name(name)
        cols[name] = np.array([r.signals_px[key] * mm_per_px if r.valid else np.nan for r in results])
    cols["smile_score"] = np.array([r.smile_score for r in results])
    cols["dental_show"] = np.array([r.dental_show for r in results])
    cols["lip_gap_mm"] = np.array([r.lip_gap_px * mm_per_px if r.valid else np.nan for r in results])
    cols["face_width_px"] = np.array([r.face_width_px for r in results])
    cols["refined_fraction"] = np.array([r.refined_fraction for r in results])
    return SignalTable(t_s=np.array([r.t_s for r in results]), valid=valid, columns=cols)


def finish(results: list[FrameResult], *, path: str | Path, info: VideoInfo, warnings: list[str],
           multi_face: bool, config: PipelineConfig) -> Finished:
    """Calibrate, tabulate and summarise the per-frame results of one recording.

    Raises
    ------
    BadInputError
        No frame, no face, a face too small, a head turned away throughout, no iris.
    """
    check_usable(results, path=path, config=config)
    warnings = list(warnings)
    found = np.array([r.face_found for r in results])
    valid = np.array([r.valid for r in results])
    turned = np.array([r.reason == "head turned" for r in results])
    ratio = float(found.mean())
    if ratio < 0.5:
        warnings.append(f"A face was found in only {ratio:.0%} of the frames; measures cover those frames only. "
                        "Keep the face in the picture for the whole recording.")
    if turned.mean() > 0.1:
        warnings.append(f"The head was turned too far in {turned.mean():.0%} of the frames; those frames are not measured. "
                        "Face the camera directly.")
    if multi_face:
        warnings.append("More than one face was in the picture; the largest face was analysed. "
                        "Record one person at a time for reliable results.")
    cal = calibrate_results(results)
    if cal.mm_per_px_spread > 0.08:
        warnings.append(f"The millimetre scale is uncertain (iris size varies by {cal.mm_per_px_spread:.0%} between frames); "
                        "film closer, with better light, eyes open.")
    table = signal_table(results, cal.mm_per_px)
    cols = table.columns
    floors = {name: noise_floor_mm(cols[name], valid) for name in FACIAL_SIGNALS}
    jumps = mend_tracking_jumps(cols, valid, floors)
    known = [floors[k] for k in DISPLACEMENT_SIGNALS if np.isfinite(floors[k])]
    disp_floor = float(np.median(known)) if known else float("nan")  # too few frames: unknown
    reasons: dict[str, int] = {}
    for r in results:
        if not r.valid and r.reason:
            reasons[r.reason] = reasons.get(r.reason, 0) + 1
    quality = QualityBlock(
        face_frames_ratio=ratio,
        valid_frames_ratio=float(valid.mean()),
        invalid_reasons=reasons,
        mm_per_px=cal.mm_per_px,
        mm_per_px_spread=cal.mm_per_px_spread,
        iris_mm=cal.iris_mm,
        iris_px=cal.iris_px,
        face_width_px=float(np.nanmedian(cols["face_width_px"][found])),
        noise_floor_mm=disp_floor,
        noise_floor_by_signal_mm=floors,
        refined_fraction=float(np.nanmean(cols["refined_fraction"][valid])) if config.refine else None,  # none refined
        refinement="lucas-kanade" if config.refine else "none",
        warnings=warnings,
        tracking_jumps_mended=jumps,
    )
    return Finished(table=table, calibration=cal, video=video_block(path, info, table.t_s), quality=quality,
                    head_motion=head_summary(cols, valid), peaks=peaks(cols, valid))


def video_block(path: str | Path, info: VideoInfo, t_s: np.ndarray) -> VideoBlock:
    """Size, frame rate (container's, else from the timestamps), duration and frame spacing."""
    n = len(t_s)
    duration = float(t_s[-1] - t_s[0]) if n > 1 else 0.0
    dt = np.diff(t_s)
    return VideoBlock(
        path=str(path),
        fps=float(info.fps) if info.fps else (float((n - 1) / duration) if duration > 0 else None),
        frames=n,
        duration_s=float(info.duration_s) if info.duration_s else duration,
        width_px=int(info.width),
        height_px=int(info.height),
        rotation_deg=int(getattr(info, "rotation_deg", 0) or 0),
        codec=getattr(info, "codec", None),
        frame_interval_s=FrameInterval(median=float(np.median(dt)) if n > 1 else None,
                                       min=float(np.min(dt)) if n > 1 else None,
                                       max=float(np.max(dt)) if n > 1 else None),
        mirrored=bool(getattr(info, "mirrored", False)), mirrored_by=getattr(info, "mirrored_by", "default"),
    )


def head_summary(cols: dict[str, np.ndarray], valid: np.ndarray) -> HeadMotion:
    """Spread of the rigid head motion: RMS about the mean and range, per component."""
    out: dict[str, float | None] = {}
    for name in ("head_x_mm", "head_y_mm", "head_roll_deg", "head_yaw_deg", "head_pitch_deg", "head_scale"):
        v = cols[name][valid]
        v = v[np.isfinite(v)]
        stem, _, unit = name.rpartition("_")
        if name == "head_scale":
            stem, unit = name, ""
        suffix = f"_{unit}" if unit else ""
        out[f"{stem}_rms{suffix}"] = float(np.sqrt(np.mean((v - v.mean()) ** 2))) if len(v) else None
        out[f"{stem}_range{suffix}"] = float(np.ptp(v)) if len(v) else None
    return HeadMotion(**out)


def peaks(cols: dict[str, np.ndarray], valid: np.ndarray) -> Peaks:
    """95th percentile of each point's distance from rest: the largest sustained movement, not
    one noisy frame."""
    out: dict[str, float | None] = {}
    for name in ("mouth_corner", "cheek", "nasolabial"):
        for side in lm.SIDES:
            d = np.hypot(cols[f"{name}_{side}_x_mm"], cols[f"{name}_{side}_y_mm"])[valid]
            d = d[np.isfinite(d)]
            out[f"{name}_{side}_mm"] = float(np.percentile(d, 95)) if len(d) else None
    return Peaks(**out)
