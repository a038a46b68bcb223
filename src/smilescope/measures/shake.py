"""Shaking of the face and head: tremor spectra per region and side, and the head's own tremor.

Pure functions over a :class:`~smilescope.signals.SignalTable`. Signals are resampled on their
own timestamps to a uniform grid (phones record variable frame rate), then Welch spectra
(scipy.signal.welch, windows of up to 4 s for 0.25 Hz resolution) are taken from 3 Hz up to
Nyquist. Nothing is low-pass filtered first: smoothing filters such as One Euro erase the
4-12 Hz band where tremor lives.

A tremor is called in a region when its spectral peak stands at least ``snr`` times (default
10, i.e. 10 dB) above the median spectral level of the band — the measured noise floor — and
its amplitude is at least 3 times the frame-to-frame noise floor of the video; the
oscillation must also persist: it is the dominant one in both halves of the time it is
present (:func:`oscillation_presence`), and that time lasts at least two seconds — a burst of
noise in one moment does not make a tremor, but a tremor that comes and goes (rest tremor
and eyelid myokymia often do) is one while it lasts, even when it fills only one half of the
recording. It must also be spatially coherent: each region is
measured at a second point 4-14 mm from its main one (``landmarks.NEAR``, about one
optical-flow patch apart, so the two share few pixels), and the magnitude-squared coherence of the
two points' movement at the peak frequency must reach ``COHERENCE_MIN`` (0.5). A tremor moves
the skin of a region together; tracking noise, a glint or one lost patch moves one point.
With independent noise in the two points the coherence of the peak's bin reaches 0.5 by
chance in about 5 % of 5 s recordings and in none of 400 simulated 30 s ones (the longer the
recording, the more Welch segments are averaged). Noise common to the whole face (what is
left of the head motion after alignment) is coherent too and is left to the other gates. So is
video compression: H.264 codes blocks of 16 px with shared motion, and in one of our renders
skin moving within 3.8 mm of a mouth corner leaked, in phase, into a still point 9 mm away
(15 % of the amplitude at crf 18, coherence 0.9; nothing when lossless). So a very local
oscillation can pass the gate in a compressed video, although in
``benchmarks/tremor_coherence.py`` none of six did, lossless or at crf 18.

**Amplitude** is that of the oscillation while it is present, not its average over the
recording: a Welch spectrum averages power over time, so a tremor present in a third of the
recording reads sqrt(1/3), 42 % low. The signal is demodulated at the peak frequency (a
lock-in: multiplied by exp(-2 pi i f t) and averaged over a Hann window of about a second),
which gives the oscillation's amplitude moment by moment; the expected contribution of the
noise in that window's bandwidth is taken off, and the amplitude reported is the median over
the frames where it reaches half its largest value (the amplitude *gate* keeps the spectrum's
amplitude: the envelope of noise, read over its own louder moments, is larger than its share of
the spectrum, and still faces then passed the gate). Each region reads its amplitude from the
point that moves: a mouth corner or cheek point from its two components (their powers add:
they are the x and y of one movement), the eye from the larger of the upper lid's movement and
the change in the eye's opening (the two are not independent components: when the upper lid
moves alone they are the same movement, and adding their powers read a lid tremor up to 40 %
high; the opening also catches a tremor of the lower lid). The head keeps the amplitude of
its whole-recording spectrum: its gates test no persistence, and a head that rocks for a
moment with speech or a gesture is not given the size of that moment.

**Not judged** (``Tremor.not_judged``): when nothing was found and the recording could not have
shown a tremor — no stretch of two seconds of measured face, a frame-to-frame noise floor so
high that a tremor under 1 mm would be lost in it (a small face, a shaky picture), or talking
through much of the recording (the mouth's syllable rhythm, 3-7 Hz, covers the band of rest
tremor). A tremor that was found is always judged.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.measures.speech import Speech, lip_aperture_mm, lip_rhythm
from smilescope.measures.twitch import closure_mask
from smilescope.signals import NEAR_SIGNALS, SignalTable
from smilescope.timebase import frame_rate_hz, grid_times_s, mask_runs, seconds_to_frames, valid_stretches

# region -> per side, the columns whose movement is analysed (two per region, for coherence)
REGIONS = {
    "mouth": ("mouth_corner_{side}_x_mm", "mouth_corner_{side}_y_mm"),
    "cheek": ("cheek_{side}_x_mm", "cheek_{side}_y_mm"),
    "eye": ("upper_lid_{side}_y_mm", "palpebral_{side}_height_mm"),
    "brow": ("brow_{side}_height_mm", "brow_{side}_height_mm"),
}
# regions judged on the frames with the eyes open only: a blink moves the lids (and the brow with
# them) by millimetres, and is counted as a blink, not as an eyelid tremor
EYES_OPEN_REGIONS = ("eye", "brow")
HEAD = ("head_x_mm", "head_y_mm")
# region -> the columns its amplitude is read from, and how they combine: "vector" (x and y of
# one point: powers add) or "larger" (two views of one movement: the larger counts)
AMPLITUDE = {
    "mouth": (("mouth_corner_{side}_x_mm", "mouth_corner_{side}_y_mm"), "vector"),
    "cheek": (("cheek_{side}_x_mm", "cheek_{side}_y_mm"), "vector"),
    "eye": (("upper_lid_{side}_y_mm", "palpebral_{side}_height_mm"), "larger"),
    "brow": (("brow_{side}_height_mm",), "vector"),
}
MIN_HZ = 3.0
COHERENCE_MIN = 0.5  # magnitude-squared coherence between a region's two points at the peak
MIN_PRESENT_S = 2.0  # a tremor lasts at least this long (6 cycles at 3 Hz): shorter is a burst
PRESENT_FRACTION = 0.5  # the oscillation is present where it reaches this share of its largest amplitude
MAX_UNSEEN_MM = 1.0  # a floor that hides a tremor this large (3 x floor above it) leaves the block not judged


@dataclass(frozen=True)
class Spectrum:
    """One-sided power spectral density of a region's movement (sum over its components)."""

    freq_hz: np.ndarray
    psd_mm2_per_hz: np.ndarray
    noise_mm2_per_hz: float  # median PSD in the band: the measured noise floor of the spectrum (mm²/Hz)


