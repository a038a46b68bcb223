import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.errors import BadInputError
from smilescope.geometry.calibration import IRIS_DIAMETER_MM, calibrate, iris_diameters_px


def _eye_landmarks(diameter_px: float, roll_deg: float = 0.0, centre=(300.0, 200.0), ipd_px: float = 120.0) -> np.ndarray:
    """A landmark array with only the two irises set: centre + 4 contour points each."""
    p = np.zeros((lm.N_LANDMARKS, 3))
    a = np.radians(roll_deg)
    axis = np.array([np.cos(a), np.sin(a)])
    perp = np.array([-axis[1], axis[0]])
    r = diameter_px / 2
    for side, sign in (("right", -1), ("left", 1)):
        c = np.asarray(centre) + sign * axis * ipd_px / 2
        p[lm.IRIS_CENTRE[side], :2] = c
        ring = lm.IRIS_CONTOUR[side]
        # contour order in MediaPipe is not horizontal-first; put the pairs in mixed order
        p[ring[0], :2] = c + axis * r
        p[ring[1], :2] = c + perp * r
        p[ring[2], :2] = c - axis * r
        p[ring[3], :2] = c - perp * r
    return p


@pytest.mark.parametrize("roll_deg", [0.0, 12.0, -25.0])
def test_iris_diameter_is_independent_of_head_roll(roll_deg):
    d = iris_diameters_px(_eye_landmarks(23.4, roll_deg))
    np.testing.assert_allclose(d, [23.4, 23.4], atol=1e-9)


def test_calibration_median_and_spread():
    rng = np.random.default_rng(1)
    diam = 20.0 * (1 + 0.02 * rng.standard_normal(200))
    frames = np.stack([_eye_landmarks(d) for d in diam])
    cal = calibrate(frames)
    assert cal.mm_per_px == pytest.approx(IRIS_DIAMETER_MM / 20.0, rel=0.01)
    # robust spread of a 2 % jitter reads about 2 %
    assert 0.01 < cal.mm_per_px_spread < 0.03
    assert cal.n_frames == 200


def test_calibration_uses_only_valid_frames():
    frames = np.stack([_eye_landmarks(20.0)] * 5 + [_eye_landmarks(40.0)] * 10)
    valid = np.array([True] * 5 + [False] * 10)
    assert calibrate(frames, valid=valid).iris_px == pytest.approx(20.0)


def test_calibration_without_frames_is_a_clear_error():
    with pytest.raises(BadInputError, match="iris"):
        calibrate(np.zeros((3, lm.N_LANDMARKS, 3)), valid=np.zeros(3, bool))
