"""FaceMesh backend on real photos: sides are anatomical, head angles follow the head."""

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.synth import load_face
from smilescope.track.facemesh import detect_still, head_angles_deg

from conftest import FACES


@pytest.fixture(scope="module")
def face():
    return load_face(FACES / "faceapi_neutral.jpg")


def test_subject_right_is_image_left(face):
    p = face.landmarks_px
    for table in (lm.MOUTH_CORNER, lm.EYE_OUTER, lm.UPPER_LID, lm.IRIS_CENTRE, lm.CHEEK, lm.BROW_MID):
        assert p[table["right"], 0] < p[table["left"], 0], table


def test_mirrored_photo_swaps_the_sides(face):
    mirrored = np.ascontiguousarray(face.rgb[:, ::-1])
    obs = detect_still(mirrored)
    w = face.rgb.shape[1]
    # the subject's right mouth corner of the mirrored photo is the image of the original left one
    np.testing.assert_allclose(obs.landmarks_px[lm.MOUTH_CORNER["right"], 0],
                               w - 1 - face.landmarks_px[lm.MOUTH_CORNER["left"], 0], atol=6.0)


def test_frontal_photo_has_small_angles(face):
    yaw, pitch, roll = head_angles_deg(face.landmarks_px)
    assert abs(yaw) < 10 and abs(roll) < 10


@pytest.mark.parametrize("angle", [-40.0, -20.0, 20.0, 40.0])
def test_yaw_follows_a_known_rotation(face, angle):
    p = face.landmarks_px.copy()
    c = p.mean(axis=0)
    a = np.radians(angle)
    rot = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    q = (p - c) @ rot.T + c
    yaw0 = head_angles_deg(p)[0]
    # this rotation brings the subject's left eye nearer the camera: the face turns to its right
    if angle > 0:
        assert q[lm.EYE_OUTER["left"], 2] < p[lm.EYE_OUTER["left"], 2]
    assert head_angles_deg(q)[0] - yaw0 == pytest.approx(angle, abs=3.0)
