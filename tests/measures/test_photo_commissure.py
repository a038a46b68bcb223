"""Mouth corners and nasolabial folds found in drawn pictures whose commissure and fold are known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from smilescope.measures.commissure import (
    MIN_PX_PER_MM,
    nasolabial_fold,
    refine_commissure,
    smoothed_grey,
)

PX_PER_MM = 4.0


def _mouth(end_px, *, slope=0.0, fissure_grey=60, skin_grey=180, lip_grey=150, size=(400, 400)):
    """Skin, two lips and the dark fissure between them from x=60 px to ``end_px`` (the
    commissure), sloping by ``slope`` (px down per px to the right), lightly blurred as by a lens."""
    img = np.full(size + (3,), skin_grey, np.uint8)
    x0, (xe, ye) = 60, end_px
    y0 = ye - slope * (xe - x0)
    lip_mm = 3.0
    pts_up = np.array([[x0, y0 - lip_mm * PX_PER_MM], [xe, ye], [x0, y0]], np.int32)
    pts_dn = np.array([[x0, y0], [xe, ye], [x0, y0 + lip_mm * PX_PER_MM]], np.int32)
    cv2.fillPoly(img, [pts_up, pts_dn], (lip_grey,) * 3)
    cv2.line(img, (x0, int(round(y0))), (int(round(xe)), int(round(ye))), (fissure_grey,) * 3, 2, cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), 1.0)


@pytest.mark.parametrize("slope", [0.0, 0.25, -0.2])
@pytest.mark.parametrize("guess_mm", [-2.5, 0.0, 2.0])
def test_the_corner_is_found_at_the_end_of_the_fissure(slope, guess_mm):
    """FaceMesh's corner 2.5 mm inside, on, or 2 mm beyond the true commissure, on a level, a
    drooping and a rising lip line: the refined corner within 0.5 mm of the truth, and its height
    (what the corner difference measures) within 0.3 mm."""
    end = np.array([300.0, 200.0])
    img = _mouth(end, slope=slope)
    direction = np.array([1.0, slope]) / np.hypot(1.0, slope)
    guess = end + guess_mm * PX_PER_MM * direction + np.array([0.0, 1.0])  # and a pixel low, as FaceMesh often is
    fit = refine_commissure(smoothed_grey(img, px_per_mm=PX_PER_MM), corner_px=guess, toward_px=guess - 40 * direction,
                            px_per_mm=PX_PER_MM)
    assert fit.refined, fit.why
    assert np.linalg.norm(fit.point_px - end) / PX_PER_MM < 0.5
    assert abs(fit.point_px[1] - end[1]) / PX_PER_MM < 0.3


def test_no_fissure_keeps_facemesh_corner_and_says_why():
    img = np.full((300, 300, 3), 170, np.uint8)  # lips as pale as the skin and no line where they meet
    guess = np.array([200.0, 150.0])
    fit = refine_commissure(smoothed_grey(img, px_per_mm=PX_PER_MM), corner_px=guess, toward_px=guess - (40, 0),
                            px_per_mm=PX_PER_MM)
    assert not fit.refined and np.allclose(fit.point_px, guess) and "no fissure" in fit.why


def test_a_face_too_small_keeps_facemesh_corner():
    img = _mouth(np.array([300.0, 200.0]))
    guess = np.array([295.0, 200.0])
    ppm = 0.5 * MIN_PX_PER_MM
    fit = refine_commissure(smoothed_grey(img, px_per_mm=ppm), corner_px=guess, toward_px=guess - (40, 0), px_per_mm=ppm)
    assert not fit.refined and "too small" in fit.why
    assert fit.to_dict(0.25)["moved_mm"] == 0.0


def _cheek(fold_grey, *, skin_grey=170):
    """A cheek with a crease (``fold_grey``, None: none) from the ala (100, 60) down to beyond the
    corner (190, 290)."""
    img = np.full((400, 300, 3), skin_grey, np.uint8)
    if fold_grey is not None:
        cv2.line(img, (100, 60), (190, 290), (fold_grey,) * 3, 4, cv2.LINE_AA)
    return cv2.GaussianBlur(img, (0, 0), 2.0)


def test_a_deep_fold_is_visible_a_flat_cheek_is_not():
    kw = dict(ala_px=np.array([100.0, 60.0]), corner_px=np.array([150.0, 270.0]),
              mouth_centre_px=np.array([40.0, 270.0]), px_per_mm=PX_PER_MM)
    deep = nasolabial_fold(smoothed_grey(_cheek(120), px_per_mm=PX_PER_MM), **kw)
    flat = nasolabial_fold(smoothed_grey(_cheek(None), px_per_mm=PX_PER_MM), **kw)
    assert deep.visible and deep.contrast > 0.1
    assert flat.visible is False and flat.contrast < 0.02
    dark = nasolabial_fold(smoothed_grey(_cheek(10, skin_grey=25), px_per_mm=PX_PER_MM), **kw)
    assert dark.contrast is None and dark.visible is None and "too dark" in dark.why
