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


# How far FaceMesh may misplace the lid gap (mm). A narrowing in % is a lid travel divided by
# the rest opening, so a fixed % bound is tighter in mm on small eyes: 5 points are 0.5 mm on a
# 10 mm opening but 0.3 mm on yale05's 6.1 mm one, where the lid landmarks alone are off by
# 0.25-0.32 mm (machine to machine). The bound is therefore on the lid travel in mm.
LID_GAP_TOL_MM = 0.5


def _rest_opening_mm(res, side):
    t = res.signals.t_s
    pf = res.signals.columns[f"palpebral_{side}_height_mm"]
    return float(np.nanmedian(pf[(t > 0.25) & (t < 0.6)]))


def _assert_narrowing(measured_pct, truth, res, side):
    """The measured narrowing is the true one within LID_GAP_TOL_MM of lid travel."""
    rest = _rest_opening_mm(res, side)
    err_mm = abs(measured_pct - _true_narrowing(truth, res, side)) / 100 * rest
    assert err_mm <= LID_GAP_TOL_MM, (side, measured_pct, _true_narrowing(truth, res, side), rest)


def _true_narrowing(truth, res, side):
    t = res.signals.t_s
    rest = _rest_opening_mm(res, side)
    hold = (t > HOLD["onset_s"] + HOLD["rise_s"] + 0.1) & (t < HOLD["onset_s"] + HOLD["rise_s"] + HOLD["hold_s"] - 0.1)
    shut = truth.points[lm.UPPER_LID[side]][hold, 1] - truth.points[lm.LOWER_LID[side]][hold, 1]
    return float(np.median(shut) / rest * 100)


@pytest.mark.parametrize("face_name,side", [("yale01", "right"), ("faceapi_neutral", "left"), ("yale05", "right")])
def test_one_eye_narrowing_with_the_smile_is_synkinesis(tmp_path, face_name, side):
    truth, res = _render(tmp_path, face_name, {side: 3.0})
    s = res.synkinesis
    assert s.detected and s.side == side
    for sd in lm.SIDES:
        _assert_narrowing(s.narrowing_pct[sd], truth, res, sd)


def test_symmetric_eye_narrowing_is_not_synkinesis(tmp_path):
    truth, res = _render(tmp_path, "yale01", {"right": 1.5, "left": 1.5})
    s = res.synkinesis
    assert not s.detected and s.side == "none"
    for sd in lm.SIDES:
        _assert_narrowing(s.narrowing_pct[sd], truth, res, sd)


@pytest.mark.parametrize("face_name,side", [("yale05", "left"), ("takeo", "right")])
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
    _assert_narrowing(s.pucker_narrowing_pct[side], truth, res, side)
    assert abs(s.pucker_narrowing_pct[other]) < 5.0
    assert {f.id: f.side for f in res.flags}.get("synkinesis") == side


# --- cannot tell (constructed tables: the rule, not the rendering) --------------------------

def _table(t, *, lid_noise_mm=0.02, narrowing_mm=0.0, smile=None, seed=0):
    from smilescope.signals import FACIAL_SIGNALS, SignalTable

    rng = np.random.default_rng(seed)
    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    smile = np.zeros(len(t)) if smile is None else smile
    for side in lm.SIDES:
        cols[f"palpebral_{side}_height_mm"] = 9.0 + lid_noise_mm * rng.standard_normal(len(t))
    cols["palpebral_left_height_mm"] -= narrowing_mm * smile
    return SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols)


def test_synkinesis_cannot_be_told_without_a_relaxed_face():
    from smilescope.measures.synkinesis import synkinesis

    t = np.arange(0, 4, 1 / 30)
    plateau = (t > 1) & (t < 2)
    r = synkinesis(_table(t, narrowing_mm=3.0, smile=plateau.astype(float)), rest=np.zeros(len(t), bool), smile_plateau=plateau)
    assert r.judged is False and "relaxed face" in r.not_judged
    assert r.detected is None and r.side is None  # neither "no synkinesis" nor "no side" is known: null


def test_synkinesis_on_a_face_too_small_for_the_lids_is_cannot_tell_not_none():
    """3 mm of one-sided narrowing (33 %) is found when the lid opening is measured to 0.05 mm,
    and is 'cannot tell' when the opening's noise is 0.5 mm (a lid a few pixels high): three
    times the noise exceeds 10 % of the 9 mm opening."""
    from smilescope.measures.synkinesis import synkinesis

    t = np.arange(0, 6, 1 / 30)
    plateau = (t > 2) & (t < 4)
    rest = ~plateau
    good = synkinesis(_table(t, lid_noise_mm=0.05, narrowing_mm=3.0, smile=plateau.astype(float)), rest=rest, smile_plateau=plateau)
    assert good.judged and good.detected and good.side == "left"
    noisy = synkinesis(_table(t, lid_noise_mm=0.5, narrowing_mm=3.0, smile=plateau.astype(float)), rest=rest, smile_plateau=plateau)
    assert noisy.judged is False and noisy.detected is None and noisy.side is None and "noise" in noisy.not_judged


