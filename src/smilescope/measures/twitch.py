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
  movements (a smile, raising the brows) are expressions, not twitches;
* **seen from rest to rest**: the face is seen (valid) before and after the movement for as
  long again as it lasts; at the edge of a gap or of the recording the signal holds its last
  value, and a movement measured against that is not known to start from rest;
* **seen in three frames**: a one-frame jump is a tracking glitch, not a movement. A movement
  counts when two frames share its top (a 3-point median keeps it at full threshold) or when
  the frames on both sides of its peak are displaced the same way, each by at least a tenth
  of the peak and 3 times the noise floor (the rise and the fall of the movement). A lid
  twitch of 100 ms sampled at 30 fps with its peak on a frame has its neighbours at a quarter
  of the peak and nothing at the top but the peak: the median alone lost it (0 of 4 found in
  a rendered test), while a glitch has its neighbours at the noise. After the codec and the
  tracking the neighbours read 17-25 % of the peak, so a fifth (the rule before) lost such a
  twitch in about half the renders; a tenth keeps half of the quarter, and the noise rule
  still keeps glitches out. Movements shorter than three frames (67 ms at 30 fps) cannot be
  told from glitches;
* **isolated**: a twitch is one excursion from a face at rest. An excursion with two or more
  others like it (same direction, at least half its size) within ``rhythm_s`` (0.7 s) before
  or after it, in any of its region's components, belongs to a rhythm: every half cycle of a
  tremor is a brief excursion of the right width (a 6 Hz tremor of 0.8 mm gave 21 "twitches"
  in 5 s), and a rhythm of 3 Hz or more has two more cycles within 0.7 s of any of its
  cycles. Every component counts because a vertical tremor of a mouth corner can wobble its
  tracked horizontal position irregularly (by 0.3 mm for a 0.3 mm tremor in one render).
  Tremor is the business of :mod:`smilescope.measures.shake`; a run of three or more quick
  jerks within 0.7 s of each other is left to it too.

The cheek is not searched: its point sits on smooth skin, where tracking wanders by up to
0.5 mm on a still face (same measurement), as much as a small twitch. Cheek tremor is still
measured (:mod:`smilescope.measures.shake`): a spectrum averages the wander away.

Not twitches:

* blinks (both eyes, :mod:`smilescope.measures.expressivity`), a closure of both eyes, and an
  eye held closed for longer than a twitch lasts (over ``2 * max_s``: a deliberate closure, or
  the tonic phase of a spasm, during which the tracked lids only flicker): eye and brow events
  within 0.15 s of these are dropped;
* a brow movement together with (within ``merge_s``, 0.1 s) an eye event of the same side:
  the orbicularis oculi pulls the brow down as it closes the lid, so that is the eye's event;
* brief movements that the same region on the other side makes too (at least half as large
  at the same moment): that is a quick expression, speech or a tracking jump, not a twitch.
  The involuntary twitches this looks for (hemifacial spasm, myokymia, the eyelid twitch of
  fatigue) are one-sided; bilateral blepharospasm is therefore not counted as twitching
  (its sustained closures show as eye closures instead).
* a lid movement while the other eye's lid moves at the same moment by as much as would
  itself count (its own size threshold, ``k_noise`` times its noise floor): whatever the
  ratio of the two, both lids moved, and the lid twitches looked for are one-sided
  (hemifacial spasm is unilateral, and its clonic jerks leave the other eye still). Both lids
  falling together is a blink (Evinger 1991: they start within milliseconds of each other)
  that one eye shows only in part: on a small or turned face the tracked lid of one eye can
  follow a blink by 10-20 %, so the blink read as a one-eyed closure (a wink, or a partial
  closure), and blinks repeated at rest became a "run" of one-sided eye twitches.

