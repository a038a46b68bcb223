"""eFACE-style items from a movement set — eFACE-style, not clinically validated.

The eFACE (Banks, Bhama, Park, Hadlock and Hadlock, "Clinician-Graded Electronic Facial
Paralysis Assessment: The eFACE", Plastic and Reconstructive Surgery 2015) scores facial palsy
on static items (rest), dynamic items (movements) and synkinesis items, each 0-100 with 100 =
like the healthy side, and sums them up per group. Auto-eFACE (Emotrics+) computes them from
photographs as:

* static item = affected / healthy x 100, clipped to 0-200, then reported as 100 - |100 - x|
  (100 = balanced);
* dynamic item = affected-side change / healthy-side change x 100, clipped to 0-100;
* ocular synkinesis from how much the affected eye narrows during smile and pucker.

Here the same ratios come from one video whose stretches are named in a segments mapping
(``{"rest": [t0, t1], "brow_raise": [t0, t1], ...}``, seconds). Each movement's change is the
90th percentile of the movement away from the rest median within its stretch, so a brief
peak is not missed and a single bad frame does not dominate. An ocular synkinesis item is the
affected eye's opening during the movement relative to the healthy eye's (each as a fraction
of its own opening at rest), x 100, clipped to 0-100: 100 = the affected eye stays as open as
the healthy one. Blinks and winks are left out of every eye measure (a blink during a smile is
not synkinesis). Subtotals are the mean of a group's items; the total is the mean of all items
scored here. Items whose movement is missing are ``None`` and named in ``missing``. The result
says plainly that it is not a clinical score.

Affected side: named from the smile (else the brow raise) only when one side moves at least
3 mm plus the tracking margin *and* 20 % less than the other: the rule the smile measures use
(people notice a 3 mm smile asymmetry, Hohman 2014; healthy sides differ by up to 2-3 mm,
Coulson 2002; the tracking can put 2 px of the picture into the difference,
:func:`smilescope.measures.smile.weaker_side_min_diff_mm`), so a 2 % difference never names a side. Below it the items are computed with the side that moves less,
and the result says that no side is clearly affected.
"""

from __future__ import annotations

import numpy as np

from smilescope.errors import BadInputError
from smilescope.landmarks import SIDES, mirror_side
from smilescope.measures.expressivity import eyes_shut_mask
from smilescope.measures.smile import weaker_side_min_diff_mm
from smilescope.signals import SignalTable
from smilescope.timebase import span_mask

MOVEMENTS = ("rest", "brow_raise", "eye_closure", "smile", "snarl", "pucker")
LABEL = "eFACE-style, not clinically validated"
SIDE_MIN_DIFF_MM = 3.0  # Hohman 2014; as measures.smile.symmetry
SIDE_MIN_DIFF_PCT = 20.0


def check_segments(segments, *, duration_s: float | None = None) -> dict[str, tuple[float, float]]:
    """Check the names and time ranges of a segments mapping before any video is analysed.

    Parameters
    ----------
    segments : mapping of str to [start_s, end_s]
        Stretches of the video in seconds; ``rest`` is required.
    duration_s : float, optional
        The video's duration (s) from its container; a stretch that starts after it, or ends
        more than one frame's worth (0.1 s) past it, is refused. None or 0: not checked.

    Returns
    -------
    dict of str to (float, float)

    Raises
    ------
    BadInputError
        An unknown name, no ``rest``, a range that is not two finite numbers with
        0 <= start < end, one outside the video, or two that overlap; the message names the stretch.
    """
    if not isinstance(segments, dict):
        raise BadInputError(f"The segments must be a JSON object, got {type(segments).__name__}.",
                            'Write e.g. {"rest": [0, 2], "smile": [5, 8]}.')
    unknown = [str(k) for k in segments if k not in MOVEMENTS]
    if unknown:
        raise BadInputError(f"Unknown movement(s) in the segments: {', '.join(sorted(unknown))}.",
                            f"Use names from: {', '.join(MOVEMENTS)}.")
    if "rest" not in segments:
        raise BadInputError("The segments have no 'rest' stretch.", "Add \"rest\": [start_s, end_s] for a relaxed face.")
    out = {}
    for name in (m for m in MOVEMENTS if m in segments):
        span = segments[name]
        ok = (isinstance(span, (list, tuple)) and len(span) == 2
              and all(isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x) for x in span))
        if not ok:
            raise BadInputError(f"The '{name}' stretch must be [start_s, end_s], two numbers in seconds; got {span!r}.",
                                f'Write e.g. "{name}": [5, 8].')
        t0, t1 = float(span[0]), float(span[1])
        if t0 < 0 or t1 <= t0:
            raise BadInputError(f"The '{name}' stretch [{t0:g}, {t1:g}] s is not a range: the start must be 0 or more "
                                "and before the end.", f'Write e.g. "{name}": [5, 8].')
        if duration_s and (t0 >= duration_s or t1 > duration_s + 0.1):
            raise BadInputError(f"The '{name}' stretch [{t0:g}, {t1:g}] s goes past the end of the video "
                                f"({duration_s:.1f} s).", "Give times within the video, in seconds from its start.")
        out[name] = (t0, t1)
    # each stretch is one movement: a rest overlapping a smile would take the smile as the face at rest
    spans = sorted(out.items(), key=lambda kv: kv[1])
    for (a, (a0, a1)), (b, (b0, b1)) in zip(spans, spans[1:]):
        if b0 < a1:
            raise BadInputError(f"The '{a}' stretch [{a0:g}, {a1:g}] s and the '{b}' stretch [{b0:g}, {b1:g}] s overlap.",
                                "Give each movement its own stretch of the video.")
    return out


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