def test_short_lip_rounding_of_speech_is_not_a_pucker():
    """Corners pulled in for 0.2 s at a time (a spoken 'oo') are not a held pucker; 1 s is."""
    from smilescope.measures.synkinesis import pucker_mask

    t = np.arange(0, 6, 1 / 30)
    tab = _table(t)
    syllables = np.zeros(len(t), bool)
    for start in (1.0, 2.0, 3.0):
        syllables |= (t >= start) & (t < start + 0.2)
    held = (t >= 4.0) & (t < 5.0)
    for side in lm.SIDES:
        tab.columns[f"mouth_corner_{side}_x_mm"] = np.where(syllables | held, -3.0, 0.0)
    m = pucker_mask(tab, ~(syllables | held))
    assert not m[syllables].any()
    assert m[held].all()


def test_a_lid_lowered_for_part_of_the_smile_is_not_synkinesis():
    """Synkinesis is driven with the smile and lasts as long as it: a lid lowered 3 mm (33 %)
    through the whole apex is synkinesis; the same lid lowered for 55 % of the apex (a glance
    down, a squint), enough to move its median, is not."""
    from smilescope.measures.synkinesis import synkinesis

    t = np.arange(0, 6, 1 / 30)
    plateau = (t > 2) & (t < 4)
    rest = (t < 1.5) | (t > 4.5)
    held = synkinesis(_table(t, narrowing_mm=3.0, smile=plateau.astype(float)), rest=rest, smile_plateau=plateau)
    assert held.detected and held.side == "left" and "held through 100%" in held.reasons[0]
    part = plateau & (t < 2 + 0.55 * 2)
    brief = synkinesis(_table(t, narrowing_mm=3.0, smile=part.astype(float)), rest=rest, smile_plateau=plateau)
    assert brief.judged and brief.narrowing_pct["left"] > 30 and not brief.detected and brief.side == "none"


def test_blinks_within_the_smile_are_left_out_of_the_narrowing_and_show_no_difference():
    """The left eye narrows 3 mm (33 %) through a smile whose 2 s apex a blink interrupts
    (both lids shut). Given as eyes_shut, the blink's frames are left out of the values, which
    read the smile's own 33 % and 0 %. The call needs the difference through three quarters of the apex and the blink shows none:
    with 0.4 s shut it is held through 80 % (synkinesis); with 0.6 s of blinks, through 70 %, not
    called however clear the open frames are (a healthy man's smile whose apex was mostly a blink
    became a call on its 2 open frames when blinks were dropped from the share)."""
    from smilescope.measures.synkinesis import synkinesis

    t = np.arange(0, 6, 1 / 30)
    plateau = (t > 2) & (t < 4)
    rest = (t < 1.5) | (t > 4.5)
    for blink_s, called in ((0.4, True), (0.6, False)):
        blink = (t > 2.6) & (t < 2.6 + blink_s)
        tab = _table(t, narrowing_mm=3.0, smile=plateau.astype(float))
        for side in lm.SIDES:
            tab.columns[f"palpebral_{side}_height_mm"][blink] = 0.3
        res = synkinesis(tab, rest=rest, smile_plateau=plateau, eyes_shut=blink)
        assert res.narrowing_pct["left"] == pytest.approx(100 * 3.0 / 9.0, abs=1.0)
        assert abs(res.narrowing_pct["right"]) < 1.0
        assert res.detected is called, (blink_s, res.reasons)


@pytest.mark.parametrize("closed_mm", [3.5, 2.0, 1.0])
def test_an_eye_closing_through_the_smile_is_synkinesis_however_far_it_closes(closed_mm):
    """A symmetric 6 mm smile held 1 s, the left eye closing with it to ``closed_mm`` of its
    10 mm opening, through the whole measure registry. Closed under a quarter of its opening for
    over a second, that eye reads as a "wink" to the blinks step; when the frames of winks (and
    of both eyes shut for up to 1 s) were left out of the eye measures, the apex was all left
    out and the stronger synkinesis was "cannot tell" while a milder one was found. Only
    blinks (both eyes) are left out now."""
    from smilescope.measures.registry import MeasureContext, measure_all
    from smilescope.signals import FACIAL_SIGNALS, HEAD_SIGNALS, SignalTable

    t = np.arange(0, 8, 1 / 30)
    p = synth.smile_profile(t, onset_s=2.0, rise_s=0.5, hold_s=1.0, fall_s=0.5)
    rng = np.random.default_rng(0)
    cols = {name: rng.normal(0.0, 0.02, len(t)) for name in (*FACIAL_SIGNALS, *HEAD_SIGNALS)}
    cols["head_scale"] = np.ones(len(t))
    cols["palpebral_right_height_mm"] += 10.0
    cols["palpebral_left_height_mm"] += 10.0 - (10.0 - closed_mm) * p
    for side in lm.SIDES:
        cols[f"mouth_corner_{side}_x_mm"] += 6 * np.cos(np.radians(35)) * p
        cols[f"mouth_corner_{side}_y_mm"] += 6 * np.sin(np.radians(35)) * p
    m = measure_all(SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols), MeasureContext())
    truth_pct = 100 * (10.0 - closed_mm) / 10.0
    assert m.synkinesis.judged and m.synkinesis.detected and m.synkinesis.side == "left", m.synkinesis.not_judged
    assert m.synkinesis.narrowing_pct["left"] == pytest.approx(truth_pct, abs=3.0)
    assert m.smile.duchenne["left"]["palpebral_narrowing_pct"] == pytest.approx(truth_pct, abs=3.0)

