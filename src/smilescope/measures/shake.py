"""Shaking of the face and head: tremor spectra per region and side, and the head's own tremor.

Pure functions over a :class:`~smilescope.signals.SignalTable`. Signals are resampled on their
own timestamps to a uniform grid (phones record variable frame rate), then Welch spectra
(scipy.signal.welch, windows of up to 4 s for 0.25 Hz resolution) are taken from 3 Hz up to
Nyquist. Nothing is low-pass filtered first: smoothing filters such as One Euro erase the
4-12 Hz band where tremor lives.

A tremor is called in a region when its spectral peak stands at least ``snr`` times (default
10, i.e. 10 dB) above the median spectral level of the band — the measured noise floor — and
its amplitude is at least 3 times the frame-to-frame noise floor of the video; the
oscillation must also be the dominant one in both halves of the recording (a burst of noise
in one moment does not make a tremor), and it must be spatially coherent: each region is
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
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np
import scipy  # submodules load on first use (SciPy >= 1.9): readers of the result types stay light

from smilescope.landmarks import SIDES
from smilescope.measures.speech import Speech, lip_aperture_mm, lip_rhythm
from smilescope.measures.twitch import closure_mask
from smilescope.signals import NEAR_SIGNALS, SignalTable
from smilescope.timebase import frame_rate_hz, grid_times_s, valid_stretches

# region -> per side, the columns whose movement is analysed (two per region, for coherence)
REGIONS = {
    "mouth": ("mouth_corner_{side}_x_mm", "mouth_corner_{side}_y_mm"),
    "cheek": ("cheek_{side}_x_mm", "cheek_{side}_y_mm"),
    "eye": ("upper_lid_{side}_y_mm", "palpebral_{side}_height_mm"),
    "brow": ("brow_{side}_height_mm", "brow_{side}_height_mm"),
}
HEAD = ("head_x_mm", "head_y_mm")
MIN_HZ = 3.0
COHERENCE_MIN = 0.5  # magnitude-squared coherence between a region's two points at the peak


@dataclass(frozen=True)
class Spectrum:
    """One-sided power spectral density of a region's movement (sum over its components)."""

    freq_hz: np.ndarray
    psd_mm2_per_hz: np.ndarray
    noise_level: float  # median PSD in the band: the measured noise floor of the spectrum


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
    speech_like: bool = False  # shared with the lips' opening at a syllable rate: talking, not tremor
    spatial_coherence: float | None = None  # MSC of the region's two points at the peak (None: not measured)


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
    i = int(np.flatnonzero(band)[np.argmax(p[band])])
    df = f[1] - f[0]
    # power of the peak: its bins within +-0.5 Hz, above the noise level
    near = np.abs(f - f[i]) <= max(0.5, 1.5 * df)
    power = float(np.sum(np.clip(p[near] - spec.noise_level, 0, None)) * df)
    amp = float(np.sqrt(2 * power))  # a sinusoid of amplitude A has mean power A^2 / 2
    snr = float(p[i] / spec.noise_level) if spec.noise_level > 0 else float("inf")
    coh = _consistency(a, b, fs, f[i])
    nyq = fs / 2
    band_power = float(np.sum(np.clip(p[band] - spec.noise_level, 0, None)) * df)
    share = power / band_power if band_power > 0 else 0.0
    detected = snr >= snr_min and amp >= 3 * noise_floor_mm and coh >= consistency_min and share >= share_min
    return TremorPeak(region, side, float(f[i]), amp, snr, coh, bool(detected), bool(f[i] > 0.8 * nyq), band_power,
                      float(share))


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
        band = f >= MIN_HZ
        hits += abs(f[band][np.argmax(p[band])] - f0) <= 0.5
    return hits / 2


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
    """The dominant facial tremor (``detected`` False: none called) and every region's peak."""

    detected: bool
    frequency_hz: float | None
    amplitude_mm: float | None
    side: str  # left / right / both / none (the person's own)
    region: str | None
    phase: str | None  # rest / smile / both
    laterality_index: float | None  # (L - R) / (L + R) of the region's band power
    by_region: list[TremorPeak] = field(default_factory=list)
    near_nyquist: bool | None = None  # only for a detected tremor

    def to_dict(self) -> dict:
        d = {f: getattr(self, f) for f in ("detected", "frequency_hz", "amplitude_mm", "side", "region", "phase",
                                           "laterality_index")}
        if self.near_nyquist is not None:
            d["near_nyquist"] = self.near_nyquist
        d["by_region"] = [asdict(p) for p in self.by_region]
        return d


@dataclass(frozen=True)
class HeadTremor:
    """The head's own oscillation, kept apart from the face."""

    tremor_detected: bool
    frequency_hz: float | None = None
    amplitude_mm: float | None = None


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
        return {"tremor": self.tremor.to_dict(), "head": asdict(self.head), "speech": asdict(self.speech)}


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
    open_eyes = ~closure_mask(table)  # a blink is not an eyelid tremor
    peaks: list[TremorPeak] = []
    phase_of: dict[tuple[str, str], set] = {}
    for region, cols in REGIONS.items():
        for side in SIDES:
            c = tuple(x.format(side=side) for x in cols)
            best = None
            for phase, mask in phases.items():
                frames = mask & open_eyes if region in ("eye", "brow") else mask
                spec, a, b, fs = region_spectrum(table, c, frames)
                if not len(spec.freq_hz):
                    continue
                pk = find_peak(spec, a, b, fs, region=region, side=side, noise_floor_mm=noise_floor_mm, snr_min=snr_min)
                if pk is None:
                    continue
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

    # head: its own spectrum; head tremor is never reported as a one-sided facial tremor
    hspec, ha, hb, hfs = region_spectrum(table, HEAD)
    head_pk = find_peak(hspec, ha, hb, hfs, region="head", side="head", noise_floor_mm=noise_floor_mm,
                        snr_min=snr_min, consistency_min=0.0) if len(hspec.freq_hz) else None
    head = HeadTremor(tremor_detected=bool(head_pk and head_pk.detected),
                      frequency_hz=head_pk.frequency_hz if head_pk and head_pk.detected else None,
                      amplitude_mm=head_pk.amplitude_mm if head_pk and head_pk.detected else None)

    # speech moves the mouth at syllable rates (3-7 Hz): a mouth or cheek rhythm that the lips'
    # opening shares is talking (or chewing, or a lip exercise), not tremor (REFERENCE "Tremor";
    # Ackermann 2002). Shared: at the lips' own spectral peak, or at the rhythm of detected speech.
    speech = lip_rhythm(table)
    shared = [f for f in (lips_peak_hz(table, noise_floor_mm=noise_floor_mm, snr_min=snr_min),
                          speech.frequency_hz if speech.detected else None) if f is not None]
    for k, p in enumerate(peaks):
        if p.region in ("mouth", "cheek") and p.detected and any(abs(p.frequency_hz - f) <= 0.5 for f in shared):
            peaks[k] = replace(p, detected=False, speech_like=True)
    found = [p for p in peaks if p.detected]
    if head.tremor_detected:
        # a face that only follows the head shakes at the head's frequency on both sides
        found = [p for p in found if abs(p.frequency_hz - head.frequency_hz) > 0.5]
    if not found:
        none = Tremor(detected=False, frequency_hz=None, amplitude_mm=None, side="none", region=None, phase=None,
                      laterality_index=None, by_region=peaks)
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
