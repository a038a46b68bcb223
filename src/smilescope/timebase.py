"""The time base of a video: frame rate, seconds <-> frames, uniform grids, usable stretches.

Time comes from the video's own timestamps (``t_s``, seconds, increasing). Phones record at a
variable frame rate, so the frame rate here is the *median* frame interval's inverse, and
signals that need an even sampling (spectra, peak widths) are resampled on their timestamps
onto a uniform grid. Every measure takes its time base from these functions, so one
definition holds everywhere. Plain arrays and an explicit rate (``fs_hz``) flow between them,
as in librosa.

Only numpy and :mod:`smilescope.errors` (a leaf module) are imported: this is the bottom layer.
"""

from __future__ import annotations

import numpy as np

from smilescope.errors import BadInputError

MAX_GAP_FRAMES = 3.0  # a gap longer than this many frame intervals ends a stretch

# A rate per minute (blinks, twitches) from less video than this is a count of a few events over a
# short time, not a rate: none is given (blinks) or flagged
MIN_RATE_S = 30.0


def frame_interval_s(t_s: np.ndarray, valid: np.ndarray | None = None, *, default_s: float | None = None) -> float:
    """The video's frame interval: the median interval between consecutive frames.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing.
    valid : np.ndarray [shape=(n,)] of bool, optional
        When given, only intervals between two consecutive valid frames count.
    default_s : float, optional
        Returned when there is no interval to measure (fewer than two frames, or no two
        consecutive valid ones).

    Returns
    -------
    float
        Frame interval (s).

    Raises
    ------
    BadInputError
        When there is no interval to measure and no ``default_s``.
    """
    d = np.diff(np.asarray(t_s, dtype=float))
    if valid is not None:
        valid = np.asarray(valid, bool)
        d = d[valid[1:] & valid[:-1]]
    if len(d) == 0:
        if default_s is None:
            raise BadInputError(f"Invalid value for the 't_s' parameter: a frame interval needs two consecutive "
                                f"(valid) frames, got {len(t_s)} frame(s).")
        return float(default_s)
    return float(np.median(d))


def frame_rate_hz(t_s: np.ndarray, valid: np.ndarray | None = None) -> float:
    """The video's frame rate: the inverse of :func:`frame_interval_s`.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing; at least two frames.
    valid : np.ndarray [shape=(n,)] of bool, optional
        When given, only intervals between two consecutive valid frames count.

    Returns
    -------
    float
        Frame rate (Hz).
    """
    return 1.0 / frame_interval_s(t_s, valid)


def _rate_args(t_s: np.ndarray | None, fs_hz: float | None) -> None:
    if (t_s is None) == (fs_hz is None):
        raise BadInputError("Give exactly one of 't_s' (frame times) and 'fs_hz' (frame rate).")


def seconds_to_frames(seconds: float, t_s: np.ndarray | None = None, *, fs_hz: float | None = None) -> int:
    """Number of frames spanning ``seconds`` (rounded half to even, at least 1).

    Parameters
    ----------
    seconds : float
        Duration (s).
    t_s : np.ndarray [shape=(n,)], optional
        Frame times (s): ``seconds`` is divided by their median interval (1/30 s with fewer
        than two frames).
    fs_hz : float, optional
        Frame rate (Hz) instead of ``t_s``: ``seconds`` is multiplied by it.

    Returns
    -------
    int
        Frames (>= 1).
    """
    _rate_args(t_s, fs_hz)
    if fs_hz is not None:
        return max(1, int(round(seconds * fs_hz)))
    return max(1, int(round(seconds / frame_interval_s(t_s, default_s=1 / 30))))


def frames_to_seconds(frames, t_s: np.ndarray | None = None, *, fs_hz: float | None = None):
    """Duration (s) of ``frames`` frame intervals.

    Parameters
    ----------
    frames : float or np.ndarray
        Number of frame intervals (need not be whole).
    t_s : np.ndarray [shape=(n,)], optional
        Frame times (s): ``frames`` is multiplied by their median interval (1/30 s with
        fewer than two frames).
    fs_hz : float, optional
        Frame rate (Hz) instead of ``t_s``: ``frames`` is divided by it.

    Returns
    -------
    float or np.ndarray
        Seconds, in the shape of ``frames``.
    """
    _rate_args(t_s, fs_hz)
    if fs_hz is not None:
        return frames / fs_hz
    return frames * frame_interval_s(t_s, default_s=1 / 30)


