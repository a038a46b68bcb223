"""Speech: the lips opening and closing at the syllable rate, found stretch by stretch.

Talking opens and closes the mouth once a syllable, 3-7 times a second (about 4-5 on average;
the mouth's opening is modulated at 2-7 Hz, Chandrasekaran 2009), by several millimetres each
time, and goes on for seconds. An expression (a jaw drop, a pucker, a grimace, a smile, a lip
press) moves the lips once and holds them, however far. So speech is looked for in the lips'
opening (upper minus lower lip centre, mm) moment by moment, not in one spectrum of the whole
recording: in a long recording the talking is spread over many frequencies and stretches, and
in a short silent one a single large step of the mouth spreads power over every frequency.

1. The opening is resampled on its timestamps onto a uniform grid, per stretch of valid frames
   (:func:`smilescope.timebase.valid_stretches`).
2. A median over three samples removes one-frame tracking spikes (a syllable lasts several
   frames at any usual frame rate).
3. A running median over ``hold_s`` (0.5 s) follows whatever the lips hold: a median follows a
   step or a steady ramp exactly, while an open-and-close quicker than half that time (a
   syllable at 3-7 Hz lasts 0.14-0.33 s) does not move it. Subtracting it leaves the lips'
   quick movement.
4. The root mean square of that movement over ``window_s`` (2 s, six syllables or more) around
   each moment: the moment is *speech-like* when it reaches ``min_mm`` (1 mm, a syllable
   opening the lips by about 3 mm peak to peak). Tracking noise of a usable face is well under
   that (0.1-0.5 mm on the still and silent faces of the labelled videos).
5. Speech is *detected* when speech-like moments cover at least ``min_share`` (half) of the
   judged time, or one stretch of them lasts ``long_s`` (5 s) or more: a phrase or a
   conversation, not a single grimace or mouth exercise (those gave at most about 3 s in the
   silent labelled videos).

``frequency_hz`` is the spectral peak of the opening within the speech-like stretches between
3 and 7 Hz (``None`` when none lasts ``window_s``); the tremor analysis
(:mod:`smilescope.measures.shake`) takes a mouth or cheek rhythm at that frequency, or at the
lips' own spectral peak, for talking rather than tremor.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9)

from smilescope.signals import SignalTable
from smilescope.timebase import frame_rate_hz, grid_times_s, mask_runs, seconds_to_frames, valid_stretches

SYLLABLE_HZ = (3.0, 7.0)  # syllable rate of speech


@dataclass(frozen=True)
class Speech:
    """Talking, from the lips' syllable-rate movement (not tremor).

    Attributes
    ----------
    detected : bool
        Speech-like movement over at least half the judged time, or in one long stretch.
    frequency_hz : float or None
        Spectral peak of the lips' opening (3-7 Hz) within the speech-like stretches.
    amplitude_mm : float or None
        sqrt(2) x the root mean square of the lips' quick movement within them (the amplitude
        of a sine of that power), mm.
    talking_s : float or None
        Time the lips moved like speech (s); None when no stretch was long enough to judge.
    share : float or None
        ``talking_s`` over the judged time (0-1).
    stretches_s : list of (float, float)
        Speech-like stretches, start and end (s).
    """

    detected: bool
    frequency_hz: float | None = None
    amplitude_mm: float | None = None
    talking_s: float | None = None
    share: float | None = None
    stretches_s: list[tuple[float, float]] = field(default_factory=list)


def lip_aperture_mm(table: SignalTable) -> np.ndarray | None:
    """The lips' opening (upper minus lower lip centre, mm, + open) per frame; None without lips."""
    c = table.columns
    if "upper_lip_y_mm" not in c or "lower_lip_y_mm" not in c:
        return None
    return c["upper_lip_y_mm"] - c["lower_lip_y_mm"]


def quick_lip_movement(t_s: np.ndarray, aperture_mm: np.ndarray, *, hold_s: float = 0.5) -> np.ndarray:
    """The lips' quick movement: the opening less a running median over ``hold_s`` (steps 1-3).

    Parameters
    ----------
    t_s : np.ndarray [shape=(m,)]
        Times of a uniform grid (s).
    aperture_mm : np.ndarray [shape=(m,)]
        The lips' opening on that grid (mm).
    hold_s : float
        Length of the running median that follows held expressions (s).

    Returns
    -------
    np.ndarray [shape=(m,)]
        mm; 0 where the lips hold still or change slowly.
    """
    y = scipy.ndimage.median_filter(aperture_mm, size=3, mode="nearest")  # one-frame spikes
    held = scipy.ndimage.median_filter(y, size=seconds_to_frames(hold_s, t_s) | 1, mode="nearest")
    return y - held


def lip_rhythm(table: SignalTable, *, min_mm: float = 1.0, window_s: float = 2.0, hold_s: float = 0.5,
               min_share: float = 0.5, long_s: float = 5.0) -> Speech:
    """Speech from the lips' opening: speech-like stretches, and whether the person talks.

    Parameters
    ----------
    table : SignalTable
        Needs ``upper_lip_y_mm`` and ``lower_lip_y_mm``.
    min_mm : float
        Root mean square of the quick lip movement over ``window_s`` from which a moment is
        speech-like (mm).
    window_s : float
        Window of that root mean square (s); valid stretches shorter than it are not judged.
    hold_s : float
        Running median that follows held expressions (s).
    min_share, long_s : float
        Speech is detected when speech-like time covers ``min_share`` of the judged time, or
        one speech-like stretch lasts ``long_s`` seconds or more.

    Returns
    -------
    Speech
    """
    ap = lip_aperture_mm(table)
    if ap is None or len(table) < 8:
        return Speech(detected=False)
    fs = frame_rate_hz(table.t_s)
    n = seconds_to_frames(window_s, fs_hz=fs)
    ok = table.valid & np.isfinite(ap)
    judged = talking = 0.0
    stretches: list[tuple[float, float]] = []
    quick_sq: list[np.ndarray] = []
    psd, f = 0.0, None
    for run in valid_stretches(table.t_s, ok, fs_hz=fs):
        tt = table.t_s[run]
        grid = grid_times_s(tt[0], tt[-1], fs_hz=fs)
        if len(grid) < n:
            continue
        y = np.interp(grid, tt, ap[run])
        quick = quick_lip_movement(grid, y, hold_s=hold_s)
        like = np.sqrt(scipy.ndimage.uniform_filter1d(quick ** 2, size=n, mode="nearest")) >= min_mm
        judged += len(grid) / fs
        talking += like.sum() / fs
        quick_sq.append(quick[like] ** 2)
        for a, last in mask_runs(like):
            b = last + 1  # one past the stretch
            stretches.append((float(grid[a]), float(grid[last])))
            if b - a >= n:  # the rhythm: Welch spectra of the opening, window_s segments, weighted by length
                f, p = scipy.signal.welch(y[a:b], fs=fs, nperseg=n, detrend="linear")
                psd = psd + p * (b - a)
    if judged == 0:
        return Speech(detected=False)
    stretches.sort()
    share = talking / judged
    longest = max((b - a for a, b in stretches), default=0.0)
    sq = np.concatenate(quick_sq)
    frequency = None
    if f is not None:
        band = (f >= SYLLABLE_HZ[0]) & (f <= SYLLABLE_HZ[1])
        frequency = float(f[band][np.argmax(psd[band])]) if band.any() else None
    return Speech(detected=bool(share >= min_share or longest >= long_s), frequency_hz=frequency,
                  amplitude_mm=float(np.sqrt(2 * sq.mean())) if len(sq) else None,
                  talking_s=float(talking), share=float(share), stretches_s=stretches)
