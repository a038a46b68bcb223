"""Speech against known truth: the lips' opening drawn as syllables, pauses and held expressions."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.measures.shake import tremor
from smilescope.measures.speech import lip_rhythm, quick_lip_movement
from smilescope.signals import FACIAL_SIGNALS, HEAD_SIGNALS, SignalTable


def _table(t, aperture_mm, *, noise_mm=0.15, seed=0, valid=None):
    """A face whose only movement is the lips' opening (the lower lip goes down), with tracking noise."""
    rng = np.random.default_rng(seed)
    cols = {name: noise_mm * rng.standard_normal(len(t)) for name in FACIAL_SIGNALS + HEAD_SIGNALS}
    cols["lower_lip_y_mm"] = cols["lower_lip_y_mm"] - aperture_mm
    return SignalTable(t_s=t, valid=np.ones(len(t), bool) if valid is None else valid, columns=cols)


def _talk(t, start_s, end_s, *, seed=0):
    """Lips opening once a syllable, as in speech: phrases of 1-4 s at 3-7 syllables a second,
    each syllable opening the lips by 2-8 mm, with pauses of 0.2-0.8 s between phrases."""
    rng = np.random.default_rng(seed)
    y = np.zeros(len(t))
    s = start_s
    while s < end_s:
        phrase_end = min(s + rng.uniform(1.0, 4.0), end_s)
        while s < phrase_end:
            d = 1 / rng.uniform(3.0, 7.0)
            m = (t >= s) & (t < s + d)
            y[m] += rng.uniform(2.0, 8.0) * np.sin(np.pi * (t[m] - s) / d) ** 2
            s += d
        s += rng.uniform(0.2, 0.8)
    return y


def _hold(t, changes):
    """Held expressions: the opening ramps to each (time, mm) in 0.3 s and stays there."""
    y = np.zeros(len(t))
    for t0, mm in changes:
        y = np.where(t >= t0, y + (mm - np.interp(t0, t, y)) * np.clip((t - t0) / 0.3, 0, 1), y)
    return y


@pytest.mark.parametrize("fps", [25.0, 30.0, 60.0])
def test_long_talking_is_speech(fps):
    """200 s of talking: found throughout, whatever the frame rate."""
    t = np.arange(0, 200, 1 / fps)
    sp = lip_rhythm(_table(t, _talk(t, 0.0, 200.0)))
    assert sp.detected
    assert sp.share > 0.8
    assert sp.talking_s == pytest.approx(200.0, rel=0.2)
    assert 3.0 <= sp.frequency_hz <= 7.0
    assert 1.0 < sp.amplitude_mm < 8.0


def test_talking_in_stretches_of_a_long_recording_is_speech():
    """A minute of talking in the middle of three minutes of silence: under half the time, but
    one long stretch; the stretches found lie where the talking was."""
    t = np.arange(0, 180, 1 / 30)
    sp = lip_rhythm(_table(t, _talk(t, 60.0, 120.0, seed=2)))
    assert sp.detected and sp.share < 0.5
    assert sum(b - a for a, b in sp.stretches_s) == pytest.approx(60.0, abs=6.0)
    assert all(55.0 <= a and b <= 125.0 for a, b in sp.stretches_s)


def test_a_short_talking_clip_is_speech():
    """5 s of talking (the videoretalking clips): the share decides, there is no long stretch."""
    t = np.arange(0, 5, 1 / 25)
    sp = lip_rhythm(_table(t, _talk(t, 0.0, 5.0, seed=3)))
    assert sp.detected and sp.share > 0.5


def test_silent_grimaces_are_not_speech():
    """Posed expressions without a word (the LivePortrait acting clips): a jaw drop held, an 'O'
    mouth, a pucker, a lip press, a big laugh-like opening, each held for a second or more; the
    lips move far (up to 30 mm) but once each time, not at the syllable rate."""
    t = np.arange(0, 20, 1 / 30)
    y = _hold(t, [(1.0, 25.0), (2.5, 0.0), (3.5, -2.0), (5.0, 30.0), (7.0, 0.0), (8.0, 12.0), (9.0, 3.0),
                  (11.0, -3.0), (13.0, 18.0), (15.5, 0.0), (17.0, 8.0), (18.2, 0.0)])
    sp = lip_rhythm(_table(t, y))
    assert not sp.detected
    assert sp.share < 0.2


def test_a_word_or_two_in_a_silent_clip_is_not_speech():
    """Two brief mouth openings (a breath, a short word) in 20 s of silence: a speech-like moment
    at most, not talking."""
    t = np.arange(0, 20, 1 / 30)
    y = np.zeros(len(t))
    for t0 in (5.0, 5.6):
        m = (t >= t0) & (t < t0 + 0.25)
        y[m] = 15.0 * np.sin(np.pi * (t[m] - t0) / 0.25)
    sp = lip_rhythm(_table(t, y))
    assert not sp.detected
    assert all(b - a < 3.0 for a, b in sp.stretches_s)


def test_a_still_face_and_tracking_noise_are_not_speech():
    t = np.arange(0, 30, 1 / 30)
    for noise in (0.1, 0.4):
        sp = lip_rhythm(_table(t, np.zeros(len(t)), noise_mm=noise, seed=5))
        assert not sp.detected and sp.talking_s == 0.0 and sp.stretches_s == []


def test_held_expressions_leave_no_quick_movement():
    """A step or a steady ramp of the opening is followed by the running median; a syllable is not."""
    t = np.arange(0, 6, 1 / 30)
    step = _hold(t, [(2.0, 20.0), (4.0, 5.0)])
    assert np.abs(quick_lip_movement(t, step)).max() < 1.0
    syllables = 4.0 * np.sin(2 * np.pi * 4.5 * t) ** 2
    assert np.sqrt(np.mean(quick_lip_movement(t, step + syllables) ** 2)) > 1.0


def test_too_short_a_recording_is_not_judged():
    t = np.arange(0, 1.5, 1 / 30)
    sp = lip_rhythm(_table(t, _talk(t, 0.0, 1.5)))
    assert not sp.detected and sp.talking_s is None and sp.share is None


def test_unmeasured_frames_are_left_out():
    """Talking through a stretch of lost frames: the stretches on either side are judged, the gap is not."""
    t = np.arange(0, 30, 1 / 30)
    valid = ~((t > 10.0) & (t < 14.0))
    sp = lip_rhythm(_table(t, _talk(t, 0.0, 30.0, seed=7), valid=valid))
    assert sp.detected
    assert not any(a < 12.0 < b for a, b in sp.stretches_s)


def test_a_mouth_rhythm_shared_with_talking_lips_is_not_tremor():
    """Talking moves the mouth corners with the lips at the syllable rate (here a steady 5 Hz,
    1 mm, coherent across the region's two points): marked speech-like, not called a tremor."""
    t = np.arange(0, 20, 1 / 30)
    tab = _table(t, 3.0 + 3.0 * np.sin(2 * np.pi * 5.0 * t))  # opening 0-6 mm
    for side in ("left", "right"):
        for col in (f"mouth_corner_{side}_y_mm", f"mouth_near_{side}_y_mm"):
            tab.columns[col] = tab.columns[col] + np.sin(2 * np.pi * 5.0 * t)
    res = tremor(tab)
    assert res.speech.detected and res.speech.frequency_hz == pytest.approx(5.0, abs=0.5)
    assert not res.tremor.detected
    mouth = [p for p in res.tremor.by_region if p.region == "mouth"]
    assert mouth and all(p.speech_like for p in mouth)
