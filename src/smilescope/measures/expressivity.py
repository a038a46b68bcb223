"""Blinks and winks from the eye openings.

A blink closes both eyes briefly; a wink closes one. Neither is a twitch, and a downward glance
(which lowers the upper lid part way, the pupil staying visible) is neither.

**Open level** (:func:`open_level_mm`). Each eye's opening (palpebral height) is judged against
its own open level at that moment: the 90th percentile of its valid openings in the second
before it or in the second after it, whichever is lower. A blink keeps the eye shut for
0.1-0.4 s (Caffier 2003; VanderWerf 2003), under half of either second, so the percentile sits
on the open eye around it; a look down or a smile's cheek raise that holds the eye narrower
lowers the level with it (from either side of its edges), so a blink from a lowered lid is
measured from where the lid was, and the lowered lid's own small dips are not blinks. Two
bounds from the whole recording keep it an *open* eye:

* at most the eye's usual opening (the median of the recording): eyes widened in surprise
  that return to normal are not closing;
* at least half the recording's open level (its 90th percentile): an eye held under half
  open for seconds (a deliberate closure, a long look down with lowered lids) is not open, and
  the flicker of its tracked lids is not a series of blinks.

**Closed.** An eye is *closed* below ``closed_fraction`` (50 %) of its open level and
*narrowed* below ``narrowed_fraction`` (75 %). A look down narrows the fissure part way (the
upper lid follows the eye down) without closing it; a blink brings the upper lid down over the
cornea, to the lower lid.

**One event per closure.** Closed frames of either eye at most ``bridge_s`` (0.1 s) apart
belong to one event: re-opening the lid and closing it again takes longer (the opening phase
of a blink alone lasts 0.1-0.2 s), while the tracked lids of a nearly closed eye often flicker
between shut and a slit from one frame to the next.

**Blink or wink.** Blinks are bilateral and synchronous: both upper lids start down within a
few milliseconds of each other (Evinger 1991). An event is therefore one *blink* when the other
eye at least narrows within ``sync_s`` (0.1 s) of the first eye's closing, even if it closes
less (a fast blink's deepest moment can fall between two frames, and a turned head
foreshortens one eye). A blink lasts at most ``max_s`` (1 s); a longer closure of both eyes is
deliberate and not counted. Otherwise the event is a *wink*: one eye shut almost fully (below
``wink_fraction``, 25 %, of its open level) and held for ``min_wink_s`` to ``max_wink_s``
(0.1-3 s; a wink is voluntary, and a one-eyed dip of a frame or two is a squint or a tracking
slip) while the other stays open, or narrows only later (a wink often pulls the other lid
along). A one-sided narrowing that is neither is not reported.

Normal blink rate (Bentivoglio 1997; Doughty 2001): about 17/min at rest (95 % range 8-21),
26/min in conversation (10.5-32.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smilescope.landmarks import SIDES
from smilescope.signals import SignalTable
from smilescope.timebase import MIN_RATE_S, frame_interval_s, mask_runs, measured_duration_s, time_groups


BLINK_REFERENCE = "about 17/min at rest (8-21), 26/min in conversation (10.5-32.5): Bentivoglio 1997, Doughty 2001"
OPEN_PERCENTILE = 90.0  # of an eye's valid openings: the open eye, not its blinks
BLINK_PAD_S = 0.1  # the lid's fall before and rise after the closed frames a blink is detected on
BLINK_MAX_S = 1.0  # the longest blink; a longer closure of both eyes is deliberate
CLOSED_FRACTION = 0.5  # an eye below this share of its open level is closed


@dataclass(frozen=True)
class EyeEvent:
    kind: str  # blink / wink
    t_s: float | None  # start
    duration_s: float | None
    side: str  # both / left / right (the person's own)


def open_level_mm(t_s: np.ndarray, opening_mm: np.ndarray, valid: np.ndarray, *, around_s: float = 1.0,
                  floor_fraction: float = 0.5) -> np.ndarray:
    """Each frame's open level of one eye: the 90th percentile of its valid openings in the
    ``around_s`` before it or the ``around_s`` after it, whichever is lower; at most the eye's
    usual opening (the recording's median) and at least ``floor_fraction`` of the recording's
    open level (its 90th percentile).

    The lower side counts so that a moment at the edge of a stretch with the lid lowered (a
    look down) is judged against the lowered lid, not against the open eye beyond the edge.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing.
    opening_mm : np.ndarray [shape=(n,)]
        The eye's opening (palpebral height, mm).
    valid : np.ndarray [shape=(n,)] of bool
        Measured frames.
    around_s : float
        Length of the windows before and after each frame (s).
    floor_fraction : float
        Share of the whole recording's open level below which the level does not fall.

    Returns
    -------
    np.ndarray [shape=(n,)]
        Open level (mm); the usual opening where no valid frame lies within either window; NaN
        everywhere when no frame is valid.
    """
    t = np.asarray(t_s, dtype=float)
    ok = np.asarray(valid, bool) & np.isfinite(opening_mm)
    if not ok.any():
        return np.full(len(t), np.nan)
    tv, ov = t[ok], np.asarray(opening_mm, dtype=float)[ok]
    usual = np.median(ov)
    floor = floor_fraction * np.percentile(ov, OPEN_PERCENTILE)

    before = _window_percentile(ov, np.searchsorted(tv, t - around_s, side="left"), np.searchsorted(tv, t, side="right"))
    after = _window_percentile(ov, np.searchsorted(tv, t, side="left"), np.searchsorted(tv, t + around_s, side="right"))
    # fmin skips NaN: a side without valid frames leaves the other, and neither leaves the usual opening
    return np.fmax(np.fmin(np.fmin(before, after), usual), floor)


def _window_percentile(values: np.ndarray, lo: np.ndarray, hi: np.ndarray, q: float = OPEN_PERCENTILE) -> np.ndarray:
    """``np.percentile(values[lo[i]:hi[i]], q)`` for every i at once (NaN for an empty window).

    Parameters
    ----------
    values : np.ndarray [shape=(m,)]
    lo, hi : np.ndarray [shape=(n,)] of int
        Window bounds into ``values`` (``hi`` excluded).

    Returns
    -------
    np.ndarray [shape=(n,)]
    """
    count = hi - lo
    width = int(count.max()) if len(count) else 0
    if width == 0:
        return np.full(len(lo), np.nan)
    idx = lo[:, None] + np.arange(width)
    rows = np.sort(np.where(idx < hi[:, None], values[np.minimum(idx, len(values) - 1)], np.inf), axis=1)
    pos = q / 100 * np.maximum(count - 1, 0)  # numpy's default (linear) percentile
    k = np.floor(pos).astype(int)
    r = np.arange(len(lo))
    below = rows[r, k]
    above = rows[r, np.minimum(k + 1, count - 1).clip(0)]
    with np.errstate(invalid="ignore"):  # empty windows: inf - inf, NaN in the end
        out = below + (pos - k) * (above - below)
    return np.where(count > 0, out, np.nan)


def closed_mask(opening_mm: np.ndarray, valid: np.ndarray, *, closed_fraction: float = 0.5) -> np.ndarray:
    """Frames in which an eye is closed: its opening below ``closed_fraction`` of the recording's
    open level (the 90th percentile of its valid openings). A plain mask for masking eye closures
    out of other measures; :func:`eye_events` judges each moment against :func:`open_level_mm`.

    Parameters
    ----------
    opening_mm : np.ndarray [shape=(n,)]
        The eye's opening (palpebral height, mm).
    valid : np.ndarray [shape=(n,)] of bool
        Measured frames.
    closed_fraction : float
        Share of the open level below which the eye counts as closed.

    Returns
    -------
    np.ndarray [shape=(n,)] of bool
        Valid frames with the eye closed.
    """
    level = np.nanpercentile(opening_mm[valid], OPEN_PERCENTILE) if valid.any() else np.nan
    return valid & (opening_mm < closed_fraction * level)


def eye_events(table: SignalTable, *, closed_fraction: float = CLOSED_FRACTION, narrowed_fraction: float = 0.75,
               wink_fraction: float = 0.25, bridge_s: float = 0.1, sync_s: float = 0.1, max_s: float = BLINK_MAX_S,
               min_wink_s: float = 0.1, max_wink_s: float = 3.0) -> list[EyeEvent]:
    """Blinks (both eyes) and winks (one eye), in time order.

    Parameters
    ----------
    table : SignalTable
        Needs ``palpebral_right_height_mm`` and ``palpebral_left_height_mm`` (the person's own
        sides), ``t_s`` and ``valid``.
    closed_fraction, narrowed_fraction : float
        Shares of an eye's open level below which it counts as closed / narrowed.
    wink_fraction : float
        Share of the open level that a winking eye must go below (shut almost fully).
    bridge_s : float
        Closed frames at most this far apart (s) belong to one event.
    sync_s : float
        The second eye of a blink narrows within this time (s) of the first eye's closing.
    max_s : float
        Longest blink (s); a longer closure of both eyes is a deliberate one, not counted.
    min_wink_s, max_wink_s : float
        Shortest and longest wink (s).

    Returns
    -------
    list of EyeEvent
        ``t_s`` is the first closed frame; ``duration_s`` spans the closed frames.
    """
    t, valid = table.t_s, table.valid
    dt = frame_interval_s(t, default_s=1 / 30)
    tol = 0.25 * dt  # time limits hold within a quarter frame (timestamps are rounded)
    rel = {}
    for s in SIDES:
        o = table.columns[f"palpebral_{s}_height_mm"]
        with np.errstate(invalid="ignore", divide="ignore"):
            r = o / open_level_mm(t, o, valid)
        rel[s] = np.where(valid & np.isfinite(r), r, np.inf)  # unmeasured: neither closed nor narrowed
    closed = {s: rel[s] < closed_fraction for s in SIDES}
    events = []
    for i0, i1 in time_groups(np.flatnonzero(closed["right"] | closed["left"]), t, bridge_s + tol):
        seg = slice(i0, i1 + 1)
        dur = float(t[i1] - t[i0] + dt)
        first = {s: t[i0 + int(np.argmax(closed[s][seg]))] if closed[s][seg].any() else np.inf for s in SIDES}
        lead = min(SIDES, key=lambda s: first[s])  # the eye that closed first
        other = SIDES[1 - SIDES.index(lead)]
        sync = np.abs(t - first[lead]) <= sync_s + tol
        if (rel[other][sync] < narrowed_fraction).any():
            if dur <= max_s + tol:  # longer: a deliberate eye closure
                events.append(EyeEvent("blink", float(t[i0]), dur, "both"))
        elif min_wink_s - tol <= dur <= max_wink_s + tol and rel[lead][seg].min() < wink_fraction:
            events.append(EyeEvent("wink", float(t[i0]), dur, lead))
    return events


@dataclass(frozen=True)
class BlinkResult:
    """Blinks (both eyes briefly closed) and winks (one eye), never taken for twitches."""

    count: int | None
    rate_per_min: float | None  # over the measured time; None under MIN_RATE_S of it
    winks: int | None
    events: list[EyeEvent]
    reference: str = BLINK_REFERENCE


def eyes_shut_mask(t_s: np.ndarray, events, *, pad_s: float = BLINK_PAD_S) -> np.ndarray:
    """Frames within a blink (both eyes, :class:`EyeEvent` of kind ``blink``), padded by ``pad_s``.

    The eye measures that compare a lid's opening with rest (eye narrowing in a smile,
    synkinesis, the smile and pucker items of a grade) leave these frames out: a blink at a
    smile's apex shuts the eyes for a few tenths of a second whatever the smile does (a 0.37 s
    blink at the apex of a real smile read as 95 % eye narrowing). Winks stay in: one eye
    closing through a smile is what synkinesis looks like, and only its pattern (held through
    the smile's apex, in every smile) tells it from a wink, which :mod:`synkinesis` asks for;
    with winks left out, an eye closed to under a quarter of its opening through the smile was
    all left out, and "cannot tell" replaced a synkinesis that a milder one was found as.
    """
    t = np.asarray(t_s, dtype=float)
    out = np.zeros(len(t), bool)
    for e in events or []:
        t0, d = getattr(e, "t_s", None), getattr(e, "duration_s", None)
        if getattr(e, "kind", None) == "blink" and t0 is not None and d is not None and np.isfinite(t0) and np.isfinite(d):
            out |= (t >= t0 - pad_s) & (t <= t0 + d + pad_s)
    return out


def brief_closures(t_s: np.ndarray, opening_mm: dict[str, np.ndarray], open_mm: dict[str, float], *,
                   closed_fraction: float = CLOSED_FRACTION, max_s: float = BLINK_MAX_S,
                   pad_s: float = BLINK_PAD_S) -> np.ndarray:
    """Frames of a blink in a short stretch of frames, as the live coach sees a repetition: both
    eyes below ``closed_fraction`` of their open opening (``open_mm`` per side) for at most
    ``max_s``, padded by ``pad_s`` for the lids' fall and rise. A longer
    closure of both eyes is deliberate (a smile squeezing the eyes shut) and is not returned.

    How long a closure lasts must be seen: frames not measured (NaN) inside it do not end it,
    and a closure that runs into the first or last frame of the stretch may go on outside it,
    so it is not taken for a blink.

    :func:`eye_events` judges a whole recording (each eye against its open level around each
    moment); a repetition of a few seconds has no such surroundings, only the relaxed opening
    taken before it.
    """
    t = np.asarray(t_s, dtype=float)
    n = len(t)
    shut = np.ones(n, bool)
    unseen = np.zeros(n, bool)
    for s in SIDES:
        o, ref = np.asarray(opening_mm[s], dtype=float), open_mm.get(s, float("nan"))
        if not (np.isfinite(ref) and ref > 0):
            return np.zeros(n, bool)
        unseen |= ~np.isfinite(o)
        shut &= ~(np.nan_to_num(o, nan=np.inf) >= closed_fraction * ref)  # NaN: may be shut
    dt = frame_interval_s(t, default_s=0.0)
    out = np.zeros(n, bool)
    for a, b in mask_runs(shut):
        if (shut[a:b + 1] & ~unseen[a:b + 1]).any() and a > 0 and b < n - 1 and t[b] - t[a] + dt <= max_s + 0.25 * dt:
            out |= (t >= t[a] - pad_s) & (t <= t[b] + pad_s)
    return out


def blink_summary(table: SignalTable) -> BlinkResult:
    """``blinks`` block: count, rate per minute over the measured time, winks, and the events."""
    ev = eye_events(table)
    blinks = [e for e in ev if e.kind == "blink"]
    winks = [e for e in ev if e.kind == "wink"]
    measured_s = measured_duration_s(table.t_s, table.valid)
    # a rate from a few seconds is a count of one or two blinks divided by a short time (3 s
    # with one blink read "20.8 per minute"): none under MIN_RATE_S, as the report and summary say
    rate = len(blinks) / (measured_s / 60) if measured_s >= MIN_RATE_S else None
    return BlinkResult(count=len(blinks), rate_per_min=rate, winks=len(winks), events=ev)
