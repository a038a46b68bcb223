"""Blinks and winks against known truth: eye openings drawn frame by frame, at several frame rates."""

import numpy as np
import pytest

from smilescope.measures.expressivity import blink_summary, eye_events, open_level_mm
from smilescope.pipeline import analyze
from smilescope.signals import FACIAL_SIGNALS, SignalTable

from conftest import EXAMPLE

OPEN_MM = 10.0  # a usual palpebral fissure height is 8-12 mm


def _eyes(t, right, left, valid=None):
    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    cols["palpebral_right_height_mm"] = right
    cols["palpebral_left_height_mm"] = left
    return SignalTable(t_s=t, valid=np.ones(len(t), bool) if valid is None else valid, columns=cols)


def _blink(t, t0, *, depth_mm=OPEN_MM, close_s=0.08, shut_s=0.05, open_s=0.15):
    """How far a lid has come down (mm) during a blink starting at ``t0``: down in ``close_s``,
    held ``shut_s``, up in ``open_s`` (a spontaneous blink lasts 0.1-0.4 s, closing faster than
    it opens: Caffier 2003; VanderWerf 2003)."""
    x = np.clip((t - t0) / close_s, 0, 1)
    x = np.where(t > t0 + close_s + shut_s, np.clip(1 - (t - t0 - close_s - shut_s) / open_s, 0, 1), x)
    return depth_mm * x


def _kinds(events):
    """(kind, side, start) of each event, the start to the nearest 0.1 s."""
    return [(e.kind, e.side, round(e.t_s * 10) / 10) for e in events]


def _like(events, expected, *, abs_s=0.1):
    """Events of the expected kinds and sides, each starting within ``abs_s`` of the expected time."""
    return ([(e.kind, e.side) for e in events] == [(k, s) for k, s, _ in expected]
            and all(abs(e.t_s - t0) <= abs_s for e, (_, _, t0) in zip(events, expected)))


def test_blinks_winks_and_closures_on_a_known_table():
    t = np.arange(0, 10, 1 / 30)
    open_ = np.full(len(t), 10.0)
    r, l = open_.copy(), open_.copy()

    def close(arr, t0, dur):
        arr[(t >= t0) & (t < t0 + dur)] = 1.0

    close(r, 1.0, 0.15); close(l, 1.0, 0.15)    # blink
    close(r, 3.0, 0.2); close(l, 3.03, 0.2)     # blink, eyes a frame apart
    close(l, 5.0, 0.6)                          # wink, left eye
    close(r, 7.0, 2.0); close(l, 7.0, 2.0)      # deliberate closure: not a blink
    ev = eye_events(_eyes(t, r, l))
    kinds = [(e.kind, e.side, round(e.t_s, 1)) for e in ev]
    assert kinds == [("blink", "both", 1.0), ("blink", "both", 3.0), ("wink", "left", 5.0)]
    assert ev[0].duration_s == pytest.approx(0.15, abs=1 / 30)


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0])
def test_spontaneous_blinks_are_found_at_any_frame_rate(fps):
    """Blinks of 0.1-0.4 s, the quickest shut for a single frame at 25-30 fps, all counted once."""
    t = np.arange(0, 12, 1 / fps)
    starts = [1.0, 3.0, 5.0, 7.0, 9.0]
    shapes = [dict(close_s=0.03, shut_s=0.0, open_s=0.04), dict(), dict(shut_s=0.15, open_s=0.2),
              dict(close_s=0.1, shut_s=0.1, open_s=0.25), dict(close_s=0.05, shut_s=0.0, open_s=0.1)]
    down = sum(_blink(t, t0, **kw) for t0, kw in zip(starts, shapes))
    ev = eye_events(_eyes(t, OPEN_MM - down, OPEN_MM - down))
    assert [e.kind for e in ev] == ["blink"] * 5
    assert [e.t_s for e in ev] == pytest.approx(starts, abs=0.1)
    res = blink_summary(_eyes(t, OPEN_MM - down, OPEN_MM - down))
    assert res.count == 5 and res.winks == 0
    assert res.rate_per_min is None  # 12 s: a count, no rate per minute


