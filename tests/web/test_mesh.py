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
    for _ in range(5):
        assert mag.push(face, relaxed_frame=True) is None
    still = mag.push(face, relaxed_frame=False)
    lip = lm.OUTLINES.index(lm.OUTER_LIP)
    k = lm.OUTER_LIP.index(lm.MOUTH_CORNER["left"])
    smile = face.copy()
    smile[lm.MOUTH_CORNER["left"], :2] += (4.0, -3.0)  # 5 px out and up
    # the head also turns 5 degrees, shifts and comes closer: none of that may show
    out = mag.push(_moved(smile, 5.0, np.array([30.0, -12.0]), 1.1), relaxed_frame=False)
    box = (mag.relaxed.max(axis=0) - mag.relaxed.min(axis=0)).max()
    d = np.subtract(out["lines"][lip][k], still["lines"][lip][k]) * box
    assert np.hypot(*d) == pytest.approx(5.0 * gain, rel=0.03)
    other = lm.OUTER_LIP.index(lm.MOUTH_CORNER["right"])
    assert np.hypot(*np.subtract(out["lines"][lip][other], still["lines"][lip][other])) * box < 0.05


def test_new_baseline_takes_the_relaxed_outline_again():
    mag = Magnifier()
    face = _face()
    mag.push(face, relaxed_frame=True)
    assert mag.push(face, relaxed_frame=False) is not None
    mag.reset()
    assert mag.relaxed is None
