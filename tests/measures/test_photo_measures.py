"""Static photo measures on points whose geometry is known, and the side rules."""

from __future__ import annotations

import math

import numpy as np
import pytest

from smilescope.measures.photo import SIDE_MIN_MM, FacePoints, affected_side, static_measures


def _points(right_below_mm, left_below_mm, *, roll_deg=0.0, px_per_mm=5.0, right_eye_open_mm=10.0, left_eye_open_mm=10.0):
    """A face drawn in mm (x to the person's left, y up, origin between the eyes), then turned by
    roll_deg in the picture and put in image pixels (x right, y down; the person's left = image right)."""
    mm = {
        "eye_inner": {"right": (-16, 0), "left": (16, 0)}, "eye_outer": {"right": (-46, 0), "left": (46, 0)},
        "upper_lid": {"right": (-31, right_eye_open_mm / 2), "left": (31, left_eye_open_mm / 2)},
        "lower_lid": {"right": (-31, -right_eye_open_mm / 2), "left": (31, -left_eye_open_mm / 2)},
        "brow_mid": {"right": (-31, 20), "left": (31, 20)},
        "mouth_corner": {"right": (-25, -right_below_mm), "left": (25, -left_below_mm)},
    }
    a = math.radians(roll_deg)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])

    def img(p):
        x, y = rot @ np.asarray(p, float)
        return np.array([500 + x * px_per_mm, 400 - y * px_per_mm])

    kw = {k: {s: img(v) for s, v in d.items()} for k, d in mm.items()}
    return FacePoints(**kw, upper_lip=img((0, -45)), lower_lip=img((0, -60)))


@pytest.mark.parametrize("roll", [0.0, 12.0, -20.0])
def test_corner_heights_and_eye_measures_in_mm_whatever_the_tilt(roll):
    s = static_measures(_points(62.0, 57.5, roll_deg=roll, right_eye_open_mm=8.0), 1 / 5.0)
    assert s["mouth_corner_below_eyes_mm"]["right"] == pytest.approx(62.0, abs=1e-6)
    assert s["mouth_corner_below_eyes_mm"]["left"] == pytest.approx(57.5, abs=1e-6)
    assert s["mouth_corner_difference_mm"] == pytest.approx(4.5, abs=1e-6)
    assert s["palpebral_fissure_height_mm"] == pytest.approx({"right": 8.0, "left": 10.0})
    assert s["palpebral_fissure_width_mm"]["left"] == pytest.approx(30.0)
    assert s["brow_above_eyes_mm"]["right"] == pytest.approx(20.0)
    assert s["philtrum_from_midline_mm"] == pytest.approx(0.0, abs=1e-6)


def test_the_lower_corner_is_the_affected_side_from_two_millimetres():
    def side(r, l, **kw):
        return affected_side(static_measures(_points(r, l), 0.2), **kw)

    assert side(62.0, 58.0).side == "right" and side(62.0, 58.0).confidence == "high"
    assert side(58.0, 60.5).side == "left" and side(58.0, 60.5).confidence == "moderate"
    assert side(60.0, 60.0 + SIDE_MIN_MM - 0.1).side == "none"
    turned = side(62.0, 58.0, yaw_deg=15.0)
    assert turned.side == "unknown" and "turned" in turned.why
    assert side(62.0, 58.0, expression="pucker").side == "unknown"


def test_a_nod_does_not_hide_the_side_but_a_turn_does():
    """Pitch moves both corners alike (the mouth-corner line and the eye line stay parallel):
    a photo tilted 18 degrees still names the lower corner; only beyond the landmark model's
    range (25 degrees) is it not judged. A sideways turn over 10 degrees is not judged."""
    s = static_measures(_points(62.0, 58.0), 0.2)
    assert affected_side(s, pitch_deg=18.0).side == "right"
    up = affected_side(s, pitch_deg=30.0)
    assert up.side == "unknown" and "tilted 30 deg up" in up.why and "eye height" in up.why
    assert affected_side(s, yaw_deg=-12.0).side == "unknown"


