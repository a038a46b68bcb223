"""Synkinesis against ground truth: a smile that also lowers one upper lid by a known amount."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.testing import synth
from smilescope.pipeline import analyze

from conftest import FACES

HOLD = dict(onset_s=0.7, rise_s=0.5, hold_s=1.5, fall_s=0.5)


def _render(tmp_path, face_name, lids_mm: dict):
    face = synth.load_face(FACES / f"{face_name}.jpg")
    prof = functools.partial(synth.smile_profile, **HOLD)
    motions = list(synth.smile_motions(face, right_mm=6, left_mm=6, **HOLD))
    for side, mm in lids_mm.items():
        motions.append(synth.PointMotion(lm.UPPER_LID[side], 0.0, mm, prof, radius_mm=2.0))  # +y: lid down
    lids = (lm.UPPER_LID["right"], lm.LOWER_LID["right"], lm.UPPER_LID["left"], lm.LOWER_LID["left"])
    truth = synth.render(tmp_path / "s.mp4", face=face, fps=30, duration_s=3.6, motions=motions,
                         extra_landmarks=lids, write_truth=False)
    return truth, analyze(tmp_path / "s.mp4")


def _true_narrowing(truth, res, side):
    t = res.signals.t_s
    pf = res.signals.columns[f"palpebral_{side}_height_mm"]
    rest = float(np.nanmedian(pf[(t > 0.25) & (t < 0.6)]))
    hold = (t > HOLD["onset_s"] + HOLD["rise_s"] + 0.1) & (t < HOLD["onset_s"] + HOLD["rise_s"] + HOLD["hold_s"] - 0.1)
    shut = truth.points[lm.UPPER_LID[side]][hold, 1] - truth.points[lm.LOWER_LID[side]][hold, 1]
    return float(np.median(shut) / rest * 100)


@pytest.mark.parametrize("face_name,side", [("yale01", "right"), ("faceapi_neutral", "left"), ("yale05", "right")])
def test_one_eye_narrowing_with_the_smile_is_synkinesis(tmp_path, face_name, side):
    truth, res = _render(tmp_path, face_name, {side: 3.0})
    s = res.synkinesis
    assert s.detected and s.side == side
    for sd in lm.SIDES:
        assert s.narrowing_pct[sd] == pytest.approx(_true_narrowing(truth, res, sd), abs=5.0)


def test_symmetric_eye_narrowing_is_not_synkinesis(tmp_path):
    truth, res = _render(tmp_path, "yale01", {"right": 1.5, "left": 1.5})
    s = res.synkinesis
    assert not s.detected and s.side == "none"
    for sd in lm.SIDES:
        assert s.narrowing_pct[sd] == pytest.approx(_true_narrowing(truth, res, sd), abs=5.0)


@pytest.mark.parametrize("face_name,side", [("yale05", "left"), ("yale01", "right")])  # takeo: its neutral photo reads 0.55 on the smile score, so no relaxed face
def test_eye_narrowing_with_a_pucker_is_synkinesis(tmp_path, face_name, side):
    """A pucker (both corners 4 mm towards the midline) that lowers one upper lid by 2.5 mm."""
    face = synth.load_face(FACES / f"{face_name}.jpg")
    prof = functools.partial(synth.smile_profile, **HOLD)
    # the person's right corner (61) is on the image's left: towards the midline is +x there
    motions = [synth.PointMotion(lm.MOUTH_CORNER["right"], 4.0, 0.0, prof),
               synth.PointMotion(lm.MOUTH_CORNER["left"], -4.0, 0.0, prof),
               synth.PointMotion(lm.UPPER_LID[side], 0.0, 2.5, prof, radius_mm=2.0)]
    lids = (lm.UPPER_LID["right"], lm.LOWER_LID["right"], lm.UPPER_LID["left"], lm.LOWER_LID["left"])
    truth = synth.render(tmp_path / "p.mp4", face=face, fps=30, duration_s=3.6, motions=motions,
                         extra_landmarks=lids, write_truth=False)
    res = analyze(tmp_path / "p.mp4")
    s = res.synkinesis
    assert s.detected and s.side == side
    other = "left" if side == "right" else "right"
    assert s.pucker_narrowing_pct[side] == pytest.approx(_true_narrowing(truth, res, side), abs=5.0)
    assert abs(s.pucker_narrowing_pct[other]) < 5.0
    assert {f.id: f.side for f in res.flags}.get("synkinesis") == side