def test_a_blink_rate_needs_half_a_minute():
    """Five blinks in 12 s are a count; at 30 s and more they are a rate (MIN_RATE_S: a few
    blinks at the usual 8-21 a minute say little about the rate)."""
    from smilescope.measures.flags import MIN_RATE_S

    for seconds, rate in ((12.0, None), (MIN_RATE_S, 5 / (MIN_RATE_S / 60)), (60.0, 5.0)):
        t = np.arange(0, seconds + 1e-9, 1 / 30)
        down = sum(_blink(t, t0) for t0 in (1.0, 3.0, 5.0, 7.0, 9.0))
        res = blink_summary(_eyes(t, OPEN_MM - down, OPEN_MM - down))
        assert res.count == 5
        assert res.rate_per_min == (pytest.approx(rate, rel=0.01) if rate else None), seconds


def test_variable_frame_rate():
    """A phone's uneven frame intervals (33 or 67 ms) change nothing."""
    rng = np.random.default_rng(4)
    t = np.cumsum(rng.choice([1 / 30, 2 / 30], size=400, p=[0.7, 0.3]))
    down = _blink(t, 2.0) + _blink(t, 6.0, shut_s=0.1)
    wink = _blink(t, 9.0, shut_s=0.4)
    ev = eye_events(_eyes(t, OPEN_MM - down - wink, OPEN_MM - down))
    assert _like(ev, [("blink", "both", 2.0), ("blink", "both", 6.0), ("wink", "right", 9.0)]), _kinds(ev)


def test_a_look_down_is_not_a_blink_but_a_blink_from_a_lowered_lid_is():
    """Looking down (or a broad smile's cheek raise) lowers the upper lid part way for seconds
    without closing the eye: here to 5.3 mm of the usual 10, with 0.3 mm of tracking noise, whose
    dips cross half the usual opening again and again. The open level follows the lowered lid,
    so they are not blinks; a blink from the lowered lid is. Rhythmic down-glances (to 6.5 mm)
    are not blinks either."""
    t = np.arange(0, 14, 1 / 30)
    lowered = np.interp(t, [0, 3, 3.2, 8, 8.2, 14], [0, 0, 4.7, 4.7, 0, 0])
    glances = 3.5 * np.clip(np.sin(2 * np.pi * 1.5 * (t - 10)), 0, None) * (t > 10)
    noise = 0.3 * np.random.default_rng(1).standard_normal(len(t))
    o = OPEN_MM - lowered - glances + noise
    o = o - np.minimum(_blink(t, 5.5, depth_mm=5.3), o)  # a blink while looking down
    ev = eye_events(_eyes(t, o, o + 0.3 * np.random.default_rng(2).standard_normal(len(t))))
    assert _like(ev, [("blink", "both", 5.5)]), _kinds(ev)


def test_wide_eyes_relaxing_are_not_a_blink():
    """Eyes widened in surprise (15 mm) that return to normal and narrow a little (6.5 mm,
    two thirds of the usual 10 mm) have not closed: the open level never exceeds the usual opening."""
    t = np.arange(0, 8, 1 / 30)
    o = np.interp(t, [0, 3, 3.1, 3.6, 3.7, 3.9, 4.0, 8], [10, 10, 15, 15, 6.5, 6.5, 10, 10])
    assert eye_events(_eyes(t, o, o)) == []
    level = open_level_mm(t, o, np.ones(len(t), bool))
    assert level.max() == pytest.approx(10.0)


