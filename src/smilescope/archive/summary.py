"""The batch summary: one row per video, the same columns whether it worked or not.

:func:`summary_row` reads the headline numbers of one :class:`~smilescope.results.Analysis`;
:data:`COLUMNS` lists every column with its meaning (the README prints the same table).
Sides are the person's own. A number that could not be judged (no relaxed face, talking, too
little video) is empty, and ``not_judged`` says why, as in analysis.json.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path

from smilescope.measures.flags import MIN_RATE_S
from smilescope.output import atomic_write, atomic_write_bytes
from smilescope.results import Analysis

#: name -> (pandas dtype, meaning); the order of the summary's columns.
COLUMNS: dict[str, tuple[str, str]] = {
    "name": ("string", "the video's results folder inside the batch's output folder"),
    "path": ("string", "the video file (absolute)"),
    "subject": ("string", "from the manifest"),
    "session": ("string", "from the manifest"),
    "label": ("string", "from the manifest"),
    "status": ("string", "ok, or failed"),
    "error_kind": ("string", "for a failed video: 'bad input' (the file: fix it and run again) or 'internal error' (a bug: report it)"),
    "error": ("string", "what went wrong, and what to do"),
    "reused": ("boolean", "True when the results of an earlier run were kept (same file content, same settings)"),
    "content_sha256": ("string", "hash of the file's bytes (what 'same video' means for a rerun)"),
    "duration_s": ("Float64", "length of the video (s)"),
    "frames": ("Int64", "frames read"),
    "face_frames_ratio": ("Float64", "share of frames with a face found"),
    "valid_frames_ratio": ("Float64", "share of frames measured (face found, large enough, not turned away)"),
    "face_width_px": ("Float64", "median face width (px)"),
    "mm_per_px": ("Float64", "scale from the iris (11.7 mm), mm per pixel"),
    "noise_floor_mm": ("Float64", "frame-to-frame noise of the still face (mm)"),
    "smile_episodes": ("Int64", "smiles found"),
    "excursion_right_mm": ("Float64", "median movement of the right mouth corner in a smile (mm)"),
    "excursion_left_mm": ("Float64", "median movement of the left mouth corner in a smile (mm)"),
    "asymmetry_pct": ("Float64", "left/right difference (%) of what the sides were compared on (the excursions; the corners' lift when the head turned in every smile), as in analysis.json"),
    "weaker_side": ("string", "left / right / none: the side that moves clearly less (NA: not judged, see not_judged)"),
    "tremor_detected": ("boolean", "a facial tremor was called (empty: not judged, see not_judged)"),
    "tremor_hz": ("Float64", "its frequency (Hz)"),
    "tremor_mm": ("Float64", "its amplitude (mm)"),
    "tremor_side": ("string", "left / right / both / none (NA: not judged)"),
    "tremor_region": ("string", "mouth / cheek / eye / brow (NA: no tremor called)"),
    "head_tremor_hz": ("Float64", "head tremor frequency (Hz), when one was called"),
    "twitches_per_min": ("Float64", "twitches per minute of relaxed face (empty: not judged, or under 30 s of video)"),
    "blinks_per_min": ("Float64", "blinks per minute (empty under 30 s of video: a few blinks give no rate)"),
    "synkinesis_side": ("string", "the eye that narrows with the smile: left / right / both / none (NA: not judged)"),
    "flags": ("string", "the findings for the guidance, ';'-separated (id:side)"),
    "not_judged": ("string", "what could not be judged and why, ';'-separated"),
    "warnings": ("string", "the recording's quality warnings, as in analysis.json (a truncated file, few frames with a face, ...), ';'-separated"),
    "processing_s": ("Float64", "time this video took in its worker: hashing, analysis, files (s)"),
    "worker_peak_mb": ("Float64", "peak resident memory of the worker process that analysed it, so far (MB)"),
}


def _num(x) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


#: Text columns left empty (NA in the table) when the recording could not show them.
UNJUDGED_TEXT = ("weaker_side", "tremor_side", "tremor_region", "synkinesis_side")


def summary_row(analysis: Analysis) -> dict:
    """The measured columns of :data:`COLUMNS` for one analysis (no name, path or status)."""
    a = analysis
    q, sm, sh, tw, bl, sk = a.quality, a.smile, a.shake, a.twitches, a.blinks, a.synkinesis
    tremor = sh.tremor if sh is not None else None
    rates = _num(a.video.duration_s) is not None and a.video.duration_s >= MIN_RATE_S  # no rate from a few seconds
    tremor_judged = tremor is not None and (tremor.detected or tremor.judged)
    sides_judged = sm is not None and not sm.not_judged and bool(sm.sides_compared_on)
    not_judged = [f"{what}: {why}" for what, why in a.not_judged()]
    if sm is not None and not sm.not_judged and not sides_judged:  # (else the smile's own reason says it)
        not_judged.insert(0, f"smile sides: {_sides_not_judged(sm)}")
    return {
        "duration_s": _num(a.video.duration_s),
        "frames": a.video.frames,
        "face_frames_ratio": _num(q.face_frames_ratio),
        "valid_frames_ratio": _num(q.valid_frames_ratio),
        "face_width_px": _num(q.face_width_px),
        "mm_per_px": _num(q.mm_per_px),
        "noise_floor_mm": _num(q.noise_floor_mm),
        "smile_episodes": len(sm.episodes) if sm else 0,
        "excursion_right_mm": _num(sm.excursion_mm.get("right")) if sm else None,
        "excursion_left_mm": _num(sm.excursion_mm.get("left")) if sm else None,
        "asymmetry_pct": _num(sm.asymmetry_pct) if sm else None,
        "weaker_side": sm.weaker_side if sides_judged else "",
        "tremor_detected": bool(tremor.detected) if tremor_judged else None,
        "tremor_hz": _num(tremor.frequency_hz) if tremor and tremor.detected else None,
        "tremor_mm": _num(tremor.amplitude_mm) if tremor and tremor.detected else None,
        "tremor_side": tremor.side if tremor_judged else "",
        "tremor_region": (tremor.region or "") if tremor and tremor.detected else "",
        "head_tremor_hz": _num(sh.head.frequency_hz) if sh and sh.head.tremor_detected else None,
        "twitches_per_min": _num(tw.twitch_rate_per_min.total) if tw and tw.judged and rates else None,
        "blinks_per_min": _num(bl.rate_per_min) if bl and rates else None,
        "synkinesis_side": sk.side if sk and sk.judged is not False else "",
        "flags": ";".join(f"{f.id}:{f.side}" for f in a.flags),
        "not_judged": "; ".join(not_judged),
        "warnings": "; ".join(q.warnings),
    }


def _sides_not_judged(sm) -> str:
    """Why the sides of a recording with a relaxed face were not compared (empty ``weaker_side``)."""
    measured = [e for e in sm.episodes if not e.not_judged]
    if not sm.episodes:
        return "no smile found"
    if not measured:
        return "no smile could be measured (each smile's reason is in its analysis.json)"
    limit = (sm.thresholds or {}).get("max_lift_turn_deg")
    return ("the head turned " + (f"more than {limit:g}° " if isinstance(limit, (int, float)) else "")
            + "in every smile")


def _safe(v):
    """Text that Parquet can store: a file name that is not valid UTF-8 keeps its bytes as \\x.. escapes."""
    if isinstance(v, str):
        return v.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return v


def to_frame(rows: Sequence[dict]):
    """The summary as a pandas DataFrame with every column of :data:`COLUMNS`, in order."""
    import pandas as pd

    frame = pd.DataFrame([{c: _safe(r.get(c)) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    frame = frame.astype({c: kind for c, (kind, _) in COLUMNS.items()})
    # a side or region not judged is missing (NA), as a number not judged is, so that isna()
    # finds it; "" in a row (and in batch.json records of earlier runs) means the same
    for c in UNJUDGED_TEXT:
        frame[c] = frame[c].mask(frame[c] == "")
    return frame


def parquet_bytes(frame) -> bytes:
    """A DataFrame as the bytes of a Parquet file (for a file written as a whole)."""
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def write_summary(frame, out_dir: Path) -> tuple[Path, Path]:
    """Write ``summary.parquet`` and ``summary.csv`` into ``out_dir``, each replaced whole
    (a temporary file renamed into place): an interrupted write leaves the previous one."""
    parquet = atomic_write_bytes(out_dir / "summary.parquet", parquet_bytes(frame))
    csv_path = atomic_write(out_dir / "summary.csv", lambda fh: frame.to_csv(fh, index=False))
    for p in (parquet, csv_path):
        p.chmod(0o600)  # results about people: the owner's only
    return parquet, csv_path