def _mean(values) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.mean(vals)) if vals else None


def eface_style(table: SignalTable, segments: dict, *, affected_side: str | None = None, blinks=None,
                mm_per_px: float | None = None) -> dict:
    """eFACE-style static, dynamic and synkinesis items, subtotals and total from one movement-set video.

    Parameters
    ----------
    table : SignalTable
        Signals of the whole video (one reference frame for all movements).
    segments : dict of str to (float, float)
        Start and end (s) of ``rest`` (required) and any of ``brow_raise``, ``eye_closure``,
        ``smile``, ``snarl``, ``pucker`` (:func:`check_segments`).
    affected_side : {"left", "right"}, optional
        Default: the side whose smile (or, without a smile, brow raise) moves clearly less;
        see the module notes.
    blinks : list of EyeEvent, optional
        ``Analysis.blinks.events``: left out of the eye measures.
    mm_per_px : float, optional
        The recording's scale: the side rule adds the tracking margin at it, as ``analyze``
        does (none when not given).
    """
    segments = check_segments(segments)
    if affected_side is not None and affected_side not in SIDES:
        raise BadInputError(f"Invalid value for 'affected_side': {affected_side!r}.", "Use 'left' or 'right'.")
    rest = _mask(table, segments["rest"])
    if rest.sum() < 3:
        raise BadInputError("The 'rest' stretch holds fewer than 3 measured frames.", "Give a longer relaxed stretch.")
    moves = {m: _mask(table, span) for m, span in segments.items() if m != "rest"}
    missing = [m for m in MOVEMENTS[1:] if m not in moves]
    too_short = [m for m, mask in moves.items() if mask.sum() < 3]  # given, but under 3 measured frames
    moves = {m: mask for m, mask in moves.items() if m not in too_short}
    open_eyes = ~eyes_shut_mask(table.t_s, blinks)

    # per side: how much each movement changes its signal (mm), away from rest
    def corner_from_rest(side):
        """The mouth corner's movement from rest per frame (lateral, up; mm)."""
        x, y = table.columns[f"mouth_corner_{side}_x_mm"], table.columns[f"mouth_corner_{side}_y_mm"]
        return x - np.nanmedian(x[rest]), y - np.nanmedian(y[rest])

    def smile_change(side, mask):
        d = np.hypot(*corner_from_rest(side))[mask]
        d = d[np.isfinite(d)]
        return float(np.percentile(d, 90)) if len(d) else float("nan")

    dyn_change = {}
    for side in SIDES:
        c = {}
        if "brow_raise" in moves:
            c["brow_raise"] = _change(table, f"brow_{side}_height_mm", rest, moves["brow_raise"])
        if "eye_closure" in moves:
            c["eye_closure"] = _change(table, f"palpebral_{side}_height_mm", rest & open_eyes, moves["eye_closure"], sign=-1)
        if "smile" in moves:
            c["smile"] = smile_change(side, moves["smile"])
        if "snarl" in moves:
            c["snarl"] = _change(table, f"nasolabial_{side}_y_mm", rest, moves["snarl"])
        if "pucker" in moves:
            c["pucker"] = _change(table, f"mouth_corner_{side}_x_mm", rest, moves["pucker"], sign=-1)  # inwards
        dyn_change[side] = c

    affected_side, basis, reason = _affected(dyn_change, affected_side, min_diff_mm=weaker_side_min_diff_mm(mm_per_px))
    a, h = affected_side, mirror_side(affected_side)

    def rest_value(col, mask=rest):
        return float(np.nanmedian(table.columns[col][mask]))

    static = {
        "brow_at_rest": _static(rest_value(f"brow_{a}_height_mm"), rest_value(f"brow_{h}_height_mm")),
        "palpebral_fissure_at_rest": _static(rest_value(f"palpebral_{a}_height_mm", rest & open_eyes),
                                             rest_value(f"palpebral_{h}_height_mm", rest & open_eyes)),
    }
    dynamic = {m: _dynamic(dyn_change[a][m], dyn_change[h][m]) for m in dyn_change[a]}

    def apex(mask, movement):
        """The frames of ``mask`` where ``movement`` (mm, per frame) is within 90 % of its peak
        there: the movement held at its height, as ``analyze`` measures each smile's apex."""
        m = np.where(mask, movement, np.nan)
        if not np.isfinite(m).any():
            return mask
        return mask & (np.nan_to_num(m, nan=-np.inf) >= 0.9 * np.nanmax(m))

    def mouth_movement(m):
        """Per frame, the larger of the two corners' movement from rest: out and up for a smile,
        inwards for a pucker (mm)."""
        per_side = [np.hypot(dx, dy) if m == "smile" else -dx for dx, dy in map(corner_from_rest, SIDES)]
        return np.fmax(*per_side)

    def narrowing(side, mask):
        p = table.columns[f"palpebral_{side}_height_mm"]
        r = np.nanmedian(p[rest & open_eyes])
        during = p[mask & open_eyes]
        during = during[np.isfinite(during)]
        if not len(during) or not r > 0:
            return float("nan")
        # the median at the movement's apex: not its most narrowed moments, which a blink's onset
        # and end (or a blink not found) supply
        return float((1 - np.median(during) / r) * 100)

    narrowing_pct, synk = {}, {}
    for m in ("smile", "pucker"):
        if m in moves:
            held = apex(moves[m], mouth_movement(m))
            n = {s: narrowing(s, held) for s in SIDES}
            narrowing_pct[f"during_{m}"] = n
            ok = np.isfinite(n[a]) and np.isfinite(n[h]) and n[h] < 100
            synk[f"ocular_during_{m}"] = (float(np.clip((100 - n[a]) / (100 - n[h]) * 100, 0, 100)) if ok else None)
    subtotals = {"static": _mean(static.values()), "dynamic": _mean(dynamic.values()), "synkinesis": _mean(synk.values())}
    return {
        "label": LABEL,
        "affected_side": affected_side,
        "affected_side_basis": basis,
        "affected_side_reason": reason,
        "static": static,
        "dynamic": dynamic,
        "synkinesis": synk,
        "subtotals": subtotals,
        "total": _mean([*static.values(), *dynamic.values(), *synk.values()]),
        "missing": missing,
        "too_short": too_short,
        "ocular_narrowing_pct": narrowing_pct,
        "blinks_excluded": int(sum(1 for _ in (blinks or []))),
        "changes_mm": dyn_change,
        "method": "static = affected/healthy x 100 clipped 0-200, reported 100 - |100 - x|; "
                  "dynamic = affected change / healthy change x 100 clipped 0-100 (auto-eFACE, Emotrics+); "
                  "ocular synkinesis = affected eye's opening during the movement / healthy eye's (each relative "
                  "to its rest) x 100 clipped 0-100, blinks left out; subtotal = mean of a group's items, "
                  "total = mean of all items scored here (not comparable to a clinician's eFACE)",
    }