def test_open_level_is_the_lower_of_the_second_before_and_after():
    """Checked against a plain loop, on uneven frames with gaps; bounded by half the recording's
    open level and by its usual (median) opening."""
    rng = np.random.default_rng(3)
    t = np.cumsum(rng.choice([1 / 30, 2 / 30, 0.5], size=600, p=[0.8, 0.18, 0.02]))
    o = 10 + 2 * np.sin(t) + rng.standard_normal(len(t))
    valid = rng.random(len(t)) > 0.1
    tv, ov = t[valid], o[valid]

    def p90(m):
        return np.percentile(ov[m], 90) if m.any() else np.nan

    expected = []
    for x in t:
        level = np.nanmin([p90((tv >= x - 1) & (tv <= x)), p90((tv >= x) & (tv <= x + 1)), np.median(ov)])
        expected.append(max(level, 0.5 * np.percentile(ov, 90)))
    assert open_level_mm(t, o, valid) == pytest.approx(np.array(expected), rel=1e-12)


def test_a_blink_is_one_event_even_when_one_eye_closes_less():
    """Both lids start down together: the eye that closes less (to 55 %, or a frame later)
    makes it one blink, never two winks."""
    t = np.arange(0, 8, 1 / 30)
    r = OPEN_MM - _blink(t, 1.0) - _blink(t, 4.0, depth_mm=9.5)
    l = OPEN_MM - _blink(t, 1.0, depth_mm=4.5) - _blink(t, 4.07, depth_mm=9.5)  # left: half way; a 70 ms lag
    ev = eye_events(_eyes(t, r, l))
    assert _like(ev, [("blink", "both", 1.0), ("blink", "both", 4.0)]), _kinds(ev)


def test_a_wink_is_one_eye_shut_while_the_other_stays_open():
    t = np.arange(0, 10, 1 / 30)
    # the person's own right eye shut for 0.5 s; the left narrows a little along with it, later
    r = OPEN_MM - _blink(t, 2.0, shut_s=0.5)
    l = OPEN_MM - _blink(t, 2.25, depth_mm=4.0, shut_s=0.2)
    # a left wink, the right eye untouched
    l = l - _blink(t, 6.0, shut_s=0.4, depth_mm=9.0)
    ev = eye_events(_eyes(t, r, l))
    assert _like(ev, [("wink", "right", 2.0), ("wink", "left", 6.0)]), _kinds(ev)
    assert ev[0].duration_s == pytest.approx(0.6, abs=0.1)


def test_a_one_eyed_squint_or_slip_is_not_a_wink():
    """One eye narrowed to 45 % for 0.3 s (a squint), or dipping for one frame: not shut, not held."""
    t = np.arange(0, 6, 1 / 30)
    r = OPEN_MM - _blink(t, 2.0, depth_mm=5.5, shut_s=0.3)
    r[(t >= 4.0) & (t < 4.03)] = 0.5
    assert eye_events(_eyes(t, r, np.full(len(t), OPEN_MM))) == []


def test_flicker_of_a_nearly_closed_eye_is_one_closure_not_blinks():
    """Eyes kept closed for 2.5 s whose tracked lids jump between shut and a slit every frame or
    two: one deliberate closure (not counted), then a real blink 0.3 s after the eyes open."""
    t = np.arange(0, 8, 1 / 30)
    o = np.full(len(t), OPEN_MM)
    closed = (t >= 2.0) & (t < 4.5)
    k = np.arange(len(t))
    o[closed] = np.where(k[closed] % 3 == 0, 5.0, 0.3)  # a 5 mm slit every third frame
    o = o - _blink(t, 4.8)
    ev = eye_events(_eyes(t, o, o))
    assert _like(ev, [("blink", "both", 4.8)]), _kinds(ev)


def test_unmeasured_frames_are_neither_open_nor_closed():
    t = np.arange(0, 6, 1 / 30)
    o = OPEN_MM - _blink(t, 2.0)
    valid = ~((t > 3.5) & (t < 4.5))
    o = np.where(valid, o, np.nan)
    ev = eye_events(_eyes(t, o, o, valid))
    assert _like(ev, [("blink", "both", 2.0)]), _kinds(ev)
    assert eye_events(_eyes(t, o, o, np.zeros(len(t), bool))) == []


def test_example_blink_is_found():
    """d0: one blink at about 2.6-2.7 s (seen in the frames)."""
    b = analyze(EXAMPLE).blinks
    assert b.count == 1
    assert 2.5 <= b.events[0].t_s <= 2.75
