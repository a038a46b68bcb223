import numpy as np
import pytest

from smilescope.geometry.align import FaceFrame, Similarity, fit_similarity


def _similarity(scale, rot_deg, tx, ty) -> np.ndarray:
    a = np.radians(rot_deg)
    r = scale * np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    return np.hstack([r, [[tx], [ty]]])


@pytest.mark.parametrize("scale,rot,tx,ty", [(1.0, 0.0, 3.0, -2.0), (1.05, 4.0, -7.5, 12.0), (0.93, -9.0, 0.4, 0.2)])
def test_fit_recovers_a_known_similarity(scale, rot, tx, ty):
    rng = np.random.default_rng(0)
    ref = rng.uniform(100, 400, size=(13, 2))
    m = _similarity(scale, rot, tx, ty)
    cur = ref @ m[:, :2].T + m[:, 2]
    s = fit_similarity(ref, cur)
    assert s.scale == pytest.approx(scale, abs=1e-4)
    assert s.rotation_deg == pytest.approx(rot, abs=1e-3)
    np.testing.assert_allclose(s.invert(cur), ref, atol=1e-3)


def test_fit_ignores_one_point_dragged_by_expression():
    rng = np.random.default_rng(3)
    ref = rng.uniform(100, 400, size=(13, 2))
    m = _similarity(1.02, 3.0, 5.0, 1.0)
    cur = ref @ m[:, :2].T + m[:, 2]
    cur[4] += (6.0, -9.0)  # e.g. a glabella point pulled by a frown
    s = fit_similarity(ref, cur)
    others = np.delete(np.arange(13), 4)
    np.testing.assert_allclose(s.invert(cur)[others], ref[others], atol=0.05)


def test_face_frame_axes_are_anatomical():
    # unmirrored image: the subject's right iris is on the image LEFT
    f = FaceFrame.from_irises(np.array([200.0, 300.0]), np.array([300.0, 300.0]))
    # image right is towards the subject's left (+x), image up (-y) is superior (+up)
    np.testing.assert_allclose(f.to_face(np.array([1.0, 0.0])), [1.0, 0.0])
    np.testing.assert_allclose(f.to_face(np.array([0.0, -1.0])), [0.0, 1.0])


def test_identity_round_trip():
    s = Similarity.identity()
    p = np.array([[1.5, 2.5]])
    np.testing.assert_allclose(s.invert(s.apply(p)), p)
