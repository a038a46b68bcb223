"""The time base: known answers at constant and variable frame rates, with gaps."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.errors import BadInputError
from smilescope.timebase import (frame_interval_s, frame_rate_hz, frames_to_seconds, grid_times_s,
                                 measured_duration_s, seconds_to_frames, span_mask, uniform_grid,
                                 valid_stretches)

FPS = (30, 60)


def _jittered(fps: float, n: int, seed: int = 0) -> np.ndarray:
    """Timestamps of a phone: intervals of 0.8-1.2 / fps in random order, the median 1/fps."""
    d = np.random.default_rng(seed).permutation(np.resize([0.8, 0.9, 1.0, 1.1, 1.2], n - 1)) / fps
    return np.r_[0.0, np.cumsum(d)]


# --- frame rate ----------------------------------------------------------------------------

@pytest.mark.parametrize("fps", FPS)
def test_constant_frame_rate(fps):
    t = np.arange(300) / fps
    assert frame_rate_hz(t) == pytest.approx(fps, rel=1e-9)
    assert frame_interval_s(t) == pytest.approx(1 / fps, rel=1e-9)


@pytest.mark.parametrize("fps", FPS)
def test_gaps_and_jitter_leave_the_median_rate(fps):
    t = _jittered(fps, 600)
    t[300:] += 1.0  # the phone paused for a second
    t = np.delete(t, [100, 101, 400])  # and dropped a few frames
    assert frame_rate_hz(t) == pytest.approx(fps, rel=1e-9)
    assert 1 / np.mean(np.diff(t)) < 0.96 * fps  # a mean would be dragged down by the pause


def test_variable_frame_rate_is_the_median_interval():
    # 150 intervals of 1/40 s and 149 of 1/20 s: the median interval is 1/40 s
    t = np.cumsum(np.r_[0, np.where(np.arange(299) % 2, 1 / 20, 1 / 40)])
    assert frame_rate_hz(t) == pytest.approx(40.0)


def test_valid_frames_only():
    # 100 invalid frames at 60 fps, then 50 valid ones at 30 fps
    t = np.r_[np.arange(100) / 60, 100 / 60 + np.arange(50) / 30]
    valid = np.r_[np.zeros(100, bool), np.ones(50, bool)]
    assert frame_rate_hz(t) == pytest.approx(60.0)
    assert frame_rate_hz(t, valid) == pytest.approx(30.0)


def test_no_interval():
    with pytest.raises(BadInputError, match="'t_s'.*1 frame"):
        frame_rate_hz(np.array([0.0]))
    with pytest.raises(BadInputError, match="'t_s'"):
        frame_interval_s(np.arange(5) / 30, np.array([True, False, True, False, True]))
    assert frame_interval_s(np.array([0.0]), default_s=1 / 30) == 1 / 30
    assert frame_interval_s(np.zeros(0), default_s=0.0) == 0.0


# --- seconds <-> frames ----------------------------------------------------------------------

@pytest.mark.parametrize("fps", FPS)
def test_seconds_to_frames(fps):
    t = np.arange(300) / fps
    assert seconds_to_frames(1.0, t) == fps
    assert seconds_to_frames(0.1, t) == fps // 10
    assert seconds_to_frames(1.0, fs_hz=fps) == fps
    assert seconds_to_frames(0.001, t) == 1  # never less than one frame
    assert frames_to_seconds(fps, t) == pytest.approx(1.0)
    assert frames_to_seconds(fps // 2, fs_hz=fps) == pytest.approx(0.5)
    np.testing.assert_allclose(frames_to_seconds(np.array([fps, 2 * fps]), fs_hz=fps), [1.0, 2.0])


def test_seconds_to_frames_rounds_half_to_even():
    assert seconds_to_frames(0.5, fs_hz=5) == 2  # 2.5 frames
    assert seconds_to_frames(0.5, fs_hz=7) == 4  # 3.5 frames
    t = np.arange(10) * 0.25  # intervals exact in binary
    assert seconds_to_frames(0.625, t) == 2  # 2.5 frames
    assert seconds_to_frames(0.875, t) == 4  # 3.5 frames
    assert seconds_to_frames(0.0, fs_hz=30) == 1


def test_seconds_to_frames_single_frame_assumes_30_fps():
    assert seconds_to_frames(1.0, np.array([5.0])) == 30
    assert frames_to_seconds(30, np.array([5.0])) == pytest.approx(1.0)


def test_rate_given_once():
    with pytest.raises(BadInputError, match="exactly one of 't_s'"):
        seconds_to_frames(1.0)
    with pytest.raises(BadInputError, match="exactly one of 't_s'"):
        frames_to_seconds(3, np.arange(3) / 30, fs_hz=30)


# --- uniform grid ---------------------------------------------------------------------------

def test_grid_ends_within_half_a_step():
    assert len(grid_times_s(0.0, 1.01, fs_hz=10)) == 11  # ... 1.0
    assert len(grid_times_s(0.0, 1.06, fs_hz=10)) == 12  # ... 1.1
    g = grid_times_s(2.0, 3.0, fs_hz=30)
    assert len(g) == 31 and g[0] == 2.0 and g[-1] == pytest.approx(3.0)


def test_uniform_resampling_uses_timestamps():
    t = np.cumsum(np.r_[0, np.where(np.arange(299) % 2, 1 / 20, 1 / 40)])  # variable frame rate
    x = np.sin(2 * np.pi * 0.5 * t)
    grid, y, ok = uniform_grid(t, x, np.ones(len(t), bool))
    assert np.diff(grid) == pytest.approx(1 / 40)
    assert grid[0] == t[0] and grid[-1] == pytest.approx(t[-1], abs=1 / 80)
    assert ok.all()
    np.testing.assert_allclose(y, np.sin(2 * np.pi * 0.5 * grid), atol=0.01)


@pytest.mark.parametrize("fps", FPS)
def test_uniform_grid_recovers_a_sine(fps):
    t = _jittered(fps, 10 * fps, seed=fps)
    x = 0.4 * np.sin(2 * np.pi * 1.0 * t + 0.3)
    grid, y, ok = uniform_grid(t, x, np.ones(len(t), bool), fs_hz=fps)
    assert np.diff(grid) == pytest.approx(1 / fps)
    inside = grid <= t[-1]  # the grid may end up to half a step after the last frame, which holds its value
    assert (~inside).sum() <= 1
    np.testing.assert_allclose(y[inside], 0.4 * np.sin(2 * np.pi * 1.0 * grid[inside] + 0.3), atol=0.005)
    # the sine's frequency from the even samples
    f = np.fft.rfftfreq(len(y), 1 / fps)[np.argmax(np.abs(np.fft.rfft(y * np.hanning(len(y)))))]
    assert f == pytest.approx(1.0, abs=fps / len(y))


def test_uniform_grid_marks_gaps():
    t = np.arange(11) / 10.0
    x = 2.0 * t
    x[4:6] = 100.0  # garbage in the invalid frames
    valid = np.ones(11, bool)
    valid[4:6] = False
    grid, y, ok = uniform_grid(t, x, valid, fs_hz=20)
    assert len(grid) == 21
    np.testing.assert_allclose(y, 2.0 * grid)  # bridged linearly over the valid neighbours
    # usable only between two valid frames: up to frame 3 (0.3 s) and from frame 6 (0.6 s)
    np.testing.assert_array_equal(ok, (grid < 0.3 + 1e-9) | (grid > 0.6 - 1e-9))


def test_uniform_grid_without_valid_frames():
    t = np.arange(10) / 30
    grid, y, ok = uniform_grid(t, t, np.r_[True, np.zeros(9, bool)])
    assert len(grid) == 10 and np.isnan(y).all()
    assert not ok[1:].any()  # only the lone valid frame's own grid point is marked


# --- stretches, spans, durations ------------------------------------------------------------

@pytest.mark.parametrize("fps", FPS)
def test_stretches_split_at_gaps(fps):
    n = 10 * fps
    t = np.arange(n) / fps
    ok = np.ones(n, bool)
    ok[fps] = False  # one lost frame (a gap of 2 intervals): bridged
    ok[3 * fps:3 * fps + 4] = False  # 4 lost frames (5 intervals): a break
    t[6 * fps:] += 0.2  # a pause in the timestamps themselves (7 intervals at 30 fps): a break
    runs = valid_stretches(t, ok, fs_hz=fps)
    # longest first: 4 s, then 3 s less one frame, then 3 s less four frames
    assert [(r[0], r[-1]) for r in runs] == [(6 * fps, n - 1), (0, 3 * fps - 1), (3 * fps + 4, 6 * fps - 1)]
    assert fps not in np.concatenate(runs)
    assert sum(map(len, runs)) == ok.sum()


def test_stretches_order_and_options():
    t = np.arange(20) / 10.0
    ok = np.ones(20, bool)
    ok[[5, 6, 7, 14, 15, 16]] = False  # stretches of 5, 6 and 3 frames
    runs = valid_stretches(t, ok, fs_hz=10)
    assert [len(r) for r in runs] == [6, 5, 3] and runs[1][0] == 0
    assert len(valid_stretches(t, ok, fs_hz=10, max_gap_frames=4.5)) == 1
    ok2 = np.zeros(20, bool)
    ok2[[0, 1, 2, 10, 11, 12]] = True  # two equally long: the earlier first
    assert [r[0] for r in valid_stretches(t, ok2, fs_hz=10)] == [0, 10]
    assert valid_stretches(t, np.zeros(20, bool), fs_hz=10) == []


def test_span_mask_includes_both_ends():
    t = np.arange(10) / 10.0
    np.testing.assert_array_equal(np.flatnonzero(span_mask(t, 0.2, 0.5)), [2, 3, 4, 5])
    assert not span_mask(t, 2.0, 3.0).any()


def test_measured_duration():
    t = np.arange(10) / 10.0
    valid = np.zeros(10, bool)
    valid[[2, 7]] = True
    assert measured_duration_s(t, valid) == pytest.approx(0.5)
    assert measured_duration_s(t, valid & (t < 0.5)) == 0.0


def test_mask_runs_and_time_groups():
    from smilescope.timebase import mask_runs, time_groups

    assert mask_runs(np.array([0, 1, 1, 0, 1, 0, 0, 1], bool)) == [(1, 2), (4, 4), (7, 7)]
    assert mask_runs(np.zeros(3, bool)) == []
    t = np.arange(10) / 10
    assert time_groups(np.array([1, 2, 4, 5, 9]), t, 0.15) == [(1, 2), (4, 5), (9, 9)]
    assert time_groups(np.array([1, 2, 4, 5, 9]), t, 0.25) == [(1, 5), (9, 9)]
    assert time_groups(np.array([], int), t, 0.1) == []
