"""FaceMesh backend on real photos: sides are anatomical, head angles follow the head."""

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.testing.synth import load_face
from smilescope.track.facemesh import detect_still, head_angles_deg

from conftest import FACES


@pytest.fixture(scope="module")
def face():
    return load_face(FACES / "faceapi_neutral.jpg")


def test_subject_right_is_image_left(face):
    p = face.landmarks_px
    for table in (lm.MOUTH_CORNER, lm.EYE_OUTER, lm.UPPER_LID, lm.IRIS_CENTRE, lm.CHEEK, lm.BROW_MID):
        assert p[table["right"], 0] < p[table["left"], 0], table


@pytest.mark.parametrize("name", ["faceapi_neutral", "yale01", "astronaut", "takeo"])
def test_near_points_lie_in_their_region_beyond_one_flow_patch(name):
    """Each region's second point is on the same side, 3.5-15 mm from the main point (about one
    optical-flow patch, 6 mm, apart), and the left point sits where the right one's mirror image does (within 4 mm)."""
    f = load_face(FACES / f"{name}.jpg")
    p = f.landmarks_px[:, :2]
    main = {"mouth": lm.MOUTH_CORNER, "eye": lm.UPPER_LID, "brow": lm.BROW_MID, "cheek": lm.CHEEK}
    mid_x = np.mean([(p[a["right"], 0] + p[a["left"], 0]) / 2 for a in main.values()])
    for region, near in lm.NEAR.items():
        assert p[near["right"], 0] < mid_x < p[near["left"], 0], region
        for side in lm.SIDES:
            d_mm = np.linalg.norm(p[near[side]] - p[main[region][side]]) * f.mm_per_px
            assert 3.5 <= d_mm <= 15.0, (region, side, d_mm)
        off = {s: p[near[s]] - p[main[region][s]] for s in lm.SIDES}
        assert np.linalg.norm(off["left"] * [-1, 1] - off["right"]) * f.mm_per_px < 4.0, region


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


def test_the_face_model_refuses_an_image_it_would_abort_on():
    from smilescope.track.facemesh import MAX_IMAGE_SIDE_PX, MediaPipeFaceMesh

    with MediaPipeFaceMesh() as det, pytest.raises(ValueError, match="too large for the face model"):
        det(np.zeros((MAX_IMAGE_SIDE_PX + 1, 2, 3), np.uint8))
