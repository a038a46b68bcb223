"""eFACE-style items from a movement set — eFACE-style, not clinically validated.

The eFACE (Banks et al. 2015) scores facial palsy on static items (rest), dynamic items
(movements) and synkinesis. Auto-eFACE (Emotrics+) computes them from photographs as:

* static item = affected / healthy x 100, clipped to 0-200, then reported as 100 - |100 - x|
  (100 = balanced);
* dynamic item = affected-side change / healthy-side change x 100, clipped to 0-100;
* ocular synkinesis from how much the affected eye narrows during smile and pucker.

Here the same ratios come from one video whose stretches are named in a segments mapping
(``{"rest": [t0, t1], "brow_raise": [t0, t1], ...}``, seconds). Each movement's change is the
90th percentile of the movement away from the rest median within its stretch, so a brief
peak is not missed and a single bad frame does not dominate. Items whose movement is missing
are ``None``. The result says plainly that it is not a clinical score.
"""

from __future__ import annotations

import numpy as np

from smilescope.errors import BadInputError
from smilescope.landmarks import SIDES, mirror_side
from smilescope.signals import SignalTable
from smilescope.timebase import span_mask

MOVEMENTS = ("rest", "brow_raise", "eye_closure", "smile", "snarl", "pucker")
LABEL = "eFACE-style, not clinically validated"


def _mask(table: SignalTable, span) -> np.ndarray:
    t0, t1 = span
    return table.valid & span_mask(table.t_s, t0, t1)


def _change(table: SignalTable, col: str, rest: np.ndarray, move: np.ndarray, *, sign: float = 1.0) -> float:
    """90th percentile of sign x (value - rest median) during the movement (>= 0)."""
    v = table.columns[col]
    base = np.nanmedian(v[rest])
    d = sign * (v[move] - base)
    d = d[np.isfinite(d)]
    return float(max(np.percentile(d, 90), 0.0)) if len(d) else float("nan")


def _static(affected: float, healthy: float) -> float | None:
    if not (np.isfinite(affected) and np.isfinite(healthy)) or healthy <= 0:
        return None
    x = float(np.clip(affected / healthy * 100, 0, 200))
    return 100 - abs(100 - x)


def _dynamic(affected: float, healthy: float) -> float | None:
    if not (np.isfinite(affected) and np.isfinite(healthy)) or healthy <= 0:
        return None
    return float(np.clip(affected / healthy * 100, 0, 100))


def eface_style(table: SignalTable, segments: dict, *, affected_side: str | None = None) -> dict:
    """eFACE-style static, dynamic and synkinesis items from one movement-set video.

    Parameters
    ----------
    table : SignalTable
        Signals of the whole video (one reference frame for all movements).
    segments : dict of str to (float, float)
        Start and end (s) of ``rest`` (required) and any of ``brow_raise``, ``eye_closure``,
        ``smile``, ``snarl``, ``pucker``.
    affected_side : {"left", "right"}, optional
        Default: the side whose smile moves less (or, without a smile, whose brow moves less).
    """
    unknown = set(segments) - set(MOVEMENTS)
    if unknown:
        raise BadInputError(f"Unknown movement(s) in the segments: {', '.join(sorted(unknown))}.",
                            f"Use names from: {', '.join(MOVEMENTS)}.")
    if "rest" not in segments:
        raise BadInputError("The segments have no 'rest' stretch.", "Add \"rest\": [start_s, end_s] for a relaxed face.")
    rest = _mask(table, segments["rest"])
    if rest.sum() < 3:
        raise BadInputError("The 'rest' stretch holds fewer than 3 measured frames.", "Give a longer relaxed stretch.")
    moves = {m: _mask(table, span) for m, span in segments.items() if m != "rest"}

    # per side: how much each movement changes its signal (mm), away from rest
    def smile_change(side, mask):
        x, y = table.columns[f"mouth_corner_{side}_x_mm"], table.columns[f"mouth_corner_{side}_y_mm"]
        d = np.hypot(x - np.nanmedian(x[rest]), y - np.nanmedian(y[rest]))[mask]
        d = d[np.isfinite(d)]
        return float(np.percentile(d, 90)) if len(d) else float("nan")

    dyn_change = {}
    for side in SIDES:
        c = {}
        if "brow_raise" in moves:
            c["brow_raise"] = _change(table, f"brow_{side}_height_mm", rest, moves["brow_raise"])
        if "eye_closure" in moves:
            c["eye_closure"] = _change(table, f"palpebral_{side}_height_mm", rest, moves["eye_closure"], sign=-1)
        if "smile" in moves:
            c["smile"] = smile_change(side, moves["smile"])
        if "snarl" in moves:
            c["snarl"] = _change(table, f"nasolabial_{side}_y_mm", rest, moves["snarl"])
        if "pucker" in moves:
            c["pucker"] = _change(table, f"mouth_corner_{side}_x_mm", rest, moves["pucker"], sign=-1)  # inwards
        dyn_change[side] = c

    if affected_side is None:
        key = "smile" if "smile" in moves else ("brow_raise" if "brow_raise" in moves else None)
        if key is None:
            raise BadInputError("Cannot tell the affected side without a smile or brow raise.",
                                "Add one of them to the segments or give the affected side.")
        affected_side = "left" if dyn_change["left"][key] < dyn_change["right"][key] else "right"
    if affected_side not in SIDES:
        raise BadInputError(f"Invalid value for 'affected_side': {affected_side!r}.", "Use 'left' or 'right'.")
    a, h = affected_side, mirror_side(affected_side)

    def rest_value(col):
        return float(np.nanmedian(table.columns[col][rest]))

    static = {
        "brow_at_rest": _static(rest_value(f"brow_{a}_height_mm"), rest_value(f"brow_{h}_height_mm")),
        "palpebral_fissure_at_rest": _static(rest_value(f"palpebral_{a}_height_mm"), rest_value(f"palpebral_{h}_height_mm")),
    }
    dynamic = {m: _dynamic(dyn_change[a][m], dyn_change[h][m]) for m in dyn_change[a]}

    def narrowing(side, mask):
        p = table.columns[f"palpebral_{side}_height_mm"]
        r = np.nanmedian(p[rest])
        during = np.nanpercentile(p[mask], 10)  # the most narrowed moments
        return float((1 - during / r) * 100) if r > 0 else float("nan")

    synk = {}
    for m in ("smile", "pucker"):
        if m in moves:
            synk[f"ocular_narrowing_during_{m}_pct"] = {s: narrowing(s, moves[m]) for s in SIDES}
    return {
        "label": LABEL,
        "affected_side": affected_side,
        "static": static,
        "dynamic": dynamic,
        "synkinesis": synk,
        "changes_mm": dyn_change,
        "method": "static = affected/healthy x 100 clipped 0-200, reported 100 - |100 - x|; "
                  "dynamic = affected change / healthy change x 100 clipped 0-100 (auto-eFACE, Emotrics+)",
    }