def grid_times_s(start_s: float, end_s: float, *, fs_hz: float) -> np.ndarray:
    """A uniform time grid from ``start_s`` to ``end_s`` (included within half a step).

    Parameters
    ----------
    start_s, end_s : float
        First and last time (s).
    fs_hz : float
        Rate of the grid (Hz).

    Returns
    -------
    np.ndarray [shape=(m,)]
        Times (s), ``start_s + k / fs_hz``.
    """
    return np.arange(start_s, end_s + 0.5 / fs_hz, 1.0 / fs_hz)


def uniform_grid(t_s: np.ndarray, values: np.ndarray, valid: np.ndarray, *, fs_hz: float | None = None):
    """Resample a signal on its own timestamps onto a uniform grid over the whole recording.

    Gaps (invalid frames) are bridged linearly and marked not ok on the grid: a grid point is
    ok when the frames on both sides of it are valid.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing.
    values : np.ndarray [shape=(n,)]
        The signal, any unit.
    valid : np.ndarray [shape=(n,)] of bool
        Frames whose value is usable.
    fs_hz : float, optional
        Rate of the grid (Hz); default :func:`frame_rate_hz` of ``t_s``.

    Returns
    -------
    grid_t_s : np.ndarray [shape=(m,)]
        Grid times (s), from ``t_s[0]`` to ``t_s[-1]`` (see :func:`grid_times_s`).
    values : np.ndarray [shape=(m,)]
        The signal on the grid; points before the first or after the last valid frame hold
        that frame's value. All NaN when fewer than two frames are valid.
    ok : np.ndarray [shape=(m,)] of bool
        Grid points between two valid frames.
    """
    t_s = np.asarray(t_s, dtype=float)
    valid = np.asarray(valid, bool)
    fs = frame_rate_hz(t_s) if fs_hz is None else fs_hz
    grid = grid_times_s(t_s[0], t_s[-1], fs_hz=fs)
    ok = np.interp(grid, t_s, valid.astype(float)) > 0.99
    y = np.interp(grid, t_s[valid], values[valid]) if valid.sum() >= 2 else np.full(len(grid), np.nan)
    return grid, y, ok


def mask_runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """First and last frame (inclusive) of each run of True in ``mask``."""
    edges = np.flatnonzero(np.diff(np.r_[0, np.asarray(mask, dtype=np.int8), 0]))
    return list(zip(edges[::2].tolist(), (edges[1::2] - 1).tolist()))


def time_groups(idx: np.ndarray, t_s: np.ndarray, bridge_s: float) -> list[tuple[int, int]]:
    """First and last frame of each group of the frames ``idx`` (increasing) whose consecutive
    times are at most ``bridge_s`` apart."""
    if len(idx) == 0:
        return []
    cut = np.flatnonzero(np.diff(t_s[idx]) > bridge_s)
    return list(zip(np.r_[idx[0], idx[cut + 1]].tolist(), np.r_[idx[cut], idx[-1]].tolist()))


def valid_stretches(t_s: np.ndarray, ok: np.ndarray, *, fs_hz: float,
                    max_gap_frames: float = MAX_GAP_FRAMES) -> list[np.ndarray]:
    """Contiguous stretches of usable frames, longest first.

    A stretch ends where the next usable frame comes more than ``max_gap_frames`` frame
    intervals later (a lost frame or two is bridged; a blink or a lost face is not).

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing.
    ok : np.ndarray [shape=(n,)] of bool
        Usable frames.
    fs_hz : float
        Frame rate (Hz) that sets the longest gap inside a stretch.
    max_gap_frames : float
        Longest gap inside a stretch, in frame intervals.

    Returns
    -------
    list of np.ndarray [shape=(k,)] of int
        Frame indices of each stretch, longest (in frames) first; among equally long ones,
        the earlier first.
    """
    idx = np.flatnonzero(ok)
    if len(idx) == 0:
        return []
    breaks = np.flatnonzero(np.diff(t_s[idx]) > max_gap_frames / fs_hz)
    runs = np.split(idx, breaks + 1)
    return sorted(runs, key=len, reverse=True)


def span_mask(t_s: np.ndarray, start_s: float, end_s: float) -> np.ndarray:
    """Frames from ``start_s`` to ``end_s``, both included.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s).
    start_s, end_s : float
        The span (s).

    Returns
    -------
    np.ndarray [shape=(n,)] of bool
    """
    return (t_s >= start_s) & (t_s <= end_s)


def measured_duration_s(t_s: np.ndarray, valid: np.ndarray) -> float:
    """Time from the first to the last valid frame (s); 0 with fewer than two valid frames.

    Parameters
    ----------
    t_s : np.ndarray [shape=(n,)]
        Frame times (s), increasing.
    valid : np.ndarray [shape=(n,)] of bool

    Returns
    -------
    float
        Seconds.
    """
    t = t_s[valid]
    return float(t[-1] - t[0]) if len(t) > 1 else 0.0
