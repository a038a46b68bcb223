"""Real face videos: the bundled example and the shared data set (skipped when absent).

These check properties the content is known to have (a person who smiles broadly and relaxes
again, a person who winks), not exact numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.pipeline import analyze

from conftest import EXAMPLE


@pytest.fixture(scope="module")
def d0():
    return analyze(EXAMPLE)


def test_example_calibration_is_anatomically_plausible(d0):
    q = d0.quality
    face_mm = q.face_width_px * q.mm_per_px
    assert 115 < face_mm < 165  # adult face width across the landmarks
    assert q.mm_per_px_spread < 0.05
    assert q.face_frames_ratio == 1.0


def test_example_smile_moves_both_corners_and_returns(d0):
    """d0: rest -> broad smile -> rest."""
    s = d0.signals
    t = s.t_s
    for side in lm.SIDES:
        d = np.hypot(s.columns[f"mouth_corner_{side}_x_mm"], s.columns[f"mouth_corner_{side}_y_mm"])
        peak = np.nanmax(d[(t > 0.8) & (t < 2.4)])
        end = np.nanmedian(d[t > t[-1] - 0.25])
        assert peak > 6.0, side  # a broad smile moves the corners several millimetres
        assert end < 0.35 * peak, side  # and they come back when the face relaxes
        # a smile pulls the corner outwards and up
        assert np.nanmedian(s.columns[f"mouth_corner_{side}_x_mm"][(t > 1.0) & (t < 2.2)]) > 2.0
        assert np.nanmedian(s.columns[f"mouth_corner_{side}_y_mm"][(t > 1.0) & (t < 2.2)]) > 2.0


def test_a_blink_caught_with_one_eye_half_way_is_not_a_wink(shared_data):
    """d14 (labelled by eye: 14 blinks, no wink): the blinks are so fast that a frame sometimes
    catches one eye shut and the other half way down (12.94 s). Both lids started down together,
    so that is one blink, not a wink."""
    res = analyze(shared_data / "videos" / "liveportrait" / "d14.mp4")
    c, v = res.signals.columns, res.signals.valid
    r = c["palpebral_right_height_mm"][v]
    l = c["palpebral_left_height_mm"][v]
    asym = r - l
    # somewhere one eye is much more closed than the other, by several millimetres
    assert np.nanmax(np.abs(asym)) > 4.0
    assert 6.0 < np.nanmedian(np.r_[r, l]) < 14.0  # open eyes: about 8-12 mm
    assert res.blinks.winks == 0 and res.blinks.count >= 12


@pytest.mark.parametrize("name", ["subj01_timepoint01.mp4", "subj02_timepoint01.mp4"])
def test_posed_faces_without_smile_are_measured_throughout(shared_data, name):
    """The OpenDBM samples: a sad face held for 5 s, without a smile or a word (labelled by eye)."""
    res = analyze(shared_data / "videos" / "opendbm" / name)
    q = res.quality
    assert q.face_frames_ratio > 0.95 and q.valid_frames_ratio > 0.85
    assert 115 < q.face_width_px * q.mm_per_px < 165
    assert not res.shake.speech.detected
