"""Blinks and winks from the eye openings.

A blink closes both eyes briefly; a wink closes one. Neither is a twitch. An eye counts as
closed while its opening (palpebral height) is below ``closed_fraction`` (default 50 %) of its
open level (the 90th percentile of the recording); an event lasts 50 ms to 1 s (longer is
a deliberate eye closure). Both eyes closed in overlapping stretches make a blink; one eye
alone makes a wink. Normal blink rate (Bentivoglio 1997; Doughty 2001): about 17/min at rest
(95 % range 8-21), 26/min in conversation (10.5-32.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from smilescope.signals import SignalTable
from smilescope.timebase import frame_interval_s, measured_duration_s


BLINK_REFERENCE = "about 17/min at rest (8-21), 26/min in conversation (10.5-32.5): Bentivoglio 1997, Doughty 2001"


@dataclass(frozen=True)
class EyeEvent:
    kind: str  # blink / wink
    t_s: float | None  # start
    duration_s: float | None
    side: str  # both / left / right


def closed_mask(opening_mm: np.ndarray, valid: np.ndarray, *, closed_fraction: float = 0.5) -> np.ndarray:
    """Frames in which an eye is closed: its opening below ``closed_fraction`` of its open level.

    Parameters
    ----------
    opening_mm : np.ndarray [shape=(n,)]
        The eye's opening (palpebral height, mm).
    valid : np.ndarray [shape=(n,)] of bool
        Measured frames; the open level is the 90th percentile of their opening.
    closed_fraction : float
        Share of the open level below which the eye counts as closed.

    Returns
    -------
    np.ndarray [shape=(n,)] of bool
        Valid frames with the eye closed.
    """
    level = np.nanpercentile(opening_mm[valid], 90) if valid.any() else np.nan
    return valid & (opening_mm < closed_fraction * level)


def eye_events(table: SignalTable, *, closed_fraction: float = 0.5, min_s: float = 0.05, max_s: float = 1.0,
               max_wink_s: float = 3.0) -> list[EyeEvent]:
    """Blinks (both eyes) and winks (one eye), in time order.

    Each stretch in which either eye is closed is one event: a blink when both eyes are closed
    for at least half of it (and it lasts at most ``max_s``; longer is a deliberate eye
    closure), a wink when only one eye is (up to ``max_wink_s``).
    """
    t, valid = table.t_s, table.valid
    dt = frame_interval_s(t, default_s=1 / 30)
    c = {s: closed_mask(table.columns[f"palpebral_{s}_height_mm"], valid, closed_fraction=closed_fraction)
         for s in ("right", "left")}
    either = c["right"] | c["left"]
    events, i, n = [], 0, len(t)
    while i < n:
        if not either[i]:
            i += 1
            continue
        j = i
        while j + 1 < n and either[j + 1]:
            j += 1
        dur = t[j] - t[i] + dt
        seg = slice(i, j + 1)
        share = {s: float(c[s][seg].mean()) for s in ("right", "left")}
        if share["right"] >= 0.5 and share["left"] >= 0.5:
            if min_s <= dur <= max_s:  # longer: a deliberate eye closure
                events.append(EyeEvent("blink", float(t[i]), float(dur), "both"))
        elif min_s <= dur <= max_wink_s:
            # one eye closed for most of the stretch (the other may squint along): a wink
            events.append(EyeEvent("wink", float(t[i]), float(dur), max(share, key=share.get)))
        i = j + 1
    return events


@dataclass(frozen=True)
class BlinkResult:
    """Blinks (both eyes briefly closed) and winks (one eye), never taken for twitches."""

    count: int | None
    rate_per_min: float | None  # over the measured time; None with under two valid frames
    winks: int | None
    events: list[EyeEvent]
    reference: str = BLINK_REFERENCE


def blink_summary(table: SignalTable) -> BlinkResult:
    """``blinks`` block: count, rate per minute over the measured time, winks, and the events."""
    ev = eye_events(table)
    blinks = [e for e in ev if e.kind == "blink"]
    winks = [e for e in ev if e.kind == "wink"]
    minutes = measured_duration_s(table.t_s, table.valid) / 60
    return BlinkResult(count=len(blinks), rate_per_min=len(blinks) / minutes if minutes > 0 else None,
                       winks=len(winks), events=ev)