def _affected(dyn_change: dict, given: str | None, *, min_diff_mm: float = SIDE_MIN_DIFF_MM) -> tuple[str, str, str]:
    """The side the items treat as affected, how it was chosen (given / measured / not_clear), and why."""
    if given is not None:
        return given, "given", f"given with --affected-side ({given})"
    key = next((k for k in ("smile", "brow_raise") if k in dyn_change["left"]
                and all(np.isfinite(dyn_change[s][k]) for s in SIDES)), None)
    if key is None:
        raise BadInputError("Cannot tell the affected side without a measured smile or brow raise.",
                            "Add one of them to the segments, or give --affected-side left|right.")
    left, right = dyn_change["left"][key], dyn_change["right"][key]
    weaker = "left" if left < right else "right"
    diff = abs(left - right)
    pct = diff / max(left, right) * 100 if max(left, right) > 0 else 0.0
    what = key.replace("_", " ")
    numbers = (f"the {what} moves {right:.1f} mm on the right and {left:.1f} mm on the left "
               f"({diff:.1f} mm, {pct:.0f} % apart)")
    margin = min_diff_mm - SIDE_MIN_DIFF_MM
    need = (f"{min_diff_mm:.1f} mm ({SIDE_MIN_DIFF_MM:.0f} mm people notice, Hohman 2014, plus {margin:.1f} mm the "
            "tracking can put between the sides)" if margin > 0.05 else f"{SIDE_MIN_DIFF_MM:.0f} mm")
    if diff >= min_diff_mm and pct >= SIDE_MIN_DIFF_PCT:
        return weaker, "measured", (f"{numbers}: at least {need} and {SIDE_MIN_DIFF_PCT:.0f} % less"
                                    + ("" if margin > 0.05 else ", the difference people notice (Hohman 2014)"))
    return weaker, "not_clear", (f"no side is clearly affected: {numbers}, under the {need} and "
                                 f"{SIDE_MIN_DIFF_PCT:.0f} % that make a side weaker (healthy sides differ by up to "
                                 f"2-3 mm, Coulson 2002); the items take the {weaker} side, which moves less, as "
                                 "affected. Give --affected-side if you know it")
