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
in one moment does not make a tremor). Spatial coherence across several points of a region
is not checked yet: most regions are measured at one point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy.signal import welch

from smilescope.landmarks import SIDES
from smilescope.signals import SignalTable

# region -> per side, the columns whose movement is analysed (two per region, for coherence)
REGIONS = {
    "mouth": ("mouth_corner_{side}_x_mm", "mouth_corner_{side}_y_mm"),
    "cheek": ("cheek_{side}_x_mm", "cheek_{side}_y_mm"),
    "eye": ("upper_lid_{side}_y_mm", "palpebral_{side}_height_mm"),
    "brow": ("brow_{side}_height_mm", "brow_{side}_height_mm"),
}
HEAD = ("head_x_mm", "head_y_mm")
MIN_HZ = 3.0


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
    frequency_hz: float
    amplitude_mm: float  # peak (half peak-to-peak) of the dominant oscillation
    snr: float  # peak PSD / band median
    coherence: float  # share of the recording halves that show the same peak (0, 0.5, 1)
    detected: bool
    near_nyquist: bool
    band_power_mm2: float  # 3 Hz..Nyquist, above the noise level


def uniform(t_s: np.ndarray, values: np.ndarray, valid: np.ndarray, *, fs_hz: float | None = None):
    """Resample the longest valid stretch of a signal onto a uniform time grid.

    Returns
    -------
    t_s, values : np.ndarray [shape=(m,)]
    fs_hz : float
        The grid's rate: the median frame rate unless given.
    """
    ok = valid & np.isfinite(values)
    if ok.sum() < 8:
        return np.zeros(0), np.zeros(0), float("nan")
    dt = np.diff(t_s)
    fs = float(fs_hz or 1.0 / np.median(dt))
    # longest run of valid frames without a gap of more than 3 frame intervals
    idx = np.flatnonzero(ok)
    breaks = np.flatnonzero(np.diff(t_s[idx]) > 3.0 / fs)
    starts = np.r_[0, breaks + 1]
    ends = np.r_[breaks, len(idx) - 1]
    k = int(np.argmax(ends - starts))
    sel = idx[starts[k]:ends[k] + 1]
    tt = t_s[sel]
    grid = np.arange(tt[0], tt[-1] + 0.5 / fs, 1.0 / fs)
    return grid, np.interp(grid, tt, values[sel]), fs


