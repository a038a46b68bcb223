"""Ocular synkinesis: does the eye narrow when the mouth moves?

``narrowing_pct = (1 - PF_move / PF_rest) x 100`` per side, where PF is the palpebral fissure
height, PF_rest its median over the rest frames and PF_move its median over the smile plateaus
(or the pucker). Healthy people narrow about 22 % in a full smile and people with synkinesis
about 33 % (FACE software, Laryngoscope 2013), so smile narrowing alone separates poorly; a
pucker separates better (about 30 % on the affected side vs 2 % in controls, 2025). The call
therefore rests on the difference between the sides and on the pucker:

* detected when, during smiles, one eye narrows at least ``side_diff_pts`` (10) percentage
  points more than the other and by at least ``smile_min_pct`` (15 %), and holds that
  difference through the smile: in at least ``held_fraction`` (three quarters) of the smile's
  apex frames. Synkinesis is a co-contraction driven with the smile, so it lasts as long as
  the smile does; a glance down, a blink or a squint lowers a lid for a moment, or both lids
  together, and on a real face moves the lids by 2 mm for a few tenths of a second within one
  smile. Compared by the medians alone, such a moment decides the call: the same healthy smile
  re-encoded at 3/4 size, or mirrored, read 17 % vs 7 % or 12 % vs 25 % where the original
  read 5 % vs 10 % and 21 % vs 15 %. Or detected when, during a
  pucker held at least ``min_pucker_s`` (0.3 s: a voluntary pucker is held, the lip rounding
  of a spoken "oo" lasts one syllable, under 0.3 s), an eye narrows by at least
  ``pucker_min_pct`` (15 %).

Blinks and winks (``eyes_shut``, from :func:`smilescope.measures.expressivity.eyes_shut_mask`)
shut both eyes, or one on purpose, whatever the mouth does: they are left out of the narrowing
values (a 0.4 s blink at a smile's apex made its median read the eyes shut). The call's
``held_fraction`` stays a share of the whole apex, the blinks' frames counting as not showing
the difference: the difference must be seen through three quarters of the smile, and the
moments the eyes are shut show nothing. (Leaving them out of the share too made the mirrored
copy of a healthy man's smiles a synkinesis call: his last smile's apex was mostly a blink, and
its 2 open frames raised the share from 36 % to 80 %.)

"Cannot tell" (``judged`` False, ``not_judged`` says why) when there is no relaxed face to
compare with, no smile or pucker to compare, or the lid opening is too noisy for the call: a
difference of ``side_diff_pts`` of the rest opening must exceed three times the opening's
frame-to-frame noise floor (on a small face, a 10-point difference of a 9 mm opening is
0.9 mm, within the noise of a lid a few pixels high).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from smilescope.landmarks import SIDES
from smilescope.signals import SignalTable, noise_floor_mm
from smilescope.timebase import frame_interval_s, mask_runs


def _narrowing(pf: np.ndarray, rest: np.ndarray, move: np.ndarray) -> float | None:
    if rest.sum() < 3 or move.sum() < 3:
        return None
    r = float(np.nanmedian(pf[rest]))
    m = float(np.nanmedian(pf[move]))
    return (1 - m / r) * 100 if r > 0 else None


def pucker_mask(table: SignalTable, rest: np.ndarray, *, inward_mm: float = 2.0, min_s: float = 0.3) -> np.ndarray:
    """Frames in which both mouth corners are pulled inwards by ``inward_mm`` or more, in
    stretches held at least ``min_s``."""
    m = table.valid.copy()
    if not rest.any():
        return np.zeros(len(m), bool)
    for s in SIDES:
        x = table.columns[f"mouth_corner_{s}_x_mm"]
        m &= (x - np.nanmedian(x[rest])) <= -inward_mm
    t = table.t_s
    dt = frame_interval_s(t, default_s=0.0)
    for a, b in mask_runs(m):
        if t[b] - t[a] + dt < min_s:
            m[a:b + 1] = False
    return m


@dataclass(frozen=True)
class SynkinesisResult:
    """Eye narrowing per side during smiles and puckers (% of the rest opening), and the call."""

    detected: bool | None = False  # None: not judged (not_judged says why)
    side: str | None = "none"  # None: not judged
    narrowing_pct: dict[str, float | None] = field(default_factory=dict)
    pucker_narrowing_pct: dict[str, float | None] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    thresholds: dict[str, float | str | None] = field(default_factory=dict)
    judged: bool | None = None  # None: an older file
    not_judged: str = ""  # why it could not be told ("" when it could)


def _held_fraction(pf: dict[str, np.ndarray], rest: np.ndarray, move: np.ndarray, hi: str, lo: str,
                   diff_pts: float, *, shut: np.ndarray | None = None) -> float:
    """Share of the ``move`` frames in which the ``hi`` eye narrows at least ``diff_pts``
    percentage points more than the ``lo`` eye (each against its own median rest opening);
    frames in ``shut`` (a blink or wink) count as not showing it."""
    def narrowing(side):
        return (1 - pf[side][move] / float(np.nanmedian(pf[side][rest]))) * 100

    d = narrowing(hi) - narrowing(lo)
    shown = d >= diff_pts
    seen = np.isfinite(d)
    if shut is not None:  # a shut frame is seen, and shows no difference
        shown &= ~shut[move]
        seen |= shut[move]
    return float(np.mean(shown[seen])) if seen.any() else 0.0


def synkinesis(table: SignalTable, *, rest: np.ndarray, smile_plateau: np.ndarray,
               side_diff_pts: float = 10.0, smile_min_pct: float = 15.0, pucker_min_pct: float = 15.0,
               held_fraction: float = 0.75, eyes_shut: np.ndarray | None = None) -> SynkinesisResult:
    """The ``synkinesis`` block: narrowing per side during smiles and puckers, and the call.

    Parameters
    ----------
    rest, smile_plateau : np.ndarray [shape=(n,)] of bool
        Rest frames and smile-apex frames (from ``measures.smile``).
    eyes_shut : np.ndarray [shape=(n,)] of bool, optional
        Frames within a blink or wink: left out of the narrowing values, and counted as not
        showing a difference in the share of the smile that must hold it.
    """
    shut = np.zeros(len(table.t_s), bool) if eyes_shut is None else np.asarray(eyes_shut, dtype=bool)
    pf = {s: table.columns[f"palpebral_{s}_height_mm"] for s in SIDES}
    thresholds = {"side_diff_pts": side_diff_pts, "smile_min_pct": smile_min_pct, "pucker_min_pct": pucker_min_pct,
                  "held_fraction": held_fraction,
                  "sources": "FACE software (Laryngoscope 2013): 21.6 % healthy vs 32.7 % synkinesis in a full smile; "
                             "pucker 30 % affected vs about 2 % controls (2025)"}

    def cannot_tell(why: str, smile=None, pucker=None) -> SynkinesisResult:
        none = {s: None for s in SIDES}
        # neither "no synkinesis" nor "no side" is known: both left empty (null), as the tremor's
        return SynkinesisResult(detected=None, side=None, narrowing_pct=smile or none, pucker_narrowing_pct=pucker or none,
                                thresholds=thresholds, judged=False, not_judged=why)

    if rest.sum() < 3:
        return cannot_tell("no relaxed face to compare the eyes with")
    smile = {s: _narrowing(pf[s], rest, smile_plateau & table.valid & ~shut) for s in SIDES}
    puck_mask = pucker_mask(table, rest)
    puck_mask = puck_mask & ~shut
    pucker = {s: _narrowing(pf[s], rest, puck_mask) for s in SIDES}
    if all(v is None for v in (*smile.values(), *pucker.values())):
        return cannot_tell("no smile or pucker measured to compare the eyes with", smile, pucker)
    for s in SIDES:
        opening = float(np.nanmedian(pf[s][rest]))
        noise = noise_floor_mm(pf[s], table.valid)
        if not np.isfinite(noise) or 3 * noise > side_diff_pts / 100 * opening:
            return cannot_tell(f"the {s} eye's opening ({opening:.1f} mm) is measured with {noise:.2f} mm of noise, "
                               f"too much to tell a {side_diff_pts:.0f} % difference: film closer or in better light",
                               smile, pucker)
    reasons, sides = [], set()
    if None not in smile.values():
        hi = max(SIDES, key=lambda s: smile[s])
        lo = "left" if hi == "right" else "right"
        if smile[hi] - smile[lo] >= side_diff_pts and smile[hi] >= smile_min_pct:
            held = _held_fraction(pf, rest, smile_plateau & table.valid, hi, lo, side_diff_pts, shut=shut)
            if held >= held_fraction:
                reasons.append(f"during smiles the {hi} eye narrows {smile[hi]:.0f} % vs {smile[lo]:.0f} %, "
                               f"held through {held:.0%} of the smile")
                sides.add(hi)
    for s in SIDES:
        if pucker[s] is not None and pucker[s] >= pucker_min_pct:
            reasons.append(f"during a pucker the {s} eye narrows {pucker[s]:.0f} %")
            sides.add(s)
    side = "both" if sides == set(SIDES) else (sides.pop() if sides else "none")
    return SynkinesisResult(detected=bool(reasons), side=side, narrowing_pct=smile, pucker_narrowing_pct=pucker,
                            reasons=reasons, thresholds=thresholds, judged=True)