def test_a_difference_of_two_pixels_names_no_side():
    """A 320 px photo at 1.1 mm per pixel: 2.6 mm is about 2 px, what the landmarks alone can put
    between the corners; at 0.2 mm per pixel (2 px = 0.4 mm) the same 2.6 mm names a side."""
    s = static_measures(_points(60.0, 57.4), 0.2)
    assert affected_side(s, mm_per_px=0.2).side == "right"
    coarse = affected_side(s, mm_per_px=1.1)
    assert coarse.side == "none" and "4.2 mm (2 mm plus 2.2 mm, the 2 px of this picture" in coarse.why


def test_in_an_eye_closure_photo_the_eye_that_stays_open_is_affected():
    s = static_measures(_points(60, 60, right_eye_open_mm=0.0, left_eye_open_mm=4.0), 0.2)
    call = affected_side(s, expression="eye_closure")
    assert call.side == "left" and "stays open" in call.why


def test_hand_placed_ibug_points_read_the_same_way():
    """The iBUG-68 mapping names sides as the person's own: 36-41 is the right eye, 48 the right corner."""
    pts = np.zeros((68, 2))
    pts[36], pts[39], pts[42], pts[45] = (100, 100), (140, 100), (180, 100), (220, 100)
    pts[48], pts[54] = (130, 260), (190, 250)  # the image-left corner (the person's right) is lower
    s = static_measures(FacePoints.from_ibug68(pts), 0.25)
    assert s["mouth_corner_difference_mm"] == pytest.approx(2.5)


def test_an_eye_closure_item_is_not_given_when_one_eye_has_no_rest_opening():
    """An eye that shows no opening in the rest photo (shut, or its lids' points met) has no
    closure to measure: its closure is unknown, not "did not close", so the eFACE-style item is
    not given (it read 0, the most uneven), and the reason says which side."""
    from smilescope.measures.photo import dynamic_measures

    rest = _points(60.0, 60.0, right_eye_open_mm=0.0)
    shut = _points(60.0, 60.0, right_eye_open_mm=0.0, left_eye_open_mm=0.5)
    d = dynamic_measures(rest, shut, 1 / 5.0, expression="eye_closure")
    assert math.isnan(d["eye_closure"]["right"]) and d["eye_closure"]["left"] == pytest.approx(0.95)
    assert d["eface_style_item"] is None and "right side cannot be measured" in d["eface_style_not_given"]


def test_no_side_is_named_from_a_difference_or_a_pose_not_measured():
    """A corner difference that is NaN (a hand-placed point missing) compared as "not under 2
    mm" and named the left side, "by nan mm"; a NaN turn passed the pose limits."""
    s = static_measures(_points(62.0, 57.0), 0.2)
    assert affected_side(dict(s, mouth_corner_difference_mm=float("nan"))).side == "unknown"
    assert affected_side(s, yaw_deg=float("nan")).side == "unknown"
    assert affected_side(s).side == "right"


def test_a_brow_raise_names_the_brow_that_rose_clearly_less_than_the_other():
    """With a rest photo, a brow raise's movement shows a side (the forehead is spared in a
    central palsy, lost on the affected side in a peripheral one), by a video's weaker-side rule:
    3 mm and 20 % of the larger, plus 2 px; a healthy pair, a brow not measured, or another
    expression names none (or leaves the call to the photo itself)."""
    from smilescope.measures.photo import affected_side_from_movement

    def call(right, left, k=0.1, expression="brow_raise"):
        return affected_side_from_movement({"brow_lift_mm": {"right": right, "left": left}}, expression, k)

    weak = call(1.0, 8.0)
    assert weak.side == "right" and "rose 1.0 mm" in weak.why and weak.confidence == "moderate"
    assert call(8.0, 1.0).side == "left"
    assert call(8.4, 6.8).side == "none" and "under the" in call(8.4, 6.8).why  # healthy: 1.6 mm apart
    assert call(12.0, 8.5).side == "left"  # 3.5 mm apart: over 3 mm + 2 px (3.2 mm) and 20 % of 12 mm (2.4 mm)
    assert call(12.0, 8.5, k=0.5).side == "none"  # a coarse picture: 3 mm + 2 px = 4 mm
    assert call(20.0, 16.5).side == "none"  # 3.5 mm apart, under 20 % of 20 mm
    assert call(0.5, 0.2).side == "none" and "no movement to compare" in call(0.5, 0.2).why
    assert call(float("nan"), 5.0).side == "unknown" and call(None, 5.0).side == "unknown"
    assert call(1.0, 8.0, expression="smile") is None and call(1.0, 8.0, expression="eye_closure") is None