def _welch(x: np.ndarray, fs: float):
    nper = int(min(len(x), round(4.0 * fs)))
    return welch(x, fs=fs, nperseg=nper, noverlap=nper // 2, detrend="linear", scaling="density")


def region_spectrum(table: SignalTable, columns: tuple[str, str], mask: np.ndarray | None = None) -> tuple[Spectrum, np.ndarray, np.ndarray, float]:
    """Welch spectrum of a region (sum of its components' PSDs) over ``mask`` frames."""
    valid = table.valid if mask is None else table.valid & mask
    sig = []
    fs = float("nan")
    for c in dict.fromkeys(columns):
        _, y, fs = uniform(table.t_s, table.columns[c], valid)
        sig.append(y)
    n = min(len(s) for s in sig)
    if n < int(2 * (fs if np.isfinite(fs) else 30)):  # under 2 s: no spectrum
        return Spectrum(np.zeros(0), np.zeros(0), float("nan")), np.zeros(0), np.zeros(0), fs
    sig = [s[:n] for s in sig]
    f, p = _welch(sig[0], fs)
    for s in sig[1:]:
        p = p + _welch(s, fs)[1]
    band = f >= MIN_HZ
    return Spectrum(f, p, float(np.median(p[band]))), sig[0], sig[-1], fs


def find_peak(spec: Spectrum, a: np.ndarray, b: np.ndarray, fs: float, *, region: str, side: str,
              noise_floor_mm: float = 0.0, snr_min: float = 10.0, coherence_min: float = 1.0) -> TremorPeak | None:
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
    detected = snr >= snr_min and amp >= 3 * noise_floor_mm and coh >= coherence_min
    return TremorPeak(region, side, float(f[i]), amp, snr, coh, bool(detected), bool(f[i] > 0.8 * nyq), band_power)


def _consistency(a: np.ndarray, b: np.ndarray, fs: float, f0: float) -> float:
    """How consistently the oscillation at ``f0`` shows: magnitude-squared coherence
    (scipy.signal.coherence, 1 s segments) between the first and second half of the
    recording's main component would need stationarity; instead the two halves' spectra are
    compared: the share of the halves whose own peak lies within 0.5 Hz of ``f0`` (0, 0.5, 1).
    """
    x = a if np.ptp(a) >= np.ptp(b) else b
    h = len(x) // 2
    if h < int(fs):
        return 1.0
    hits = 0
    for part in (x[:h], x[h:]):
        f, p = welch(part, fs=fs, nperseg=min(len(part), int(round(2.0 * fs))), detrend="linear")
        band = f >= MIN_HZ
        hits += abs(f[band][np.argmax(p[band])] - f0) <= 0.5
    return hits / 2


@dataclass
class ShakeResult:
    tremor: dict
    head: dict
    by_region: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"tremor": self.tremor, "head": self.head}


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
    peaks: list[TremorPeak] = []
    phase_of: dict[tuple[str, str], set] = {}
    for region, cols in REGIONS.items():
        for side in SIDES:
            c = tuple(x.format(side=side) for x in cols)
            best = None
            for phase, mask in phases.items():
                spec, a, b, fs = region_spectrum(table, c, mask)
                if not len(spec.freq_hz):
                    continue
                pk = find_peak(spec, a, b, fs, region=region, side=side, noise_floor_mm=noise_floor_mm, snr_min=snr_min)
                if pk is None:
                    continue
                if pk.detected:
                    phase_of.setdefault((region, side), set()).add(phase)
                if best is None or (pk.detected, pk.amplitude_mm) > (best.detected, best.amplitude_mm):
                    best = pk
            if best is not None:
                peaks.append(best)

    # head: its own spectrum; head tremor is never reported as a one-sided facial tremor
    hspec, ha, hb, hfs = region_spectrum(table, HEAD)
    head_pk = find_peak(hspec, ha, hb, hfs, region="head", side="head", noise_floor_mm=noise_floor_mm,
                        snr_min=snr_min, coherence_min=0.0) if len(hspec.freq_hz) else None
    head = {"tremor_detected": bool(head_pk and head_pk.detected),
            "frequency_hz": head_pk.frequency_hz if head_pk and head_pk.detected else None,
            "amplitude_mm": head_pk.amplitude_mm if head_pk and head_pk.detected else None}

    found = [p for p in peaks if p.detected]
    if head["tremor_detected"]:
        # a face that only follows the head shakes at the head's frequency on both sides
        found = [p for p in found if abs(p.frequency_hz - head["frequency_hz"]) > 0.5]
    by_region = [asdict(p) for p in peaks]
    if not found:
        return ShakeResult({"detected": False, "frequency_hz": None, "amplitude_mm": None, "side": "none",
                            "region": None, "phase": None, "laterality_index": None, "by_region": by_region}, head, peaks)
    top = max(found, key=lambda p: p.amplitude_mm)
    same = [p for p in found if abs(p.frequency_hz - top.frequency_hz) <= 0.5]
    sides = {p.side for p in same}
    side = "both" if sides == {"left", "right"} else top.side
    power = {s: sum(p.band_power_mm2 for p in peaks if p.side == s and p.region == top.region) for s in SIDES}
    li = (power["left"] - power["right"]) / (power["left"] + power["right"]) if sum(power.values()) > 0 else 0.0
    ph = phase_of.get((top.region, top.side), set())
    phase = "both" if ph == {"rest", "smile"} else (next(iter(ph)) if ph else None)
    return ShakeResult({"detected": True, "frequency_hz": top.frequency_hz, "amplitude_mm": top.amplitude_mm,
                        "side": side, "region": top.region, "phase": phase, "laterality_index": float(li),
                        "near_nyquist": top.near_nyquist, "by_region": by_region}, head, peaks)