@dataclass(frozen=True)
class TremorPeak:
    region: str
    side: str  # left / right / head
    frequency_hz: float | None
    amplitude_mm: float | None  # peak (half peak-to-peak) of the dominant oscillation
    snr: float | None  # peak PSD / band median
    consistency: float | None  # share of the recording halves that show the same peak (0, 0.5, 1)
    detected: bool
    near_nyquist: bool
    band_power_mm2: float | None  # 3 Hz..Nyquist, above the noise level
    peak_share: float | None  # the peak's share of that band power: near 1 for a tremor, low for broadband movement
    speech_like: bool = False  # shared with the lips' opening at a syllable rate: talking or laughing, not tremor
    spatial_coherence: float | None = None  # MSC of the region's two points at the peak (None: not measured)
    present_s: float | None = None  # time the oscillation was present (s; None: not measured)


def region_spectrum(table: SignalTable, columns: tuple[str, str], mask: np.ndarray | None = None,
                    *, min_s: float = 2.0) -> tuple[Spectrum, np.ndarray, np.ndarray, float]:
    """Welch spectrum of a region (sum of its components' PSDs) over ``mask`` frames.

    Every stretch of usable frames at least as long as the Welch window (up to 4 s, at least
    ``min_s``) is resampled on its own timestamps and contributes, weighted by its length;
    blinks and smile episodes therefore cut the recording into pieces without losing them.
    Also returns the longest stretch's two components (for the consistency check).
    """
    valid = table.valid if mask is None else table.valid & mask
    empty = (Spectrum(np.zeros(0), np.zeros(0), float("nan")), np.zeros(0), np.zeros(0), float("nan"))
    if len(table) < 8:
        return empty
    fs = frame_rate_hz(table.t_s)
    cols = list(dict.fromkeys(columns))
    ok = valid.copy()
    for c in cols:
        ok &= np.isfinite(table.columns[c])
    runs = valid_stretches(table.t_s, ok, fs_hz=fs)
    if not runs or table.t_s[runs[0][-1]] - table.t_s[runs[0][0]] < min_s:
        return empty
    tt0 = table.t_s[runs[0]]  # the window fits the longest stretch on its uniform grid (frames may be uneven)
    nper = int(min(round(4.0 * fs), len(grid_times_s(tt0[0], tt0[-1], fs_hz=fs))))
    total, weight, first = None, 0, None
    for run in runs:
        tt = table.t_s[run]
        grid = grid_times_s(tt[0], tt[-1], fs_hz=fs)
        if len(grid) < nper:
            continue
        ys = [np.interp(grid, tt, table.columns[c][run]) for c in cols]
        if first is None:
            first = ys
        p = None
        for y in ys:
            f, pp = scipy.signal.welch(y, fs=fs, nperseg=nper, noverlap=nper // 2, detrend="linear", scaling="density")
            p = pp if p is None else p + pp
        total = p * len(grid) if total is None else total + p * len(grid)
        weight += len(grid)
    p = total / weight
    band = f >= MIN_HZ
    return Spectrum(f, p, float(np.median(p[band]))), first[0], first[-1], fs


def find_peak(spec: Spectrum, a: np.ndarray, b: np.ndarray, fs: float, *, region: str, side: str,
              noise_floor_mm: float = 0.0, snr_min: float = 10.0, consistency_min: float = 1.0,
              share_min: float = 0.0) -> TremorPeak | None:
    """The dominant oscillation between 3 Hz and Nyquist, and whether it counts as tremor."""
    f, p = spec.freq_hz, spec.psd_mm2_per_hz
    band = f >= MIN_HZ
    if band.sum() < 3:
        return None
    i = _dominant_peak(f, p)
    if i is None:
        return None
    df = f[1] - f[0]
    # power of the peak: its bins within +-0.5 Hz, above the noise level
    near = np.abs(f - f[i]) <= max(0.5, 1.5 * df)
    power = float(np.sum(np.clip(p[near] - spec.noise_mm2_per_hz, 0, None)) * df)
    amp = float(np.sqrt(2 * power))  # a sinusoid of amplitude A has mean power A^2 / 2
    snr = float(p[i] / spec.noise_mm2_per_hz) if spec.noise_mm2_per_hz > 0 else float("inf")
    coh = _consistency(a, b, fs, f[i])
    nyq = fs / 2
    band_power = float(np.sum(np.clip(p[band] - spec.noise_mm2_per_hz, 0, None)) * df)
    share = power / band_power if band_power > 0 else 0.0
    pk = TremorPeak(region, side, float(f[i]), amp, snr, coh, False, bool(f[i] > 0.8 * nyq), band_power, float(share))
    return replace(pk, detected=_passes(pk, noise_floor_mm=noise_floor_mm, snr_min=snr_min,
                                        consistency_min=consistency_min, share_min=share_min))


def _passes(pk: TremorPeak, *, noise_floor_mm: float, snr_min: float, consistency_min: float,
            share_min: float = 0.0) -> bool:
    """The gates of a tremor (module notes): peak above the spectrum's noise, amplitude above the
    video's, persistent (and, where measured, present for ``MIN_PRESENT_S``)."""
    return bool(pk.snr >= snr_min and pk.amplitude_mm >= 3 * noise_floor_mm and pk.consistency >= consistency_min
                and pk.peak_share >= share_min and (pk.present_s is None or pk.present_s >= MIN_PRESENT_S))


def with_presence(pk: TremorPeak, table: SignalTable, columns: tuple[str, ...], amplitude: tuple[tuple[str, ...], str],
                  mask: np.ndarray | None, *, noise_floor_mm: float, snr_min: float,
                  consistency_min: float = 1.0) -> TremorPeak:
    """``pk`` with its amplitude and persistence measured where the oscillation is present.

    The consistency becomes the larger of the recording's and that of the longest stretch in
    which the oscillation is present (its two halves, as in the recording's), so a tremor that
    fills one half of the recording is not lost; ``present_s`` is set and the gates are taken
    again (the amplitude gate with the spectrum's amplitude, as before); then the amplitude
    becomes :func:`oscillation_presence`'s (columns and combination ``amplitude``).
    """
    pres = oscillation_presence(table, amplitude[0], mask, pk.frequency_hz, combine=amplitude[1])
    if pres is None:
        return pk
    cons = pk.consistency
    if cons < consistency_min and pres.span_s[1] - pres.span_s[0] >= MIN_PRESENT_S:
        a, b = _span_columns(table, columns, pres.span_s, frame_rate_hz(table.t_s), mask)
        if len(a):
            cons = max(cons, _consistency(a, b, frame_rate_hz(table.t_s), pk.frequency_hz))
    # the gates take the spectrum's amplitude (over the whole recording), as before: read while
    # present, noise reaches larger amplitudes too (its envelope over its own louder moments)
    pk = replace(pk, consistency=cons, present_s=pres.present_s)
    pk = replace(pk, detected=_passes(pk, noise_floor_mm=noise_floor_mm, snr_min=snr_min,
                                      consistency_min=consistency_min))
    return replace(pk, amplitude_mm=pres.amplitude_mm)


def _dominant_peak(f: np.ndarray, p: np.ndarray, *, half_width_hz: float = 0.5) -> int | None:
    """Index of the largest spectral peak at or above ``MIN_HZ``: the largest bin that is also
    the largest within ``half_width_hz`` (at least one bin) on either side, bins below
    ``MIN_HZ`` included. A sinusoid's Hann-windowed peak is that wide (two bins of a 4 s
    window); the band's largest bin is not always a peak: brief jerks, blinks and slow
    movement put most of their power at low frequencies, and the band's edge at 3 Hz is then
    merely the highest point of a falling slope. None when the band holds no peak."""
    df = f[1] - f[0] if len(f) > 1 else 1.0
    k = max(1, int(np.floor(half_width_hz / df + 1e-9)))
    best = None
    for i in np.flatnonzero(f >= MIN_HZ):
        if p[i] >= p[max(0, i - k): i + k + 1].max() and (best is None or p[i] > p[best]):
            best = int(i)
    return best


def _consistency(a: np.ndarray, b: np.ndarray, fs: float, f0: float) -> float:
    """How consistently the oscillation at ``f0`` shows over time: the share of the recording's
    two halves (0, 0.5, 1) whose own dominant peak, in the summed spectra of both components,
    lies within 0.5 Hz of ``f0``. Under 2 s of signal it cannot be shown: 0.
    """
    h = min(len(a), len(b)) // 2
    if h < int(fs):
        return 0.0
    hits = 0
    for sl in (slice(0, h), slice(h, 2 * h)):
        p = None
        for x in ((a,) if a is b else (a, b)):
            f, px = scipy.signal.welch(x[sl], fs=fs, nperseg=min(h, int(round(2.0 * fs))), detrend="linear")
            p = px if p is None else p + px
        i = _dominant_peak(f, p)
        hits += i is not None and abs(f[i] - f0) <= 0.5
    return hits / 2


@dataclass(frozen=True)
class Presence:
    """Where and how large an oscillation of one frequency is (:func:`oscillation_presence`).

    Attributes
    ----------
    amplitude_mm : float
        Median amplitude (mm, peak, i.e. half peak-to-peak) over the frames where it is present.
    present_s : float
        Time (s) in which it reaches ``PRESENT_FRACTION`` of its largest amplitude.
    span_s : tuple of float
        Start and end (s) of the longest uninterrupted stretch in which it is present.
    """

    amplitude_mm: float
    present_s: float
    span_s: tuple[float, float]


def oscillation_presence(table: SignalTable, columns: tuple[str, ...], mask: np.ndarray | None, f0_hz: float, *,
                         combine: str = "vector", present_fraction: float = PRESENT_FRACTION) -> Presence | None:
    """Amplitude of the oscillation at ``f0_hz`` moment by moment, and where it is present.

    Each usable stretch (at least one window long) is resampled on its timestamps, linearly
    detrended and demodulated at ``f0_hz``: multiplied by exp(-2 pi i f0 t) and averaged over a
    Hann window of ``max(1 s, 4 / f0)`` (at least four cycles, so slow movement 2 Hz or more
    below the tremor stays outside the window's main lobe). Twice the modulus is the amplitude
    of a sinusoid at ``f0_hz``; the noise in the window's bandwidth adds 2 N B to its square (N
    the one-sided noise density, the median of the component's spectrum above 3 Hz; B the
    window's equivalent noise bandwidth), which is taken off.

    Parameters
    ----------
    table : SignalTable
    columns : tuple of str
        The columns that carry the movement.
    mask : np.ndarray [shape=(n,)] of bool, optional
        Frames to use (with ``table.valid``).
    f0_hz : float
        Frequency (Hz) of the oscillation.
    combine : {"vector", "larger"}
        How the columns' amplitudes combine: "vector" adds their squares (x and y of one point),
        "larger" takes the larger (two views of one movement).
    present_fraction : float
        Share of the largest amplitude (the 95th percentile over time) above which the
        oscillation counts as present.

    Returns
    -------
    Presence or None
        None when no stretch is a window long.
    """
    env = _envelopes(table, columns, mask, f0_hz, combine=combine, present_fraction=present_fraction)
    if env is None:
        return None
    stretches, fs = env
    if not any(on.any() for _, _, on in stretches):  # no oscillation at all
        return Presence(0.0, 0.0, (float("nan"), float("nan")))
    present_amp, present_s, span = [], 0.0, (float("nan"), float("nan"))
    for tg, amp, on in stretches:
        present_amp.append(amp[on])
        present_s += on.sum() / fs
        # longest uninterrupted run of present samples in this stretch
        for a, b in mask_runs(on):
            if np.isnan(span[0]) or tg[b] - tg[a] > span[1] - span[0]:
                span = (float(tg[a]), float(tg[b]))
    return Presence(float(np.median(np.concatenate(present_amp))), float(present_s), span)


def _envelopes(table: SignalTable, columns: tuple[str, ...], mask: np.ndarray | None, f0_hz: float, *,
               combine: str, present_fraction: float) -> tuple[list[tuple[np.ndarray, np.ndarray, np.ndarray]], float] | None:
    """The amplitude envelopes of :func:`oscillation_presence`: per usable stretch, the window
    centres' times (s), the amplitude there (mm) and whether the oscillation is present (at least
    ``present_fraction`` of the 95th percentile of all amplitudes); and the frame rate. None when
    no stretch is a window long."""
    if combine not in ("vector", "larger"):
        raise ValueError(f"Invalid value for the 'combine' parameter: 'vector' or 'larger', got {combine!r} instead.")
    cols = tuple(dict.fromkeys(columns))
    if len(table) < 8 or not f0_hz or any(c not in table.columns for c in cols):
        return None
    valid = table.valid if mask is None else table.valid & mask
    fs = frame_rate_hz(table.t_s)
    ok = valid.copy()
    for c in cols:
        ok &= np.isfinite(table.columns[c])
    nwin = max(seconds_to_frames(max(1.0, 4.0 / f0_hz), fs_hz=fs), 3)
    w = scipy.signal.windows.hann(nwin + 2)[1:-1]  # no zero weights at the ends
    w /= w.sum()
    enbw_hz = fs * float(np.sum(w ** 2))
    times, envs = [], []
    for run in valid_stretches(table.t_s, ok, fs_hz=fs):
        tt = table.t_s[run]
        grid = grid_times_s(tt[0], tt[-1], fs_hz=fs)
        if len(grid) < nwin:
            continue
        a2 = []
        for c in cols:
            y = scipy.signal.detrend(np.interp(grid, tt, table.columns[c][run]))
            f, pxx = scipy.signal.welch(y, fs=fs, nperseg=min(len(y), int(round(4.0 * fs))))
            noise = float(np.median(pxx[f >= MIN_HZ])) if np.any(f >= MIN_HZ) else 0.0
            z = scipy.signal.fftconvolve(y * np.exp(-2j * np.pi * f0_hz * (grid - grid[0])), w, mode="valid")
            a2.append(np.clip(4.0 * np.abs(z) ** 2 - 2.0 * noise * enbw_hz, 0.0, None))
        env = np.sqrt(np.sum(a2, axis=0) if combine == "vector" else np.max(a2, axis=0))
        times.append(grid[nwin // 2: nwin // 2 + len(env)])
        envs.append(env)
    if not envs:
        return None
    ref = float(np.percentile(np.concatenate(envs), 95))
    return [(tg, e, (e >= present_fraction * ref) & (ref > 0)) for tg, e in zip(times, envs)], fs


def present_frames(table: SignalTable, columns: tuple[str, ...], f0_hz: float, *, combine: str = "vector",
                   present_fraction: float = PRESENT_FRACTION) -> np.ndarray:
    """Frames (n,) bool at which the oscillation at ``f0_hz`` is present, as
    :func:`oscillation_presence` finds it, each window widened by its own half length (the
    frames it was measured from)."""
    n = len(table)
    out = np.zeros(n, bool)
    env = _envelopes(table, columns, None, f0_hz, combine=combine, present_fraction=present_fraction)
    half_s = 0.5 * max(1.0, 4.0 / f0_hz)
    for tg, _, on in (env[0] if env is not None else []):
        for a, b in mask_runs(on):
            out |= (table.t_s >= tg[a] - half_s) & (table.t_s <= tg[b] + half_s)
    return out


def _span_columns(table: SignalTable, columns: tuple[str, ...], span_s: tuple[float, float], fs: float,
                  mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """The first and last of ``columns`` on a uniform grid over ``span_s`` (usable frames only)."""
    valid = table.valid if mask is None else table.valid & mask
    inside = valid & (table.t_s >= span_s[0]) & (table.t_s <= span_s[1])
    for c in columns:
        inside &= np.isfinite(table.columns[c])
    if inside.sum() < 8:
        return np.zeros(0), np.zeros(0)
    tt = table.t_s[inside]
    grid = grid_times_s(tt[0], tt[-1], fs_hz=fs)
    ys = [np.interp(grid, tt, table.columns[c][inside]) for c in dict.fromkeys(columns)]
    return ys[0], ys[-1]


def spatial_coherence(table: SignalTable, main: tuple[str, ...], near: tuple[str, ...], mask: np.ndarray | None,
                      f0_hz: float) -> float | None:
    """Magnitude-squared coherence at ``f0_hz`` between a region's main point and its second point.

    ``main`` and ``near`` are the two points' component columns. Each point is judged in the
    component in which it moves most at ``f0_hz`` (chosen by power, not by coherence, so the
    choice does not inflate chance coherence): an edge such as the lip border is tracked
    mostly across itself, so a vertical tremor can show as lateral movement of a lip point.
    Cross- and auto-spectra (Welch, Hann windows of up to 2 s and at most a quarter of the
    longest stretch, so at least 7 segments) are summed over every usable stretch before the
    ratio is taken. Returns None when the table lacks the near columns, and 0 when too little
    signal is left to estimate it (under 6 segments, or a resolution coarser than 1.5 Hz).
    """
    main, near = tuple(dict.fromkeys(main)), tuple(dict.fromkeys(near))
    if not near or any(c not in table.columns for c in main + near):
        return None
    if len(table) < 8:
        return 0.0
    valid = table.valid if mask is None else table.valid & mask
    fs = frame_rate_hz(table.t_s)
    ok = valid.copy()
    for c in main + near:
        ok &= np.isfinite(table.columns[c])
    runs = valid_stretches(table.t_s, ok, fs_hz=fs)
    if not runs:
        return 0.0
    tt0 = table.t_s[runs[0]]
    nper = int(min(round(2.0 * fs), len(grid_times_s(tt0[0], tt0[-1], fs_hz=fs)) // 4))
    if nper < fs / 1.5:
        return 0.0
    kw = dict(fs=fs, nperseg=nper, noverlap=nper // 2, detrend="linear")
    auto: dict[str, np.ndarray] = {}
    cross: dict[tuple[str, str], np.ndarray] = {}
    segments, f = 0, None
    for run in runs:
        tt = table.t_s[run]
        grid = grid_times_s(tt[0], tt[-1], fs_hz=fs)
        if len(grid) < nper:
            continue
        nseg = (len(grid) - nper) // (nper // 2) + 1
        segments += nseg
        ys = {c: np.interp(grid, tt, table.columns[c][run]) for c in main + near}
        for c, y in ys.items():
            f, p = scipy.signal.welch(y, **kw)
            auto[c] = auto.get(c, 0.0) + nseg * p
        for m in main:
            for n in near:
                _, pxy = scipy.signal.csd(ys[m], ys[n], **kw)
                cross[m, n] = cross.get((m, n), 0.0) + nseg * pxy
    if f is None or segments < 6:
        return 0.0
    i = int(np.argmin(np.abs(f - f0_hz)))
    m = max(main, key=lambda c: auto[c][i])
    n = max(near, key=lambda c: auto[c][i])
    den = auto[m][i] * auto[n][i]
    return float(np.abs(cross[m, n][i]) ** 2 / den) if den > 0 else 0.0


SPEECH_MAX_HZ = 7.0


def lips_peak_hz(table: SignalTable, *, noise_floor_mm: float, snr_min: float) -> float | None:
    """The lips' opening (upper minus lower lip centre) as a rhythm: its dominant peak when it
    stands out as a tremor peak would (``find_peak``, in at least one half of the recording) and
    lies at 3-7 Hz, else None. A mouth rhythm at that frequency moves with the lips."""
    aperture = lip_aperture_mm(table)
    if aperture is None:
        return None
    spec, a, b, fs = region_spectrum(SignalTable(table.t_s, table.valid, {"lip_aperture_mm": aperture}),
                                     ("lip_aperture_mm",))
    pk = find_peak(spec, a, b, fs, region="lips", side="mid", noise_floor_mm=noise_floor_mm, snr_min=snr_min,
                   consistency_min=0.5) if len(spec.freq_hz) else None
    if pk is None or not pk.detected or pk.frequency_hz > SPEECH_MAX_HZ:
        return None
    return pk.frequency_hz


@dataclass(frozen=True)
class Tremor:
    """The dominant facial tremor (``detected`` False: none called; None: the recording could not
    show one, ``not_judged`` says why) and every region's peak."""

    detected: bool | None
    frequency_hz: float | None
    amplitude_mm: float | None
    side: str | None  # left / right / both / none (the person's own); None when not judged
    region: str | None
    phase: str | None  # rest / smile / both
    laterality_index: float | None  # (L - R) / (L + R) of the region's band power
    by_region: list[TremorPeak] = field(default_factory=list)
    near_nyquist: bool | None = None  # only for a detected tremor
    not_judged: str = ""  # why the recording could not show a tremor ("" when it could, or one was found)

    @property
    def judged(self) -> bool:
        """The recording could show a tremor (older files, without ``not_judged``, count as judged)."""
        return not self.not_judged

    def to_dict(self) -> dict:
        d = {f: getattr(self, f) for f in ("detected", "frequency_hz", "amplitude_mm", "side", "region", "phase",
                                           "laterality_index")}
        if self.near_nyquist is not None:
            d["near_nyquist"] = self.near_nyquist
        d["judged"] = self.judged
        d["not_judged"] = self.not_judged
        d["by_region"] = [asdict(p) for p in self.by_region]
        return d


@dataclass(frozen=True)
class HeadTremor:
    """The head's own oscillation, kept apart from the face (``tremor_detected`` False: none
    called; None: the recording could not show one, ``not_judged`` says why)."""

    tremor_detected: bool | None
    frequency_hz: float | None = None
    amplitude_mm: float | None = None
    not_judged: str = ""  # why a head tremor could not be seen ("" when it could, or one was found)

    @property
    def judged(self) -> bool:
        """The recording could show a head tremor (older files, without ``not_judged``, count as judged)."""
        return not self.not_judged

    def to_dict(self) -> dict:
        return {**asdict(self), "judged": self.judged}


@dataclass(frozen=True)
class ShakeResult:
    """The ``shake`` block's tremor part: facial tremor, head tremor and speech."""

    tremor: Tremor
    head: HeadTremor
    speech: Speech

    @property
    def by_region(self) -> list[TremorPeak]:
        return self.tremor.by_region

    def to_dict(self) -> dict:
        return {"tremor": self.tremor.to_dict(), "head": self.head.to_dict(), "speech": asdict(self.speech)}


def tremor(table: SignalTable, *, noise_floor_mm: float = 0.0, smile_mask: np.ndarray | None = None,
           snr_min: float = 10.0) -> ShakeResult:
    """Facial tremor per region and side (at rest, during smiles) and the head's own tremor.

    Parameters
    ----------
    table : SignalTable
    noise_floor_mm : float
        The video's frame-to-frame noise floor (``quality.noise_floor_mm``).
    smile_mask : np.ndarray [shape=(n,)] of bool, optional
        Frames inside smile episodes; the rest is "rest".
    """
    n = len(table)
    smile_mask = np.zeros(n, bool) if smile_mask is None else np.asarray(smile_mask, bool)
    phases = {"rest": ~smile_mask, "smile": smile_mask}
    open_eyes = ~closure_mask(table)  # a blink is not an eyelid tremor (EYES_OPEN_REGIONS)
    peaks: list[TremorPeak] = []
    phase_of: dict[tuple[str, str], set] = {}
    for region, cols in REGIONS.items():
        for side in SIDES:
            c = tuple(x.format(side=side) for x in cols)
            best = None
            for phase, mask in phases.items():
                frames = mask & open_eyes if region in EYES_OPEN_REGIONS else mask
                spec, a, b, fs = region_spectrum(table, c, frames)
                if not len(spec.freq_hz):
                    continue
                pk = find_peak(spec, a, b, fs, region=region, side=side, noise_floor_mm=noise_floor_mm, snr_min=snr_min)
                if pk is None:
                    continue
                amp_cols, how = AMPLITUDE[region]
                pk = with_presence(pk, table, c, (tuple(x.format(side=side) for x in amp_cols), how), frames,
                                   noise_floor_mm=noise_floor_mm, snr_min=snr_min)
                near = tuple(x.format(side=side) for x in NEAR_SIGNALS[region])
                msc = spatial_coherence(table, c, near, frames, pk.frequency_hz)
                pk = replace(pk, spatial_coherence=msc,
                             detected=pk.detected and (msc is None or msc >= COHERENCE_MIN))
                if pk.detected:
                    phase_of.setdefault((region, side), set()).add(phase)
                if best is None or (pk.detected, pk.amplitude_mm) > (best.detected, best.amplitude_mm):
                    best = pk
            if best is not None:
                peaks.append(best)

    # speech moves the mouth at syllable rates (3-7 Hz): a rhythm that the lips' opening shares is
    # talking (or chewing, or a lip exercise), not tremor (REFERENCE "Tremor"; Ackermann 2002).
    # Shared: at the lips' own spectral peak, or at the rhythm of detected speech.
    speech = lip_rhythm(table)
    shared = [f for f in (lips_peak_hz(table, noise_floor_mm=noise_floor_mm, snr_min=snr_min),
                          speech.frequency_hz if speech.detected else None) if f is not None]

    aperture = lip_aperture_mm(table)
    lips_moving: dict[float, np.ndarray] = {}

    def lips_at(f_hz: float) -> np.ndarray:
        """Frames at which the lips' opening oscillates at ``f_hz``."""
        if f_hz not in lips_moving:
            lips_moving[f_hz] = (np.zeros(n, bool) if aperture is None else present_frames(
                SignalTable(table.t_s, table.valid, {"lip_aperture_mm": aperture}), ("lip_aperture_mm",), f_hz))
        return lips_moving[f_hz]

    def with_the_lips(pk: TremorPeak | None, columns: tuple[str, ...], frames: np.ndarray, consistency_min: float) -> bool:
        """A detected peak at the rhythm of detected speech; or at the lips' own rhythm and not
        there without the moments the lips move at it (one laugh bout does not explain a head
        tremor of the whole recording). Talking varies its loudness and rate, so the moments
        of speech are not all found by one frequency: its rhythm is left out wherever it is."""
        if pk is None or not pk.detected:
            return False
        if speech.detected and abs(pk.frequency_hz - speech.frequency_hz) <= 0.5:
            return True
        near = [f for f in shared if abs(pk.frequency_hz - f) <= 0.5]
        if not near:
            return False
        away = frames & ~np.any([lips_at(f) for f in near], axis=0)
        spec, a, b, fs = region_spectrum(table, columns, away)
        alone = find_peak(spec, a, b, fs, region=pk.region, side=pk.side, noise_floor_mm=noise_floor_mm, snr_min=snr_min,
                          consistency_min=consistency_min) if len(spec.freq_hz) else None
        return not (alone is not None and alone.detected and abs(alone.frequency_hz - pk.frequency_hz) <= 0.5)

    # head: its own spectrum; head tremor is never reported as a one-sided facial tremor. A head
    # that bobs with the lips' opening is talking or laughing (a laugh's "ha-ha" pulses at 4-5 Hz,
    # and the head and trunk bounce with them), not a tremor: the lips' opening is the distance
    # between the lips, which a head tremor alone does not change.
    hspec, ha, hb, hfs = region_spectrum(table, HEAD)
    head_pk = find_peak(hspec, ha, hb, hfs, region="head", side="head", noise_floor_mm=noise_floor_mm,
                        snr_min=snr_min, consistency_min=0.0) if len(hspec.freq_hz) else None
    if with_the_lips(head_pk, HEAD, np.ones(n, bool), 0.0):
        head_pk = replace(head_pk, detected=False, speech_like=True)
    if head_pk is not None and head_pk.detected:
        head = HeadTremor(tremor_detected=True, frequency_hz=head_pk.frequency_hz, amplitude_mm=head_pk.amplitude_mm)
    else:
        # none found is "none" only where one could have been seen: the face's reasons hold for the
        # head (its peak passes the same amplitude gate, and talking or laughing bob the head at the
        # lips' rhythm), so "no head tremor" is not said of a recording that could not show one
        # (no head spectrum at all: too short; a spectrum without a peak in the band is judged)
        why = _why_not_judged(measured=bool(len(hspec.freq_hz)), lips_rhythm=bool(head_pk and head_pk.speech_like),
                              speech=speech, noise_floor_mm=noise_floor_mm, part="head")
        head = HeadTremor(tremor_detected=None if why else False, not_judged=why)
    # Laughter too: its "ha-ha" opens the lips at 4-5 Hz, and the cheeks and the eyes' squeeze
    # pulse with it (a 2.5 s laugh bout whose lids moved 1 mm with each pulse read as an eye
    # tremor on both sides), so every facial region's rhythm at the lips' is left out.
    for k, p in enumerate(peaks):
        cols = tuple(x.format(side=p.side) for x in REGIONS.get(p.region, ()))
        # the regions' gate on persistence as they were found (find_peak's default)
        if cols and with_the_lips(p, cols, open_eyes if p.region in EYES_OPEN_REGIONS else np.ones(n, bool), 1.0):
            peaks[k] = replace(p, detected=False, speech_like=True)
    found = [p for p in peaks if p.detected]
    if head.tremor_detected:
        # a face that only follows the head shakes at the head's frequency on both sides
        found = [p for p in found if abs(p.frequency_hz - head.frequency_hz) > 0.5]
    if not found:
        why = _why_not_judged(measured=bool(peaks), lips_rhythm=any(p.speech_like for p in peaks), speech=speech,
                              noise_floor_mm=noise_floor_mm)
        # not judged: neither "no tremor" nor "no side" is known, so both are left empty (null)
        none = Tremor(detected=None if why else False, frequency_hz=None, amplitude_mm=None,
                      side=None if why else "none", region=None, phase=None, laterality_index=None, by_region=peaks,
                      not_judged=why)
        return ShakeResult(none, head, speech)
    top = max(found, key=lambda p: p.amplitude_mm)
    same = [p for p in found if abs(p.frequency_hz - top.frequency_hz) <= 0.5]
    sides = {p.side for p in same}
    side = "both" if sides == {"left", "right"} else top.side
    power = {s: sum(p.band_power_mm2 for p in peaks if p.side == s and p.region == top.region) for s in SIDES}
    li = (power["left"] - power["right"]) / (power["left"] + power["right"]) if sum(power.values()) > 0 else 0.0
    ph = phase_of.get((top.region, top.side), set())
    phase = "both" if ph == {"rest", "smile"} else (next(iter(ph)) if ph else None)
    found_tremor = Tremor(detected=True, frequency_hz=top.frequency_hz, amplitude_mm=top.amplitude_mm, side=side,
                          region=top.region, phase=phase, laterality_index=float(li), by_region=peaks,
                          near_nyquist=top.near_nyquist)
    return ShakeResult(found_tremor, head, speech)


def _why_not_judged(*, measured: bool, lips_rhythm: bool, speech: Speech, noise_floor_mm: float, part: str = "face") -> str:
    """Why a recording in which no tremor was found could not have shown one ("" if it could).

    No region spectrum at all: no stretch of measured face long enough (2 s). Speech: the
    mouth's syllable rhythm covers the band of rest tremor (3-7 Hz). A noise floor whose 3-fold
    (the amplitude gate) exceeds ``MAX_UNSEEN_MM``: a 1 mm tremor could be lost in it. A rhythm
    set aside because the lips' opening shares it (``lips_rhythm``), without speech. ``part``:
    "face" or "head", the part the reasons are said of (the head's peak passes the same gates).
    """
    if not measured:
        return "too short: no stretch of at least 2 s with the face measured"
    if speech.detected:  # before the noise: talking also raises the frame-to-frame "noise"
        return ("talking: the mouth's movement at the rate of speech (3-7 Hz) cannot be told from a tremor" if part == "face"
                else "talking: the head moves with speech, at its rate (3-7 Hz), and a head tremor cannot be told from that")
    if np.isfinite(noise_floor_mm) and 3 * noise_floor_mm > MAX_UNSEEN_MM:
        return (f"too unsteady: the picture's frame-to-frame noise ({noise_floor_mm:.2f} mm) would hide a tremor under "
                f"{3 * noise_floor_mm:.1f} mm (a face too small or too far, poor light, or much movement)")
    if lips_rhythm:
        # a rhythm left out because the lips' opening shares it, without speech to explain it:
        # a laugh or chewing, but a jaw tremor opens the lips at its own rhythm too, so neither
        # "tremor" nor "no tremor" is known
        return (f"the {part} moved at the rhythm of the lips' opening (laughing, chewing, or a jaw tremor): "
                "a tremor cannot be told from it")
    return ""


def band_amplitude_mm(t_s: np.ndarray, values_mm: np.ndarray, *, min_hz: float = MIN_HZ) -> float:
    """Amplitude (mm) of the movement above ``min_hz`` in a short window: the live steadiness.

    The window (e.g. the last 2 s) is detrended and its Welch power above ``min_hz`` (up to
    half the frame rate) is summed; a sine of amplitude A has power A^2 / 2, so the amplitude
    is sqrt(2 * power). NaN with fewer than 8 valid samples or under 1 s of frames.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s).
    values_mm : np.ndarray [shape=(n,)] or [shape=(n, k)]
        One or more components (mm); their powers add.
    """
    t = np.asarray(t_s, dtype=float)
    v = np.asarray(values_mm, dtype=float)
    v = v[:, None] if v.ndim == 1 else v
    ok = np.isfinite(t) & np.isfinite(v).all(axis=1)
    if ok.sum() < 8 or t[ok][-1] - t[ok][0] < 1.0:
        return float("nan")
    t, v = t[ok], v[ok]
    fs = frame_rate_hz(t)
    grid = grid_times_s(t[0], t[-1], fs_hz=fs)
    power = 0.0
    for c in range(v.shape[1]):
        y = np.interp(grid, t, v[:, c])
        f, p = scipy.signal.welch(y, fs=fs, nperseg=len(y), detrend="linear", window="hann")
        band = f >= min_hz
        power += float(np.sum(p[band]) * (f[1] - f[0])) if band.any() else 0.0
    return float(np.sqrt(2.0 * power))