* anything while the face is busy with a voluntary movement (:func:`busy_mask`): talking
  (the lips' opening changes by more than ``lips_mm``, 1.5 mm, from the relaxed face) or a
  two-sided expression (both mouth corners more than ``corners_mm``, 1.5 mm, from rest: a
  smile, a pucker). At rest the lips are closed and still; speech opens them by several
  millimetres at 3-7 syllables a second, while the one-sided pull of a spasm or myokymia moves
  the lip centres by well under a millimetre, and a smile moves both corners by 5-15 mm. During
  such movement a brief one-sided jerk cannot be told from the expression itself, so twitches
  are only looked for on a face otherwise at rest, and the rates are per minute of that quiet
  time (``quiet_s``).

**One-sided lid closures.** A brief jerk of one lid may close the eye part way or fully: in
hemifacial spasm the clonic twitches of the orbicularis oculi are exactly such brief one-sided
closures, so they are not dropped as "eye closures". A brief one-sided closure is also what a
quick deliberate wink looks like (one eye shut below a quarter of its opening, 0.1-3 s,
:func:`~smilescope.measures.expressivity.eye_events`); one movement cannot tell them apart, the
pattern can. An eye or brow event during a wink counts as a twitch only when it is part of the
spasm's pattern: its eye has at least ``min_run`` (3) events, itself included, within
``run_s`` (10 s) of it (twitches or winks alike: the clonic jerks of a spasm come in runs, a
wink is a single signal), or the same side's mouth twitches within ``spread_s`` (1 s) after
it (the spread of hemifacial spasm). Everything is at rest already (talking and expressions are excluded above). A wink
held longer than a twitch lasts (0.3 s and more: its lid movement is wider than ``max_s`` at
half height) is never a twitch candidate.

**Spread**: in hemifacial spasm the twitching starts around the eye and spreads to the cheek
and mouth on the same side. ``spread_eye_to_mouth`` is set when, on one side, at least
``min_pairs`` (default 2) eye events are each followed within 1 s by a mouth event of the
same side.

**Not judged** (``TwitchResult.judged`` / ``not_judged``, derived from ``quiet_s`` and
``smallest_twitch_mm``; then no events, rates or spread are reported, and no flag comes from
them): under ``MIN_QUIET_S`` (2 s) of face at rest — a recording too short, or talking or an
expression the rest of the time; or a face too noisy (small, far, badly lit) to see the
twitches looked for: when the smallest excursion the detector accepts (``k_noise`` times the
signal's noise floor, at least ``min_mm``; the median over the searched signals) exceeds
``MAX_MIN_SIZE_MM`` (1 mm), an eyelid or mouth-corner twitch of about a millimetre would be
lost, and finding none would mean nothing.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, replace

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.measures.expressivity import closed_mask, eye_events
from smilescope.signals import SignalTable, noise_floor_mm
from smilescope.timebase import (MIN_RATE_S, frame_rate_hz, frames_to_seconds, grid_times_s, seconds_to_frames,
                                 time_groups, uniform_grid)

# Least quiet time (s) in which an absence of twitches means anything: a twitch lasts up to
# half a second and the spasms it screens for come every few seconds; below this, "not judged".
MIN_QUIET_S = 2.0
# A brief involuntary contraction moves the skin by a few millimetres; even a full voluntary
# smile moves a mouth corner by at most about 22 mm over half a second (Paletz / Manktelow).
# An "excursion" of more than 15 mm that comes and goes within half a second is a point that
# lost its track, not a twitch, and is not reported.
MAX_PLAUSIBLE_TWITCH_MM = 15.0
# Largest "smallest twitch the detector accepts" (mm) at which the block is still judged: the
# lid and corner twitches looked for move about a millimetre (the rendered tests use 1-1.5 mm).
MAX_MIN_SIZE_MM = 1.0

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


def _component_peaks(y: np.ndarray, good: np.ndarray, fs: float, *, threshold: float, floor: float, min_s: float,
                     max_s: float, flank: float = 0.1, k_flank: float = 3.0):
    """Peak indices (both directions) with their prominence (mm) and half-height width (samples):
    the size, time-course and three-frame rules of the module notes.

    ``floor`` is the signal's noise floor (mm); ``flank`` and ``k_flank`` bound the displacement
    of the frames beside a one-frame top (share of the peak, multiples of the floor).
    """
    wlen = seconds_to_frames(1.0, fs_hz=fs) | 1  # odd, as find_peaks wants
    kw = dict(prominence=threshold, width=(min_s * fs, max_s * fs), wlen=wlen, rel_height=0.5)
    # a one-frame jump is a tracking glitch: a 3-point median removes it and keeps any movement
    # whose top lasts two frames (its size and width are then those of the median); a top of
    # one frame is a movement too when the frames on both sides of it show its rise and fall
    ym = scipy.signal.medfilt(y, 3)
    found = []
    for sign in (1.0, -1.0):
        idx, props = scipy.signal.find_peaks(sign * ym, **kw)
        cands = list(zip(idx, props["prominences"], props["widths"]))
        ridx, rprops = scipy.signal.find_peaks(sign * y, **kw)
        for i, p, w in zip(ridx, rprops["prominences"], rprops["widths"]):
            if 0 < i < len(y) - 1 and not np.any(np.abs(idx - i) <= 1):
                flanks = min(sign * y[i - 1], sign * y[i + 1]) - (sign * y[i] - p)
                if flanks >= max(flank * p, k_flank * floor):
                    cands.append((i, p, w))
        for i, p, w in cands:
            # out and back from rest: the face is seen before and after the movement, for as
            # long again as it lasts (at the edge of a gap, e.g. a face coming into view, or of
            # the recording, it is measured against held values, not against rest)
            lo, hi = int(np.floor(i - 2 * w)), int(np.ceil(i + 2 * w)) + 1
            if lo >= 0 and hi <= len(y) and good[lo:hi].all():
                found.append((int(i), float(p), float(w)))
    return found


def _excursions(y: np.ndarray, fs: float, *, min_mm: float, max_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Every brief excursion of ``y`` (half-height width up to ``2 * max_s``) at least ``min_mm``
    prominent, per direction: (indices, prominences) upward, then downward."""
    wlen = seconds_to_frames(1.0, fs_hz=fs) | 1
    out = []
    for sign in (1.0, -1.0):
        idx, props = scipy.signal.find_peaks(sign * y, prominence=min_mm, width=(0, 2 * max_s * fs), wlen=wlen)
        out.append((idx, props["prominences"]))
    return out


def _rhythmic(i: int, p: float, excursions: list[list[tuple[np.ndarray, np.ndarray]]], reach: int) -> bool:
    """Whether the peak at sample ``i`` (prominence ``p``) belongs to a rhythm: in one of its
    region's components, two or more other excursions in one direction, each at least half
    as large, lie within ``reach`` samples of it (the rhythm rule of the module notes). A
    tremor along one axis can wobble the other component irregularly: the rhythm is looked
    for in every component, not only the one the peak was found in."""
    for per_component in excursions:
        for idx, prom in per_component:
            d = np.abs(idx - i)
            if np.sum((d <= reach) & (d > 1) & (prom >= 0.5 * p)) >= 2:
                return True
    return False


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


def held_closure_mask(table: SignalTable, *, max_brief_s: float = 0.5, bridge_s: float = 0.1, pad_s: float = 0.15,
                      events=None) -> np.ndarray:
    """Frames within ``pad_s`` of an eye closure that is not a brief one-sided one.

    That is a blink (:func:`~smilescope.measures.expressivity.eye_events`), any frame with both
    eyes closed, or one eye closed (below half its open level) for longer than ``max_brief_s``
    (closed frames at most ``bridge_s`` apart belong together): a deliberate closure or the
    tonic phase of a spasm, during which the lids only flicker. Brief one-sided closures are
    left out: they may be twitches (see the module notes).

    Parameters
    ----------
    table : SignalTable
    max_brief_s : float
        Longest one-sided closure (s) left to the twitch rules.
    bridge_s : float
        Closed frames at most this far apart (s) belong to one closure.
    pad_s : float
        Margin (s) around each closure.
    events : list of EyeEvent, optional
        The recording's blinks and winks, if already found.
    """
    t, valid = table.t_s, table.valid
    closed = {s: closed_mask(table.columns[f"palpebral_{s}_height_mm"], valid, closed_fraction=0.5) for s in SIDES}
    hold = closed["right"] & closed["left"]
    for e in eye_events(table) if events is None else events:
        if e.kind == "blink":
            hold |= (t >= e.t_s - 1e-9) & (t <= e.t_s + e.duration_s)
    for s in SIDES:
        for i0, i1 in time_groups(np.flatnonzero(closed[s]), t, bridge_s):
            if t[i1] - t[i0] > max_brief_s:
                hold[i0:i1 + 1] = True
    return near(t, hold, pad_s)


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
                    max_s: float = 0.25, merge_s: float = 0.1, max_other: float = 0.5, rhythm_s: float = 0.7,
                    min_run: int = 3, run_s: float = 10.0, spread_s: float = 1.0,
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
    rhythm_s : float
        An excursion with two others like it within this time (s) is part of a rhythm.
    min_run, run_s : int, float
        An eye or brow event during a wink counts when its eye has at least ``min_run`` events
        within ``run_s`` seconds of it ...
    spread_s : float
        ... or when a mouth event of the same side follows within this time (s).
    exclude : np.ndarray [shape=(n,)] of bool, optional
        Frames in which no twitch is looked for (e.g. :func:`busy_mask`).
    """
    t, valid = table.t_s, table.valid
    if len(t) < 8 or valid.sum() < 8:
        return []
    fs = frame_rate_hz(t)
    eyes = eye_events(table)
    held = held_closure_mask(table, max_brief_s=2 * max_s, events=eyes)
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
                    ok &= ~held
                if ok.sum() < 8:
                    continue
                floor = noise_floor_mm(v, ok)
                floor = floor if np.isfinite(floor) else 0.0
                _, y, good = uniform_grid(t, v, ok, fs_hz=fs)
                comps.setdefault((region, side), []).append((y, good, max(k_noise * floor, min_mm), floor))

    def size_at(key, i: int) -> float:
        return float(np.hypot.reduce([_prominence_at(y, i, fs) for y, *_ in comps.get(key, [])] or [0.0]))

    # winks (one eye shut, 0.1-3 s), widened a little: an eye or brow event in one is "wink-like"
    pad = 0.15
    winks = [(e.side, e.t_s - pad, e.t_s + e.duration_s + pad) for e in eyes if e.kind == "wink"]

    def wink_of(side: str, region: str, t0: float) -> int | None:
        if region not in ("eye", "brow"):
            return None
        return next((k for k, (s, a, b) in enumerate(winks) if s == side and a <= t0 <= b), None)

    found: list[tuple[Twitch, int | None]] = []
    reach = seconds_to_frames(rhythm_s, fs_hz=fs)
    for (region, side), cc in comps.items():
        exc = [_excursions(y, fs, min_mm=0.5 * thr, max_s=max_s) for y, _, thr, _ in cc]
        peaks = sorted(p for y, good, thr, floor in cc
                       for p in _component_peaks(y, good, fs, threshold=thr, floor=floor, min_s=min_s, max_s=max_s)
                       if not _rhythmic(p[0], p[1], exc, reach))
        merged: list[list] = []
        for i, p, w in peaks:
            if merged and frames_to_seconds(i - merged[-1][0], fs_hz=fs) <= merge_s:
                if p > merged[-1][1]:
                    merged[-1] = [i, p, w]
            else:
                merged.append([i, p, w])
        other = (region, "left" if side == "right" else "right")
        # the smallest movement of the other side that would count as a twitch itself
        other_thr = min((thr for _, _, thr, _ in comps.get(other, [])), default=np.inf)
        for i, _, w in merged:
            if excluded[i]:
                continue
            amp = size_at((region, side), i)
            # both sides moving together is an expression (or speech), not a twitch
            if size_at(other, i) >= max_other * amp:
                continue
            # both lids moving at once is a blink, whatever the ratio (module notes)
            if region == "eye" and size_at(other, i) >= other_thr:
                continue
            if amp > MAX_PLAUSIBLE_TWITCH_MM:  # a point that lost its track, not a muscle
                continue
            e = Twitch(float(grid[i]), float(frames_to_seconds(2 * w, fs_hz=fs)), side, region, amp)
            found.append((e, wink_of(side, region, e.t_s)))
    # one event per wink and region (a lid flickering while shut is one movement)
    best: dict[tuple, Twitch] = {}
    for e, k in found:
        if k is not None and ((k, e.region) not in best or e.peak_mm > best[k, e.region].peak_mm):
            best[k, e.region] = e
    found = [(e, k) for e, k in found if k is None or best[k, e.region] is e]
    eye_t = {s: [e.t_s for e, _ in found if e.region == "eye" and e.side == s] for s in SIDES}
    mouth_t = {s: [e.t_s for e, _ in found if e.region == "mouth" and e.side == s] for s in SIDES}

    def spasm_pattern(e: Twitch) -> bool:
        run = sum(abs(u - e.t_s) <= run_s for u in eye_t[e.side])  # with e itself, if it is an eye event
        return run >= min_run or any(0 < u - e.t_s <= spread_s for u in mouth_t[e.side])

    events = [e for e, k in found if k is None or spasm_pattern(e)]
    # the orbicularis oculi pulls the brow down as it closes the lid: a brow event with an eye
    # event of the same side is that one movement, counted once (as the eye's)
    events = [e for e in events if e.region != "brow" or not any(
        f.region == "eye" and f.side == e.side and abs(f.t_s - e.t_s) <= merge_s for f in events)]
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
    """Twitches per minute of quiet face (``TwitchResult.quiet_s``), per side and region; None
    under ``MIN_RATE_S`` of quiet face (the events are still listed)."""

    total: float | None
    right: float | None
    left: float | None
    by_region: dict[str, dict[str, float | None]]


@dataclass(frozen=True)
class TwitchResult:
    """Twitch events, their rates and the eye-to-mouth spread (hemifacial spasm's pattern).

    Whether twitches could be judged follows from two measured numbers, ``quiet_s`` and
    ``smallest_twitch_mm`` (see the module notes); ``judged`` and ``not_judged`` (why not, in
    words) are derived from them, so they always agree with the numbers. In analysis.json these
    fields sit in the ``shake`` block (schema 1), beside the tremor's: ``judged`` and
    ``not_judged`` there are the twitch search's (the tremor's own are in ``shake.tremor``).
    """

    twitches: list[Twitch]
    twitch_rate_per_min: TwitchRates
    spread_eye_to_mouth: bool | None  # None: twitches not judged
    spread_side: str | None  # left / right / none; None: not judged
    quiet_s: float | None = None  # seconds of face at rest in which twitches were looked for (None: older file)
    smallest_twitch_mm: float | None = None  # smallest excursion the detector accepts (None: older file)

    @property
    def judged(self) -> bool:
        """Twitches could be looked for (older files, without the numbers, count as judged)."""
        return not self.not_judged

    @property
    def not_judged(self) -> str:
        """Why twitches could not be judged, in words ("" when they could)."""
        if self.quiet_s is not None and self.quiet_s < MIN_QUIET_S:
            return (f"only {self.quiet_s:.1f} s of quiet face (not talking, no expression changing; at least {MIN_QUIET_S:.0f} s needed): "
                    f"the recording is too short, or the face was talking or making an expression the rest of the time")
        small = self.smallest_twitch_mm
        if small is not None and np.isfinite(small) and small > MAX_MIN_SIZE_MM:
            return (f"too unsteady: only movements over {small:.1f} mm could be told from the picture's noise "
                    f"(a face too small or too far, poor light, or much movement)")
        return ""

    def to_dict(self) -> dict:
        return {"twitches": [asdict(e) for e in self.twitches], "twitch_rate_per_min": asdict(self.twitch_rate_per_min),
                "spread_eye_to_mouth": self.spread_eye_to_mouth, "spread_side": self.spread_side,
                "quiet_s": self.quiet_s, "smallest_twitch_mm": self.smallest_twitch_mm, "judged": self.judged,
                "not_judged": self.not_judged}


def smallest_twitch_mm(table: SignalTable, *, k_noise: float = 8.0, min_mm: float = 0.3,
                       mask: np.ndarray | None = None) -> float:
    """The smallest excursion (mm) the detector accepts, as a median over the searched signals:
    ``max(k_noise * noise floor, min_mm)`` of each eye, brow and mouth-corner signal over the
    ``mask`` frames (default: the valid ones). NaN when no floor can be measured."""
    ok = table.valid if mask is None else table.valid & mask
    sizes = [max(k_noise * f, min_mm) for region, cols in REGIONS.items() for side in SIDES for c in cols
             if np.isfinite(f := noise_floor_mm(table.columns[c.format(side=side)], ok))]
    return float(np.median(sizes)) if sizes else float("nan")


def twitch_summary(table: SignalTable, *, min_pairs: int = 2, **kw) -> TwitchResult:
    """The twitch part of the ``shake`` block: events found on the face at rest, rates per minute
    of that quiet time, and the spread flag; or, when they could not be judged (module notes),
    why not, with no events."""
    busy = busy_mask(table)
    quiet = quiet_seconds(table, busy)
    smallest = smallest_twitch_mm(table, k_noise=kw.get("k_noise", 8.0), min_mm=kw.get("min_mm", 0.3))
    out = TwitchResult(twitches=[], twitch_rate_per_min=TwitchRates(None, None, None, {r: {s: None for s in SIDES}
                                                                                        for r in REGIONS}),
                       spread_eye_to_mouth=False, spread_side="none", quiet_s=quiet,
                       smallest_twitch_mm=smallest if np.isfinite(smallest) else None)
    if not out.judged:  # neither "no spread" nor "no side" is known: null
        return replace(out, spread_eye_to_mouth=None, spread_side=None)
    events = detect_twitches(table, exclude=busy, **kw)
    minutes = quiet / 60

    def rate(n: int):
        # a few events over a few seconds are a count, not a rate (one twitch in 6 s of quiet face
        # read "10 per minute"): none under MIN_RATE_S of quiet face, as for blinks
        return n / minutes if quiet >= MIN_RATE_S else None

    by_region = {r: {s: rate(sum(e.region == r and e.side == s for e in events)) for s in SIDES} for r in REGIONS}
    pairs = spread_pairs(events)
    spread_side = max(pairs, key=pairs.get)
    rates = TwitchRates(total=rate(len(events)), right=rate(sum(e.side == "right" for e in events)),
                        left=rate(sum(e.side == "left" for e in events)), by_region=by_region)
    return replace(out, twitches=events, twitch_rate_per_min=rates, spread_eye_to_mouth=bool(pairs[spread_side] >= min_pairs),
                   spread_side=spread_side if pairs[spread_side] >= min_pairs else "none")
