"""The magnifying mirror draws movement from the relaxed face ``gain`` times larger, and head
motion not at all."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.web.mesh import Magnifier


def _face(seed=0):
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.uniform(200, 400, lm.N_LANDMARKS), rng.uniform(150, 400, lm.N_LANDMARKS),
                            np.zeros(lm.N_LANDMARKS)])


def _moved(pts, angle_deg, shift, scale):
    a = np.deg2rad(angle_deg)
    r = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    out = pts.copy()
    out[:, :2] = scale * pts[:, :2] @ r.T + shift
    return out


@pytest.mark.parametrize("gain", [1.0, 3.0])
def test_movement_magnified_and_head_motion_removed(gain):
    face = _face()
    mag = Magnifier(gain=gain)
    for i in range(5):
        assert mag.push(face, i / 30) is None
    mag.relax((0.0, 4 / 30))
    still = mag.push(face, 5 / 30)
    lip = lm.OUTLINES.index(lm.OUTER_LIP)
    k = lm.OUTER_LIP.index(lm.MOUTH_CORNER["left"])
    smile = face.copy()
    smile[lm.MOUTH_CORNER["left"], :2] += (4.0, -3.0)  # 5 px out and up
    # the head also turns 5 degrees, shifts and comes closer: none of that may show
    out = mag.push(_moved(smile, 5.0, np.array([30.0, -12.0]), 1.1), 6 / 30)
    box = (mag.relaxed.max(axis=0) - mag.relaxed.min(axis=0)).max()
    d = np.subtract(out["lines"][lip][k], still["lines"][lip][k]) * box
    assert np.hypot(*d) == pytest.approx(5.0 * gain, rel=0.03)
    other = lm.OUTER_LIP.index(lm.MOUTH_CORNER["right"])
    assert np.hypot(*np.subtract(out["lines"][lip][other], still["lines"][lip][other])) * box < 0.05


def test_relaxed_outline_is_the_median_of_the_baseline_frames_only():
    mag = Magnifier()
    face = _face()
    smiling = face.copy()
    smiling[lm.MOUTH_CORNER["left"], :2] += (6.0, -6.0)
    for i in range(10):  # smiling first, then relaxed: only the relaxed span is the baseline
        mag.push(smiling if i < 5 else face, i / 30)
    mag.relax((5 / 30, 9 / 30))
    np.testing.assert_allclose(mag.relaxed, mag._aligned(face), atol=1e-6)
