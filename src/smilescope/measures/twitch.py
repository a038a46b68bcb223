"""Twitches: brief (about 50-500 ms) involuntary movements, as events in time.

A twitch is a movement that goes out and comes back within half a second, in one region on
one side. Each region's signals (mouth corner x/y, upper lid, brow) are searched for peaks in
both directions with :func:`scipy.signal.find_peaks`:

* **size**: the peak's prominence (its height above the surrounding baseline, looked for
  within +-0.5 s) is at least ``k_noise`` (default 8) times that signal's own
  frame-to-frame noise floor, and at least ``min_mm`` (default 0.3 mm): on rendered still
  faces with camera noise, the slow wander of the tracked mouth corner and lids reached
  0.21 mm (5 faces x 2 noise seeds), so 0.3 mm keeps a margin;
* **time course**: its full width at half height lasts between ``min_s`` and ``max_s``
  (default 25-250 ms, i.e. a movement lasting about 50-500 ms from start to end); slower
  movements (a smile, raising the brows) are expressions, not twitches.

The cheek is not searched: its point sits on smooth skin, where tracking wanders by up to
0.5 mm on a still face (same measurement), as much as a small twitch. Cheek tremor is still
measured (:mod:`smilescope.measures.shake`): a spectrum averages the wander away.

Not twitches:

* blinks, winks and any other eye closure (:mod:`smilescope.measures.expressivity`): eye and
  brow events within 0.15 s of a closure are dropped;
* brief movements that the same region on the other side makes too (at least half as large
  at the same moment): that is a quick expression, speech or a tracking jump, not a twitch.
  The involuntary twitches this looks for (hemifacial spasm, myokymia, the eyelid twitch of
  fatigue) are one-sided; bilateral blepharospasm is therefore not counted as twitching
  (its sustained closures show as eye closures instead).

* anything while the face is busy with a voluntary movement (:func:`busy_mask`): talking
  (the lips' opening changes by more than ``lips_mm``, 1.5 mm, from the relaxed face) or a
  two-sided expression (both mouth corners more than ``corners_mm``, 1.5 mm, from rest: a
  smile, a pucker). At rest the lips are closed and still; speech opens them by several
  millimetres at 3-7 syllables a second, while the one-sided pull of a spasm or myokymia moves
  the lip centres by well under a millimetre, and a smile moves both corners by 5-15 mm. During
  such movement a brief one-sided jerk cannot be told from the expression itself, so twitches
  are only looked for on a face otherwise at rest, and the rates are per minute of that quiet
  time (``quiet_s``).

**Spread**: in hemifacial spasm the twitching starts around the eye and spreads to the cheek
and mouth on the same side. ``spread_eye_to_mouth`` is set when, on one side, at least
``min_pairs`` (default 2) eye events are each followed within 1 s by a mouth event of the
same side.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.measures.expressivity import closed_mask
from smilescope.signals import SignalTable, noise_floor_mm
from smilescope.timebase import (frame_rate_hz, frames_to_seconds, grid_times_s,
                                 seconds_to_frames, uniform_grid)

# Least quiet time (s) in which an absence of twitches means anything: a twitch lasts up to
# half a second and the spasms it screens for come every few seconds; below this, "not judged".
MIN_QUIET_S = 2.0

REGIONS = {
    "eye": ("upper_lid_{side}_y_mm",),
    "brow": ("brow_{side}_height_mm",),
    "mouth": ("mouth_corner_{side}_x_mm", "mouth_corner_{side}_y_mm"),
}


@dataclass(frozen=True)
class Twitch:
    t_s: float | None  # time of the peak
    duration_s: float | None  # full width at half height x 2: start to end of the movement
    side: str  # left / right (the person's own)
    region: str  # eye / brow / mouth
    peak_mm: float | None  # displacement at the peak from the baseline around it


def _component_peaks(y: np.ndarray, good: np.ndarray, fs: float, *, threshold: float, min_s: float, max_s: float):
    """Peak indices (both directions) with their prominence (mm) and half-height width (samples)."""
    wlen = seconds_to_frames(1.0, fs_hz=fs) | 1  # odd, as find_peaks wants
    # a one-frame jump is a tracking glitch, not a movement: a 3-point median removes it and
    # keeps anything that lasts two frames or more (the size is then measured on the raw signal)
    y = scipy.signal.medfilt(y, 3)
    found = []
    for sign in (1.0, -1.0):
        idx, props = scipy.signal.find_peaks(sign * y, prominence=threshold, width=(min_s * fs, max_s * fs), wlen=wlen,
                                rel_height=0.5)
        for i, p, w in zip(idx, props["prominences"], props["widths"]):
            lo, hi = int(max(0, i - w)), int(min(len(y), i + w + 1))
            if good[lo:hi].all():
                found.append((int(i), float(p), float(w)))
    return found


def _prominence_at(y: np.ndarray, i: int, fs: float) -> float:
    """The larger of the up and down prominences of sample ``i`` (mm), looked for within +-0.5 s."""
    wlen = seconds_to_frames(1.0, fs_hz=fs) | 1  # odd, as find_peaks wants
    lo, hi = max(0, i - 2), min(len(y), i + 3)
    best = 0.0
    for sign in (1.0, -1.0):
        seg = sign * y
        j = lo + int(np.argmax(seg[lo:hi]))
        if 0 < j < len(y) - 1 and seg[j] >= max(seg[j - 1], seg[j + 1]):
            with warnings.catch_warnings():  # a flat top has prominence 0, which is the answer
                warnings.simplefilter("ignore")
                best = max(best, float(scipy.signal.peak_prominences(seg, [j], wlen=wlen)[0][0]))
    return best


def near(t_s: np.ndarray, mask: np.ndarray, pad_s: float) -> np.ndarray:
    """Frames within ``pad_s`` seconds of any frame in ``mask`` (a boolean mask dilated in time)."""
    if not mask.any():
        return np.zeros(len(t_s), bool)
    tc = t_s[mask]  # sorted: the nearest marked frame is beside each frame's insertion point
    k = np.searchsorted(tc, t_s)
    before = np.abs(t_s - tc[np.clip(k - 1, 0, len(tc) - 1)])
    after = np.abs(tc[np.clip(k, 0, len(tc) - 1)] - t_s)
    return np.minimum(before, after) <= pad_s


def closure_mask(table: SignalTable, *, pad_s: float = 0.15) -> np.ndarray:
    """Frames within ``pad_s`` of any eye closure (blink, wink or longer), from the eye openings."""
    closed = np.zeros(len(table), bool)
    for s in SIDES:
        closed |= closed_mask(table.columns[f"palpebral_{s}_height_mm"], table.valid, closed_fraction=0.5)
    return near(table.t_s, closed, pad_s)


def busy_mask(table: SignalTable, *, lips_mm: float = 1.5, corners_mm: float = 1.5, k_noise: float = 4.0,
              pad_s: float = 0.3) -> np.ndarray:
    """Frames in which the face is busy with a voluntary movement: talking or a two-sided expression.

    A frame is busy when the lips' opening (upper minus lower lip centre) differs from the
    relaxed face's by more than ``lips_mm``, or when both mouth corners are more than
    ``corners_mm`` from their rest position; each threshold is at least ``k_noise`` times the
    signal's own noise floor, so a noisy (small) face is not called busy by its noise. Busy
    stretches are widened by ``pad_s`` on both sides (an expression builds up and relaxes).
    Invalid frames are never busy (they are not measured at all).
    """
    c, valid = table.columns, table.valid
    busy = np.zeros(len(table), bool)

    def beyond(v: np.ndarray, base_mm: float, floor_mm: float) -> np.ndarray:
        thr = max(base_mm, k_noise * floor_mm) if np.isfinite(floor_mm) else base_mm
        return valid & np.isfinite(v) & (np.abs(v) > thr)

    if "upper_lip_y_mm" in c and "lower_lip_y_mm" in c:
        aperture = c["upper_lip_y_mm"] - c["lower_lip_y_mm"]  # 0 at the reference (relaxed) frame
        busy |= beyond(aperture, lips_mm, noise_floor_mm(aperture, valid))
    both = valid.copy()
    for side in SIDES:
        x, y = c[f"mouth_corner_{side}_x_mm"], c[f"mouth_corner_{side}_y_mm"]
        floors = [f for f in (noise_floor_mm(x, valid), noise_floor_mm(y, valid)) if np.isfinite(f)]
        both &= beyond(np.hypot(x, y), corners_mm, float(np.median(floors)) if floors else float("nan"))
    busy |= both
    return near(table.t_s, busy, pad_s) & valid


def quiet_seconds(table: SignalTable, busy: np.ndarray) -> float:
    """Seconds between consecutive frames that are both measured and not busy."""
    ok = table.valid & ~busy
    return float(np.sum(np.diff(table.t_s)[ok[:-1] & ok[1:]])) if len(table) > 1 else 0.0


def detect_twitches(table: SignalTable, *, k_noise: float = 8.0, min_mm: float = 0.3, min_s: float = 0.025,
                    max_s: float = 0.25, merge_s: float = 0.1, max_other: float = 0.5,
                    exclude: np.ndarray | None = None) -> list[Twitch]:
    """Twitch events in time order (see the module notes for the rules).

    Parameters
    ----------
    table : SignalTable
        Needs the facial signals of the pipeline.
    k_noise : float
        Prominence threshold in multiples of each signal's frame-to-frame noise floor.
    min_mm : float
        Smallest prominence (mm) that counts.
    min_s, max_s : float
        Bounds on the full width at half height (s).
    merge_s : float
        Peaks of one region and side closer than this are one event.
    max_other : float
        An event is dropped when the same region on the other side moves at least this share
        of its size at the same moment.
    exclude : np.ndarray [shape=(n,)] of bool, optional
        Frames in which no twitch is looked for (e.g. :func:`busy_mask`).
    """
    t, valid = table.t_s, table.valid
    if len(t) < 8 or valid.sum() < 8:
        return []
    fs = frame_rate_hz(t)
    closure = closure_mask(table)
    grid = grid_times_s(t[0], t[-1], fs_hz=fs)
    excluded = np.zeros(len(grid), bool)
    if exclude is not None and np.any(exclude):
        # each grid sample takes the state of the nearest frame
        k = np.clip(np.searchsorted(t, grid), 1, len(t) - 1)
        nearest = np.where(np.abs(grid - t[k - 1]) <= np.abs(t[k] - grid), k - 1, k)
        excluded = np.asarray(exclude, bool)[nearest]
    comps: dict[tuple[str, str], list] = {}
    for region, cols in REGIONS.items():
        for side in SIDES:
            for name in (c.format(side=side) for c in cols):
                v = table.columns[name]
                ok = valid & np.isfinite(v)
                if region in ("eye", "brow"):
                    ok &= ~closure
                if ok.sum() < 8:
                    continue
                _, y, good = uniform_grid(t, v, ok, fs_hz=fs)
                comps.setdefault((region, side), []).append((y, good, max(k_noise * noise_floor_mm(v, ok), min_mm)))

    def size_at(key, i: int) -> float:
        return float(np.hypot.reduce([_prominence_at(y, i, fs) for y, _, _ in comps.get(key, [])] or [0.0]))

    events: list[Twitch] = []
    for (region, side), cc in comps.items():
        peaks = sorted(p for y, good, thr in cc
                       for p in _component_peaks(y, good, fs, threshold=thr, min_s=min_s, max_s=max_s))
        merged: list[list] = []
        for i, p, w in peaks:
            if merged and frames_to_seconds(i - merged[-1][0], fs_hz=fs) <= merge_s:
                if p > merged[-1][1]:
                    merged[-1] = [i, p, w]
            else:
                merged.append([i, p, w])
        other = (region, "left" if side == "right" else "right")
        for i, _, w in merged:
            if excluded[i]:
                continue
            amp = size_at((region, side), i)
            # both sides moving together is an expression (or speech), not a twitch
            if size_at(other, i) >= max_other * amp:
                continue
            events.append(Twitch(float(grid[i]), float(frames_to_seconds(2 * w, fs_hz=fs)), side, region, amp))
    return sorted(events, key=lambda e: (e.t_s, e.side, e.region))


def spread_pairs(events: list[Twitch], *, window_s: float = 1.0) -> dict[str, int]:
    """Per side, how many eye events are followed within ``window_s`` by a same-side mouth event."""
    out = {s: 0 for s in SIDES}
    for e in events:
        if e.region != "eye":
            continue
        if any(f.side == e.side and f.region == "mouth" and 0 < f.t_s - e.t_s <= window_s for f in events):
            out[e.side] += 1
    return out


@dataclass(frozen=True)
class TwitchRates:
    """Twitches per minute of quiet face (``TwitchResult.quiet_s``; None: none), per side and region."""

    total: float | None
    right: float | None
    left: float | None
    by_region: dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class TwitchResult:
    """Twitch events, their rates and the eye-to-mouth spread (hemifacial spasm's pattern)."""

    twitches: list[Twitch]
    twitch_rate_per_min: TwitchRates
    spread_eye_to_mouth: bool
    spread_side: str  # left / right / none
    quiet_s: float | None = None  # seconds of face at rest in which twitches were looked for (None: older file)

    @property
    def judged(self) -> bool:
        """Enough quiet face to look for twitches (older files, without ``quiet_s``, count as judged)."""
        return self.quiet_s is None or self.quiet_s >= MIN_QUIET_S

    def to_dict(self) -> dict:
        return {"twitches": [asdict(e) for e in self.twitches], "twitch_rate_per_min": asdict(self.twitch_rate_per_min),
                "spread_eye_to_mouth": self.spread_eye_to_mouth, "spread_side": self.spread_side,
                "quiet_s": self.quiet_s}


def twitch_summary(table: SignalTable, *, min_pairs: int = 2, **kw) -> TwitchResult:
    """The twitch part of the ``shake`` block: events found on the face at rest, rates per minute
    of that quiet time, and the spread flag."""
    busy = busy_mask(table)
    events = detect_twitches(table, exclude=busy, **kw)
    quiet = quiet_seconds(table, busy)
    minutes = quiet / 60

    def rate(n: int):
        return n / minutes if minutes > 0 else None

    by_region = {r: {s: rate(sum(e.region == r and e.side == s for e in events)) for s in SIDES} for r in REGIONS}
    pairs = spread_pairs(events)
    spread_side = max(pairs, key=pairs.get)
    rates = TwitchRates(total=rate(len(events)), right=rate(sum(e.side == "right" for e in events)),
                        left=rate(sum(e.side == "left" for e in events)), by_region=by_region)
    return TwitchResult(twitches=events, twitch_rate_per_min=rates,
                        spread_eye_to_mouth=bool(pairs[spread_side] >= min_pairs),
                        spread_side=spread_side if pairs[spread_side] >= min_pairs else "none", quiet_s=quiet)
