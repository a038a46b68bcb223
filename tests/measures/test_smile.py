"""Smile measures: pure functions on constructed signal tables, then ground-truth videos."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope import landmarks as lm
from smilescope.testing import synth
from smilescope.measures.smile import (MAX_HEAD_TURN_DEG, MAX_LIFT_TURN_DEG, WEAKER_SIDE_MARGIN_PX, analyze_smiles, compared_on,
                                      excursion, fatigue, find_baseline, find_episodes, symmetry)
from smilescope.pipeline import analyze
from smilescope.signals import FACIAL_SIGNALS, SignalTable

from conftest import EXAMPLE, FACES


def _table(t, right_xy, left_xy, **extra) -> SignalTable:
    cols = {name: np.zeros(len(t)) for name in FACIAL_SIGNALS}
    cols["palpebral_right_height_mm"][:] = 10.0
    cols["palpebral_left_height_mm"][:] = 10.0
    for side, xy in (("right", right_xy), ("left", left_xy)):
        cols[f"mouth_corner_{side}_x_mm"] = xy[0]
        cols[f"mouth_corner_{side}_y_mm"] = xy[1]
    cols.update(extra)
    return SignalTable(t_s=t, valid=np.ones(len(t), bool), columns=cols)


def _bump(t, start, rise, hold, fall):
    return synth.smile_profile(t, onset_s=start, rise_s=rise, hold_s=hold, fall_s=fall)


ANGLE = np.radians(35)


@pytest.mark.parametrize("left,right,expected", [(7.0, 2.5, "right"), (2.5, 7.0, "left"), (4.0, 4.0, "none"),
                                                 (6.0, 3.5, "none"),   # 2.5 mm apart: within healthy range
                                                 (16.0, 13.5, "none"),  # 2.5 mm
                                                 (5.0, 0.0, "right")])
def test_symmetry_thresholds(left, right, expected):
    pct, side = symmetry(left, right)
    assert side == expected
    assert pct == pytest.approx(abs(left - right) / max(left, right) * 100)


def test_episode_timing_and_excursion_on_a_known_table():
    t = np.arange(0, 6, 1 / 30)
    p = _bump(t, 1.0, 0.5, 2.0, 0.5)
    right = (4.0 * np.cos(ANGLE) * p, 4.0 * np.sin(ANGLE) * p)
    left = (6.0 * np.cos(ANGLE) * p, 6.0 * np.sin(ANGLE) * p)
    cheek = 1.5 * p
    tab = _table(t, right, left, cheek_left_y_mm=cheek, cheek_right_y_mm=cheek,
                 palpebral_left_height_mm=10.0 - 2.0 * p, palpebral_right_height_mm=10.0 - 2.0 * p)
    eps = find_episodes(tab)
    assert len(eps) == 1
    e = eps[0]
    # onset/offset where the activation crosses 20 % of its peak (raised-cosine ramp of 0.5 s)
    assert e.start_s == pytest.approx(1.0 + 0.5 * np.arccos(1 - 2 * 0.2) / np.pi, abs=0.05)
    assert e.end_s == pytest.approx(3.5 + 0.5 * np.arccos(2 * 0.2 - 1) / np.pi, abs=0.05)
    assert 1.5 <= e.apex_s <= 3.5
    assert e.hold_s == pytest.approx(2.0 + 0.5 * 2 * np.arccos(2 * 0.8 - 1) / np.pi, abs=0.1)
    assert e.right.excursion_mm == pytest.approx(4.0, abs=1e-6) and e.left.excursion_mm == pytest.approx(6.0, abs=1e-6)
    assert e.left.angle_deg == pytest.approx(35.0, abs=1e-6)
    assert e.left.cheek_raise_mm == pytest.approx(1.5, abs=1e-6)
    assert e.left.palpebral_narrowing_pct == pytest.approx(20.0, abs=1e-6)
    assert e.weaker_side == "none"  # 2 mm apart


def test_a_blink_at_the_apex_is_left_out_of_the_eye_narrowing():
    """A known smile whose eyes narrow by 20 %, with a 0.4 s blink (both lids shut) in the middle
    of its apex: the blink's frames are not the smile's eye narrowing. Left in, half the apex
    frames read the eye shut; given as eyes_shut (what expressivity.eyes_shut_mask makes of the
    blink events), the narrowing is the smile's own 20 %, for each smile and over the recording,
    and a smile with the eyes shut through its whole apex has no narrowing rather than 100 %."""
    from smilescope.measures.expressivity import eye_events, eyes_shut_mask

    t = np.arange(0, 9, 1 / 30)
    p = _bump(t, 1.0, 0.5, 0.4, 0.5) + _bump(t, 5.0, 0.5, 1.0, 0.5)
    right = (5.0 * np.cos(ANGLE) * p, 5.0 * np.sin(ANGLE) * p)
    open_mm = 10.0 - 2.0 * p
    blink = (t >= 1.45) & (t < 1.85)  # most of the first smile's apex (held 1.5-1.9 s)
    shut = (t >= 5.2) & (t < 6.9)  # the second smile's whole apex and more (a long squeeze: not a blink)
    eye = np.where(blink | shut, 0.2, open_mm)
    tab = _table(t, right, right, palpebral_left_height_mm=eye, palpebral_right_height_mm=eye.copy(),
                 smile_score=0.9 * (p > 0.5))
    kept, _ = analyze_smiles(tab)
    assert kept.episodes[0].left.palpebral_narrowing_pct > 50  # the blink decides the median when left in
    events = eye_events(tab)
    assert [e.kind for e in events] == ["blink"]  # the 1.7 s closure is deliberate, not a blink
    mask = eyes_shut_mask(t, events) | shut  # as for a closure the blink rules do not count: the eye measure says none
    res, _ = analyze_smiles(tab, eyes_shut=mask)
    first, second = res.episodes
    # the apex frames left are those at 90-100 % of the smile, where the eye narrows 18-20 %
    for side in (first.left, first.right):
        assert 18.0 - 1e-6 <= side.palpebral_narrowing_pct <= 20.0 + 1e-6
    assert np.isnan(second.left.palpebral_narrowing_pct)
    assert res.duchenne["left"]["palpebral_narrowing_pct"] == pytest.approx(first.left.palpebral_narrowing_pct)


@pytest.mark.parametrize("smiles_mm,weaker", [
    (((8.0, 8.0), (8.0, 2.0)), "none"),               # one even smile: the left can move fully
    (((8.0, 3.0), (7.0, 2.0), (8.0, 4.0)), "left"),   # the left never gets near: weak
    (((8.0, 2.0), (8.0, 3.0), (3.0, 2.5)), "left"),   # a small try of both sides does not clear it
    (((8.0, 2.0), (9.0, 3.0), (6.0, 8.5)), "none"),   # once the left moved 8.5 mm, more than the right's usual 8
    (((8.0, 4.0), (8.0, 4.0), (18.0, 9.0)), "left")])  # a partly weak side moves more with effort, but lags in that smile too
def test_a_side_seen_moving_fully_is_not_weak(smiles_mm, weaker):
    """Smiles (right, left mm) 2.5 s apart that the classifier reads. The medians differ enough in
    every case, but a weak side cannot move as far as the other side usually does: once it has,
    the smiles where it moved less were uneven by expression (a lopsided smile made on purpose),
    and no side is called weaker over the recording, with the reason; each smile keeps its own."""
    t = np.arange(0, 1.0 + 2.5 * len(smiles_mm) + 1.0, 1 / 30)
    bumps = [_bump(t, 1.0 + 2.5 * k, 0.5, 1.0, 0.5) for k in range(len(smiles_mm))]
    right = sum(r * b for (r, _), b in zip(smiles_mm, bumps))
    left = sum(lt * b for (_, lt), b in zip(smiles_mm, bumps))
    tab = _table(t, (right * np.cos(ANGLE), right * np.sin(ANGLE)), (left * np.cos(ANGLE), left * np.sin(ANGLE)),
                 smile_score=0.1 + 0.8 * sum(bumps))
    res, _ = analyze_smiles(tab)
    assert [e.right.excursion_mm for e in res.episodes] == pytest.approx([r for r, _ in smiles_mm], abs=1e-6)
    assert symmetry(res.excursion_mm["left"], res.excursion_mm["right"])[1] == "left"  # the medians alone would say left
    assert res.weaker_side == weaker
    assert bool(res.side_note) == (weaker == "none") and ("can move fully" in res.side_note or weaker != "none")
    assert [e.weaker_side for e in res.episodes] == [symmetry(lt, r)[1] for r, lt in smiles_mm]


@pytest.mark.parametrize("mm_per_px,weaker", [(None, "left"), (0.4, "left"), (1.0, "none")])
def test_the_side_difference_must_clear_what_tracking_can_put_there(mm_per_px, weaker):
    """Right 8 mm, left 4 mm: 4 mm apart. Without a scale only the 3 mm people notice counts; a
    face at 0.4 mm per px adds 2 px = 0.8 mm (4 mm clears 3.8); a small webcam face at 1 mm per
    px adds 2 mm (4 mm does not clear 5)."""
    t = np.arange(0, 5, 1 / 30)
    p = _bump(t, 1.0, 0.5, 1.5, 0.5)
    tab = _table(t, (8.0 * np.cos(ANGLE) * p, 8.0 * np.sin(ANGLE) * p), (4.0 * np.cos(ANGLE) * p, 4.0 * np.sin(ANGLE) * p),
                 smile_score=0.1 + 0.8 * p)
    res, _ = analyze_smiles(tab, mm_per_px=mm_per_px)
    need = 3.0 + (0.0 if mm_per_px is None else WEAKER_SIDE_MARGIN_PX * mm_per_px)
    assert res.thresholds["weaker_side_min_diff_mm"] == pytest.approx(need)
    assert res.weaker_side == weaker and [e.weaker_side for e in res.episodes] == [weaker]


@pytest.mark.parametrize("turns_deg,weaker,on", [((0.3, 0.5), "left", "excursion"),  # head still: the left moves 4 mm less
                                                 ((0.3, 12.0), "left", "excursion"),  # the smile turned too far is left out
                                                 ((12.0, 11.0), None, ""),            # turned too far in every smile: no call
                                                 ((4.0, 3.0), "none", "lift")])       # lifts 4.6 vs 2.3 mm: within 3 mm
def test_a_smile_with_the_head_turned_is_not_used_to_compare_sides(turns_deg, weaker, on):
    """Two smiles (right 8 mm, left 4 mm, 35 deg up) that the classifier reads; the head yaw
    changes by ``turns_deg`` during each, with no relaxed face at the turned pose to compare
    them with. Within MAX_HEAD_TURN_DEG the excursions are compared; up to MAX_LIFT_TURN_DEG
    only the lifts; beyond, nothing."""
    t = np.arange(0, 9, 1 / 30)
    p1, p2 = _bump(t, 1.0, 0.5, 1.5, 0.5), _bump(t, 5.0, 0.5, 1.5, 0.5)
    p = p1 + p2
    right = (8.0 * np.cos(ANGLE) * p, 8.0 * np.sin(ANGLE) * p)
    left = (4.0 * np.cos(ANGLE) * p, 4.0 * np.sin(ANGLE) * p)
    tab = _table(t, right, left, head_yaw_deg=1.0 + turns_deg[0] * p1 + turns_deg[1] * p2, smile_score=0.1 + 0.8 * p)
    res, _ = analyze_smiles(tab)
    assert [e.head_turn_deg for e in res.episodes] == pytest.approx(list(turns_deg), abs=0.05)
    assert [e.head_turned for e in res.episodes] == [d > MAX_LIFT_TURN_DEG for d in turns_deg]
    assert [e.sides_compared_on for e in res.episodes] == [compared_on(d) for d in turns_deg]
    # a smile turned too far has its sides not compared: no weaker side, not "none" (which says even)
    assert [e.weaker_side for e in res.episodes if e.head_turned] == [None] * sum(d > MAX_LIFT_TURN_DEG for d in turns_deg)
    assert res.weaker_side == weaker and res.sides_compared_on == on
    assert res.excursion_mm == pytest.approx({"right": 8.0, "left": 4.0}, abs=1e-6)
    assert [d["head_turned"] for d in res.to_dict()["episodes"]] == [d > MAX_LIFT_TURN_DEG for d in turns_deg]
    if on == "lift":
        assert res.lift_mm == pytest.approx({"right": 8.0 * np.sin(ANGLE), "left": 4.0 * np.sin(ANGLE)}, abs=1e-6)


@pytest.mark.parametrize("turn_deg,weaker", [(0.5, "none"), (4.0, "left"), (9.0, "left"), (12.0, None)])
def test_a_turned_smile_is_compared_on_how_far_each_corner_rises(turn_deg, weaker):
    """A turn moves the corners sideways in the picture, one out and one in, but not up or
    down. Here the right corner rises 7 mm and the left 2 mm, and the sideways part makes both
    movements 7.3 mm long (right 2 mm out, left 7 mm out: what a turn's parallax can add). With
    the head still the whole movements are compared (equal: no side); turned 2-10 degrees, the
    lifts (7 against 2 mm: the left rises less); turned further, nothing."""
    t = np.arange(0, 5, 1 / 30)
    p = _bump(t, 1.0, 0.5, 1.5, 0.5)
    tab = _table(t, (2.0 * p, 7.0 * p), (7.0 * p, 2.0 * p), head_yaw_deg=1.0 + turn_deg * p, smile_score=0.1 + 0.8 * p)
    res, _ = analyze_smiles(tab)
    (e,) = res.episodes
    assert e.right.excursion_mm == pytest.approx(e.left.excursion_mm, abs=1e-6)
    assert e.weaker_side == weaker and res.weaker_side == weaker
    assert e.sides_compared_on == compared_on(turn_deg) and res.sides_compared_on == compared_on(turn_deg)
    if compared_on(turn_deg) == "lift":
        assert e.asymmetry_pct == pytest.approx(100 * 5 / 7, abs=1e-6)
        assert res.lift_mm == pytest.approx({"right": 7.0, "left": 2.0}, abs=1e-6)


def test_with_the_head_turned_only_the_classifier_finds_a_smile():
    """A turn moves the aligned corners as a smile would (one out, one in: parallax), so where
    the head has turned from every relaxed pose by more than the guard the geometry does not
    call a smile; a smile the classifier reads there is still found."""
    t = np.arange(0, 6, 1 / 30)
    p = _bump(t, 2.0, 0.5, 1.5, 0.5)
    xy = (6.0 * np.cos(ANGLE) * p, 6.0 * np.sin(ANGLE) * p)
    turned = 1.0 + 4.0 * p  # the head turns 4 degrees with the smile
    assert find_episodes(_table(t, xy, xy, head_yaw_deg=turned)) == []
    read = find_episodes(_table(t, xy, xy, head_yaw_deg=turned, smile_score=0.1 + 0.8 * p))
    assert len(read) == 1 and read[0].head_turn_deg > MAX_HEAD_TURN_DEG and read[0].sides_compared_on == "lift"
    assert len(find_episodes(_table(t, xy, xy, head_yaw_deg=np.full(len(t), 1.0)))) == 1  # head still: found


def test_a_smile_is_measured_from_the_relaxed_face_at_its_head_pose():
    """The head rests facing the camera, turns 8 degrees, rests there (the turn's parallax moves
    the aligned corners 3 mm one way and 2 mm the other), then smiles (right 7 mm, left 2 mm)
    while turned: the excursions are taken from the relaxed face at that pose, so the sides can
    be compared; a slow turn is not a relaxed face."""
    t = np.arange(0, 9, 1 / 30)
    turn = _bump(t, 1.5, 1.5, 20.0, 0.5)  # 1.5-3.0 s: the turn (a still face moving 2 mm/s at most)
    yaw = 1.0 + 8.0 * turn
    p = _bump(t, 5.0, 0.5, 1.5, 0.5)
    right = (-3.0 * turn + 7.0 * np.cos(ANGLE) * p, 0.4 * turn + 7.0 * np.sin(ANGLE) * p)
    left = (2.0 * turn + 2.0 * np.cos(ANGLE) * p, 0.4 * turn + 2.0 * np.sin(ANGLE) * p)
    tab = _table(t, right, left, head_yaw_deg=yaw)
    base = find_baseline(tab)
    assert [round(pose.yaw_deg) for pose in base.poses] == [1, 9]
    assert not base.rest_mask[(t > 1.7) & (t < 2.8)].any()  # turning: not at rest
    res, _ = analyze_smiles(tab)
    assert len(res.episodes) == 1
    e = res.episodes[0]
    assert not e.head_turned and e.head_turn_deg == pytest.approx(0.0, abs=0.05)
    assert e.excursion_mm() == pytest.approx({"right": 7.0, "left": 2.0}, abs=1e-6)
    assert e.weaker_side == "left"


def test_pucker_and_small_wobble_are_not_smiles():
    t = np.arange(0, 6, 1 / 30)
    p = _bump(t, 1.0, 0.4, 1.5, 0.4)
    pucker = (-5.0 * p, 0.5 * p)  # corners pulled inwards
    rng = np.random.default_rng(0)
    wobble = (0.3 * rng.standard_normal(len(t)), 0.3 * rng.standard_normal(len(t)))
    assert find_episodes(_table(t, pucker, pucker)) == []
    assert find_episodes(_table(t, wobble, wobble)) == []


def test_rest_baseline_comes_from_rest_frames_not_the_first_frame():
    t = np.arange(0, 8, 1 / 30)
    # the face starts 0.5 mm off its usual rest (a twitch of the first frames), then smiles twice
    offset = np.where(t < 0.2, 0.5, 0.0)
    p = _bump(t, 1.0, 0.4, 1.0, 0.4) + _bump(t, 4.0, 0.4, 1.0, 0.4)
    xy = (5.0 * np.cos(ANGLE) * p + offset, 5.0 * np.sin(ANGLE) * p)
    exc = excursion(_table(t, xy, xy))
    assert exc.rest_mask.sum() > 0.5 * len(t)
    eps = find_episodes(_table(t, xy, xy), exc)
    assert len(eps) == 2
    assert [round(e.left.excursion_mm, 2) for e in eps] == [5.0, 5.0]


def test_relaxed_face_is_found_anywhere_not_assumed_at_the_start():
    """The recording starts mid-smile (the old rule took its first 0.6 s as rest) and relaxes later."""
    t = np.arange(0, 8, 1 / 30)
    p = np.clip(_bump(t, -1.0, 0.4, 2.0, 0.4), 0, None) + _bump(t, 4.0, 0.4, 1.0, 0.4)
    xy = (6.0 * np.cos(ANGLE) * p, 6.0 * np.sin(ANGLE) * p)
    tab = _table(t, xy, xy, smile_score=0.1 + 0.8 * p)  # the classifier reads the smiles
    base = find_baseline(tab)
    assert base.found
    assert not base.rest_mask[t < 1.4].any()  # the smile at the start is not rest
    res, _ = analyze_smiles(tab)
    assert res.relaxed_face and res.not_judged == ""
    assert [round(e.left.excursion_mm, 2) for e in res.episodes] == [6.0, 6.0]


def test_no_relaxed_face_means_smiles_found_but_not_measured():
    """A face that never holds still (movement of 3 mm at 2 Hz throughout) has no relaxed face:
    no excursion from an expression, and the reason is given."""
    t = np.arange(0, 6, 1 / 30)
    wave = 1.5 + 1.5 * np.sin(2 * np.pi * 2.0 * t)
    xy = (np.cos(ANGLE) * wave, np.sin(ANGLE) * wave)
    score = np.where((t > 2.0) & (t < 3.5), 0.9, 0.1)  # the classifier reads one smile
    res, exc = analyze_smiles(_table(t, xy, xy, smile_score=score))
    assert res.relaxed_face is False and res.not_judged.startswith("no relaxed face")
    assert np.isnan(exc.length_mm["left"]).all()
    assert len(res.episodes) == 1 and 1.9 <= res.episodes[0].start_s <= 2.1
    assert res.excursion_mm == {"left": None, "right": None} and res.weaker_side is None
    assert res.to_dict()["not_judged"].startswith("no relaxed face")


def test_no_relaxed_face_names_what_the_still_mouth_lacked_or_that_the_picture_is_too_unsteady():
    """The reason is what the user can change. A mouth closed and still for 2 s while the eyes are
    narrowed (to 45 % of their opening in the moving part) was reported as "the mouth never held
    still (talking, ...)"; it lacked open eyes. And a picture whose frame-to-frame noise alone
    spans the stillness limit over the window (about 3 x the noise over ten frames) cannot show
    a still mouth: it says so instead of blaming talking."""
    t = np.arange(0, 6, 1 / 30)
    moving = t >= 2.0
    wave = np.where(moving, 3.0 + 3.0 * np.sin(2 * np.pi * 3.0 * t), 0.0)
    xy = (np.cos(ANGLE) * wave, np.sin(ANGLE) * wave)
    eyes = np.where(moving, 10.0, 4.5)
    tab = _table(t, xy, xy, lip_gap_mm=np.zeros(len(t)), palpebral_right_height_mm=eyes, palpebral_left_height_mm=eyes)
    base = find_baseline(tab)
    assert not base.found and base.reason.startswith("the eyes were narrowed or closed")
    tab.columns["palpebral_right_height_mm"] = tab.columns["palpebral_left_height_mm"] = np.full(len(t), 10.0)
    assert find_baseline(tab).found  # the same still mouth with the eyes open is the relaxed face
    noisy = _table(t, (np.zeros(len(t)), np.zeros(len(t))), (np.zeros(len(t)), np.zeros(len(t))), lip_gap_mm=np.zeros(len(t)))
    rng = np.random.default_rng(0)
    for c in ("mouth_corner_right_x_mm", "mouth_corner_left_y_mm"):
        noisy.columns[c] = rng.normal(0.0, 0.6, len(t))
    base = find_baseline(noisy, noise_floor_mm=0.6)
    assert not base.found and "too unsteady" in base.reason and "talking" not in base.reason
    # talking raises the measured frame-to-frame noise too: there the picture is not blamed
    from test_speech import _talk

    noisy.columns["lower_lip_y_mm"] = -_talk(t, 0.0, 6.0)
    assert "too unsteady" not in find_baseline(noisy, noise_floor_mm=0.6).reason
    talking = _table(t, xy, xy, lip_gap_mm=np.zeros(len(t)))
    talking.columns["mouth_corner_right_x_mm"] = np.cos(ANGLE) * (3.0 + 3.0 * np.sin(2 * np.pi * 3.0 * t))
    assert "talking" in find_baseline(talking, noise_floor_mm=0.05).reason


def test_a_held_smile_is_not_rest_for_a_face_the_classifier_reads_as_not_smiling_elsewhere():
    """The recording starts with a smile held still (the classifier reads 0.65), then the face,
    mouth closed and eyes open, reads 0.05 while it keeps moving. Readings up to 0.7 are allowed
    at rest only for a face usually read so (within e times the odds of its median reading); this
    one is usually read as not smiling, so the held smile is not its relaxed face (taken as rest,
    the smile would measure the person's next smiles from a smile)."""
    t = np.arange(0, 6, 1 / 30)
    held = t < 1.0
    wave = 1.5 + 1.5 * np.sin(2 * np.pi * 2.0 * t)
    xy = (np.where(held, 4.0, np.cos(ANGLE) * wave), np.where(held, 3.0, np.sin(ANGLE) * wave))
    tab = _table(t, xy, xy, smile_score=np.where(held, 0.65, 0.05), lip_gap_mm=np.zeros(len(t)))
    base = find_baseline(tab)
    assert not base.found and not base.rest_mask.any()
    res, _ = analyze_smiles(tab)
    assert res.relaxed_face is False
    assert len(res.episodes) == 1 and res.episodes[0].start_s < 0.1  # the smile, found by the classifier


def test_a_face_read_as_half_smiling_throughout_still_has_a_relaxed_face():
    """A neutral face the classifier reads at 0.6 throughout (a face shaped so, as the neutral
    photo of tests/data/faces/takeo.jpg reads 0.55) rests there, and its smile (0.95) is measured."""
    t = np.arange(0, 6, 1 / 30)
    p = _bump(t, 3.0, 0.4, 1.0, 0.4)
    xy = (5.0 * np.cos(ANGLE) * p, 5.0 * np.sin(ANGLE) * p)
    tab = _table(t, xy, xy, smile_score=0.6 + 0.35 * p, lip_gap_mm=np.zeros(len(t)))
    base = find_baseline(tab)
    assert base.found and base.rest_mask[t < 2.5].all()
    res, _ = analyze_smiles(tab)
    assert [round(e.left.excursion_mm, 2) for e in res.episodes] == [5.0]


@pytest.mark.parametrize("read", [False, True])
def test_a_mouth_pulled_sideways_at_its_apex_is_a_smile_only_when_the_classifier_reads_one(read):
    """The corners go out and up for 0.5 s (2.5 mm out, 1.5 mm up: 31 deg), then sideways to
    5 mm out and 0.3 mm up (3 deg) for a second: the apex is a lateral pull (risorius: a
    grimace, a lip stretch), not the zygomaticus's up-and-out. Only frames of the rise read up
    and out; unless the classifier reads a smile, it is not one."""
    t = np.arange(0, 6, 1 / 30)
    rise = (t >= 2.0) & (t < 2.5)
    apex = (t >= 2.5) & (t < 3.5)
    x = np.where(rise, 2.5, np.where(apex, 5.0, 0.0))
    y = np.where(rise, 1.5, np.where(apex, 0.3, 0.0))
    score = np.where(read & (rise | apex), 0.9, 0.1)
    res, _ = analyze_smiles(_table(t, (x, y), (x, y), smile_score=score, lip_gap_mm=np.zeros(len(t))))
    assert res.relaxed_face
    assert len(res.episodes) == (1 if read else 0)


def test_a_lip_press_lifting_the_whole_mouth_is_not_a_smile():
    """Corners 8 mm up and 3 mm out, but the lower lip's centre rises as much (a lip press with
    the chin raised): not the zygomaticus lifting the corners above the lips."""
    t = np.arange(0, 6, 1 / 30)
    p = _bump(t, 2.0, 0.3, 1.0, 0.3)
    xy = (3.0 * p, 8.0 * p)
    assert find_episodes(_table(t, xy, xy, lower_lip_y_mm=8.0 * p, smile_score=np.full(len(t), 0.05))) == []
    # the same corners with the lips' centre still: a smile
    assert len(find_episodes(_table(t, xy, xy, smile_score=np.full(len(t), 0.05)))) == 1


def test_an_impossible_excursion_is_not_reported_as_a_smile_measure():
    """A corner 'moving' 40 mm (tracking lost, or a baseline that was no rest): more than any
    healthy smile (7-22 mm); listed with its reason, left out of the medians and the sides."""
    t = np.arange(0, 9, 1 / 30)
    ok, bad = _bump(t, 1.0, 0.4, 1.0, 0.4), _bump(t, 5.0, 0.4, 1.0, 0.4)
    right = (8.0 * np.cos(ANGLE) * ok + 40.0 * np.cos(ANGLE) * bad, 8.0 * np.sin(ANGLE) * ok + 40.0 * np.sin(ANGLE) * bad)
    left = (8.0 * np.cos(ANGLE) * ok, 8.0 * np.sin(ANGLE) * ok)
    res, _ = analyze_smiles(_table(t, right, left))
    assert len(res.episodes) == 2
    assert res.episodes[0].not_judged == "" and "tracking failure" in res.episodes[1].not_judged
    assert np.isnan(res.episodes[1].right.excursion_mm) and res.episodes[1].weaker_side is None
    assert res.excursion_mm == pytest.approx({"right": 8.0, "left": 8.0}, abs=1e-6) and res.weaker_side == "none"


def test_fatigue_detects_a_fading_smile():
    t = np.arange(0, 14, 1 / 30)
    amps = [8.0, 7.0, 6.0, 5.0]
    p = sum(a * _bump(t, 1.0 + 3.0 * k, 0.4, 1.2, 0.4) for k, a in enumerate(amps))
    xy = (np.cos(ANGLE) * p, np.sin(ANGLE) * p)
    res, _ = analyze_smiles(_table(t, xy, xy))
    assert len(res.episodes) == 4
    f = res.fatigue
    assert f.fades
    assert f.decrement_pct_per_rep == pytest.approx(-1.0 / 8.0 * 100, abs=0.5)  # -1 mm per rep of 8 mm
    steady = sum(6.0 * _bump(t, 1.0 + 3.0 * k, 0.4, 1.2, 0.4) for k in range(4))
    xy = (np.cos(ANGLE) * steady, np.sin(ANGLE) * steady)
    assert not analyze_smiles(_table(t, xy, xy))[0].fatigue.fades
    assert fatigue(res.episodes[:2]).note.startswith("needs at least 3")


# --- ground-truth videos -------------------------------------------------------------------

FACE_NAMES = ["faceapi_neutral", "yale01", "yale05"]  # neutral photos (astronaut smiles: a test of its own)
CASES = [(2.5, 7.0), (4.0, 4.0), (5.0, 0.0)]  # (right_mm, left_mm)
HOLD = dict(onset_s=0.7, rise_s=0.5, hold_s=1.2, fall_s=0.5)


@pytest.fixture(scope="module")
def truth_runs(tmp_path_factory):
    """Render and analyse every face x fps x case once; the tests below read the results."""
    out = []
    tmp = tmp_path_factory.mktemp("smile")
    for name in FACE_NAMES:
        face = synth.load_face(FACES / f"{name}.jpg")
        for fps in (30, 60):
            for right, left in CASES:
                path = tmp / f"{name}_{fps}_{right}_{left}.mp4"
                motions = synth.smile_motions(face, right_mm=right, left_mm=left, **HOLD)
                synth.render(path, face=face, fps=fps, duration_s=3.4, motions=motions, write_truth=False)
                out.append((name, fps, right, left, analyze(path)))
    return out


def test_one_episode_per_smile_with_true_timing(truth_runs):
    for name, fps, right, left, res in truth_runs:
        eps = res.smile.episodes
        assert len(eps) == 1, (name, fps, right, left, eps)
        e = eps[0]
        assert HOLD["onset_s"] <= e.start_s <= HOLD["onset_s"] + HOLD["rise_s"]
        end_true = HOLD["onset_s"] + HOLD["rise_s"] + HOLD["hold_s"]
        assert end_true <= e.end_s <= end_true + HOLD["fall_s"]
        assert e.hold_s == pytest.approx(HOLD["hold_s"] + 0.3, abs=0.25)  # plateau + ramps above 80 %


def test_excursion_error_median_and_worst(truth_runs):
    errs = []
    for name, fps, right, left, res in truth_runs:
        got = res.smile.excursion_mm
        errs += [abs(got["right"] - right), abs(got["left"] - left)]
    errs = np.array(errs)
    assert np.median(errs) <= 0.5, errs
    assert errs.max() <= 1.0, errs


def test_weaker_side_and_palsy(truth_runs):
    for name, fps, right, left, res in truth_runs:
        s = res.smile
        expected = "none" if abs(left - right) < 3 else ("right" if right < left else "left")
        assert s.weaker_side == expected, (name, fps, right, left, s.excursion_mm)
        if right == 0:
            assert abs(s.excursion_mm["right"]) <= 0.5


def test_a_smiling_photo_has_no_relaxed_face(tmp_path):
    """The astronaut photo smiles with the teeth showing: a further rendered smile is still found,
    but nothing is measured from that expression as if it were rest."""
    face = synth.load_face(FACES / "astronaut.jpg")
    motions = synth.smile_motions(face, right_mm=4.0, left_mm=4.0, **HOLD)
    synth.render(tmp_path / "a.mp4", face=face, fps=30, duration_s=3.4, motions=motions, write_truth=False)
    s = analyze(tmp_path / "a.mp4").smile
    assert s.relaxed_face is False and "smile throughout" in s.not_judged
    assert len(s.episodes) >= 1
    assert s.excursion_mm == {"left": None, "right": None} and s.weaker_side is None


def test_still_face_and_head_motion_have_no_smiles(tmp_path):
    face = synth.load_face(FACES / "yale05.jpg")
    synth.render(tmp_path / "still.mp4", face=face, fps=30, duration_s=3.0, write_truth=False)
    head = synth.HeadMotion(tx_mm=2.0, ty_mm=-1.5, rot_deg=2.0, profile=lambda t: np.sin(2 * np.pi * 3.0 * np.asarray(t)))
    synth.render(tmp_path / "head.mp4", face=face, fps=30, duration_s=3.0, head=head, write_truth=False)
    for p in ("still.mp4", "head.mp4"):
        res = analyze(tmp_path / p)
        assert res.smile.episodes == [], p
        assert res.smile.weaker_side is None  # no smile: sides not compared


TURN = dict(onset_s=1.0, rise_s=1.0, hold_s=9.0, fall_s=1.0)  # 1-2 s: the head turns, then holds


@pytest.mark.parametrize("yaw_deg", [10.0, -10.0])
def test_a_head_turn_alone_is_not_a_smile(tmp_path, yaw_deg):
    """The head (no facial movement) turns at 1-2 s, holds the turn for 3 s and turns back at
    5-6 s: the turn's parallax moves the aligned corners 1.5-4.5 mm, which is not a smile."""
    face = synth.load_face(FACES / "faceapi_neutral.jpg")
    turn = synth.HeadTurn(yaw_deg=yaw_deg, profile=lambda t: synth.smile_profile(t, onset_s=1.0, rise_s=1.0, hold_s=3.0,
                                                                                  fall_s=1.0))
    synth.render(tmp_path / "turn.mp4", face=face, fps=30, duration_s=6.5, turn=turn, write_truth=False)
    res = analyze(tmp_path / "turn.mp4")
    assert res.smile.episodes == []
    assert res.smile.weaker_side is None  # no smile: sides not compared


def test_a_smile_with_the_head_turned_is_measured_at_that_pose(tmp_path):
    """The head turns 10 degrees either way, rests, then smiles (right 7 mm, left 2 mm in the
    face's own frame), on two faces. Each corner's excursion is compared with its true movement
    in the turned picture (the smile plus what the turn does to the moved skin: the render's own
    field): median error within 0.5 mm, every one within 2 mm, and the left side found weaker
    every time. (The worst, 1.7 mm on yale01 at +10 degrees, is the alignment jumping sideways
    by 1.7 mm midway through the smile, both corners together: a tracking glitch of the turned
    view, not parallax; the issue's 1 mm for rendered truth is not met there.)"""
    errors = []
    for face_name, yaw_deg in (("faceapi_neutral", 10.0), ("faceapi_neutral", -10.0), ("yale01", 10.0), ("yale01", -10.0)):
        face = synth.load_face(FACES / f"{face_name}.jpg")
        turn = synth.HeadTurn(yaw_deg=yaw_deg, profile=lambda t: synth.smile_profile(t, **TURN))
        motions = synth.smile_motions(face, right_mm=7.0, left_mm=2.0, onset_s=2.6, rise_s=0.5, hold_s=1.0, fall_s=0.5)
        path = tmp_path / f"{face_name}{yaw_deg:+.0f}.mp4"
        truth = synth.render(path, face=face, fps=30, duration_s=4.8, motions=motions, turn=turn, write_truth=False)
        res = analyze(path)
        assert len(res.smile.episodes) == 1, (face_name, yaw_deg)
        e = res.smile.episodes[0]
        assert not e.head_turned and e.weaker_side == "left" and res.smile.weaker_side == "left", (face_name, yaw_deg)
        i = int(np.argmin(np.abs(truth.t_s - e.apex_s)))
        for side in ("right", "left"):
            k = lm.MOUTH_CORNER[side]
            rest, moved = truth.origin_px[k], truth.points_px[k][i]
            in_picture = moved + turn.shift_px(face, rest + moved, truth.t_s[i]) - turn.shift_px(face, rest, truth.t_s[i])
            errors.append(abs(e.excursion_mm()[side] - np.linalg.norm(in_picture) * face.mm_per_px))
    assert np.median(errors) <= 0.5 and max(errors) <= 2.0, np.round(errors, 2)


TURN_WITH_SMILE = dict(onset_s=1.5, rise_s=0.8, hold_s=1.2, fall_s=0.8)  # the head turns as the smile rises


@pytest.mark.parametrize("face_name,yaw_deg,right_mm,left_mm", [("faceapi_neutral", 6.0, 9.0, 0.0),
                                                                ("faceapi_neutral", -6.0, 9.0, 0.0),
                                                                ("faceapi_neutral", 6.0, 6.0, 6.0),
                                                                ("faceapi_neutral", -6.0, 6.0, 6.0),
                                                                ("yale01", 6.0, 6.0, 6.0),
                                                                ("yale01", -6.0, 6.0, 6.0)])
def test_a_smile_turning_the_head_is_compared_on_the_lift(tmp_path, face_name, yaw_deg, right_mm, left_mm):
    """The face rests facing the camera, then smiles (45 deg up) while the head turns 6 degrees
    and back with the smile, so there is no relaxed face at the turned pose. The turn's parallax
    spoils the whole movements (the even 6/6 mm smiles read 4.3/7.6, 7.8/4.6, 3.7/7.6 and
    7.2/5.2 mm: three of four more than 3 mm apart), not the lifts: the sides are compared on
    how far each corner rises, each within 1.5 mm of the truth (6 or 9 mm x sin 45 deg); the
    one-sided smile (the left corner still, as in a palsy) has the left weaker, the even ones no
    side."""
    face = synth.load_face(FACES / f"{face_name}.jpg")
    turn = synth.HeadTurn(yaw_deg=yaw_deg, profile=lambda t: synth.smile_profile(t, **TURN_WITH_SMILE))
    motions = synth.smile_motions(face, right_mm=right_mm, left_mm=left_mm, angle_deg=45.0, **TURN_WITH_SMILE)
    synth.render(tmp_path / "turn.mp4", face=face, fps=30, duration_s=5.0, motions=motions, turn=turn, write_truth=False)
    res = analyze(tmp_path / "turn.mp4")
    (e,) = res.smile.episodes
    assert e.head_turn_deg > MAX_HEAD_TURN_DEG and e.sides_compared_on == "lift"
    assert e.weaker_side == ("left" if right_mm > left_mm else "none") == res.smile.weaker_side
    for side, mm in (("right", right_mm), ("left", left_mm)):
        assert getattr(e, side).vertical_mm == pytest.approx(mm * np.sin(np.radians(45.0)), abs=1.5), side


def test_smile_columns_in_the_table(truth_runs):
    res = truth_runs[0][-1]
    for col in ("smile_excursion_right_mm", "smile_excursion_left_mm", "smile_episode"):
        assert col in res.signals.columns
    ep = res.signals.columns["smile_episode"]
    assert set(np.unique(ep)) == {0.0, 1.0}


# --- real videos ---------------------------------------------------------------------------

def test_example_video_has_one_broad_smile():
    """d0: rest until ~0.6 s, lips part at ~0.7 s, broad smile 1.0-2.4 s, blink and relax by 2.8 s
    (frames checked by eye)."""
    eps = analyze(EXAMPLE).smile.episodes
    assert len(eps) == 1
    e = eps[0]
    assert 0.5 <= e.start_s <= 1.0 and 2.3 <= e.end_s <= 2.9
    assert min(e.excursion_mm().values()) > 6.0
    assert e.dental_show > 0.3  # a broad smile with the teeth showing


def test_exercise_video_finds_the_smiles_not_the_pucker(shared_data):
    """d9 (frames checked by eye at 0.8 s steps): rest to 3.2 s; pucker and cheek puffs 4.0-9.0 s;
    closed-mouth smile about 10.0-12.4 s; brow raise and wide eyes 13-17 s; a lopsided smile
    about 17.6-18.8 s."""
    res = analyze(shared_data / "videos" / "liveportrait" / "d9.mp4")
    eps = res.smile.episodes
    assert len(eps) == 2
    a, b = eps
    assert 9.0 <= a.start_s <= 10.5
    assert 9.5 <= a.apex_s <= 12.5
    assert 17.0 <= b.start_s <= 18.2
    for e in eps:
        assert not (4.0 <= e.apex_s <= 9.0)
        assert e.dental_show < 0.1  # closed-mouth smiles
    # the head turns 3-9 degrees from its relaxed pose in both smiles (named in a warning): the
    # sides are compared on how far each corner rises; the closed smile is even, the lopsided
    # one (the right corner up, the left barely) has the left weaker
    for e in eps:
        assert MAX_HEAD_TURN_DEG < e.head_turn_deg <= MAX_LIFT_TURN_DEG and e.sides_compared_on == "lift"
        assert any(f"at {e.apex_s:.1f} s ({e.head_turn_deg:.1f}°)" in w for w in res.quality.warnings)
    assert [e.weaker_side for e in eps] == ["none", "left"]


# --- single-frame smile score ----------------------------------------------------------------

def test_smile_score_ranks_each_persons_smile_above_their_neutral_face(shared_data):
    """Yale faces: the same person, neutral and happy (the score was fitted on GENKI-4K only)."""
    import cv2

    from smilescope.measures.smile_score import smile_score
    from smilescope.track.facemesh import detect_still

    wins, total = 0, 0
    for k in range(1, 16):
        pair = []
        for mood in ("normal", "happy"):
            f = shared_data / "images" / "yalefaces" / f"subject{k:02d}.{mood}.gif"
            cap = cv2.VideoCapture(str(f))
            ok, img = cap.read()
            obs = detect_still(img[:, :, ::-1].copy()) if ok else None
            pair.append(None if obs is None else smile_score(obs.landmarks_px))
        if None in pair:
            continue
        total += 1
        wins += pair[1] > pair[0]
    assert total >= 8
    assert wins >= 0.8 * total


def test_smile_score_column_follows_the_smile():
    res = analyze(EXAMPLE)
    c, t = res.signals.columns["smile_score"], res.signals.t_s
    assert np.nanmedian(c[(t > 1.0) & (t < 2.3)]) > 0.7  # broad smile
    assert np.nanmedian(c[t < 0.5]) < 0.5  # relaxed


@pytest.mark.parametrize("name", ["opendbm_subj01_timepoint01", "opendbm_subj02_timepoint01",
                                  "liveportrait_s18", "liveportrait_s20"])
def test_no_smile_in_videos_without_one(shared_data, name):
    """Talking while sad or frowning (opendbm), still faces with head movement (s18, s20): the
    labels made by eye list no smile at all."""
    from smilescope.testing.labels import load_labels

    lab = load_labels(shared_data / "labels" / f"{name}.json")
    assert lab.smiles == []
    assert analyze(shared_data / "videos" / lab.video).smile.episodes == []


def test_palsy_photos_are_more_asymmetric_than_healthy_ones(shared_data):
    """Palda: peripheral and central palsy photos vs healthy controls (single photos)."""
    import cv2
    from scipy.stats import mannwhitneyu

    from smilescope.measures.smile_score import mouth_asymmetry
    from smilescope.track.facemesh import MediaPipeFaceMesh

    def scores(folder):
        out = []
        with MediaPipeFaceMesh(static_image_mode=True) as det:
            for f in sorted((shared_data / "images" / "palda" / folder).iterdir()):
                img = cv2.imread(str(f)) if f.suffix.lower() in (".jpg", ".png") else None
                obs = det(np.ascontiguousarray(img[:, :, ::-1])) if img is not None else None
                if obs is not None:
                    out.append(mouth_asymmetry(obs.landmarks_px))
        return out

    palsy = scores("peripheral") + scores("central")
    healthy = scores("Healthy")
    auc = mannwhitneyu(palsy, healthy).statistic / (len(palsy) * len(healthy))
    assert len(palsy) > 60 and len(healthy) > 30
    assert auc > 0.75


def test_fading_repetitions_on_a_rendered_video(tmp_path):
    """Four smiles of 8, 7, 6 and 5 mm (both corners): the fit reads about -12.5 %/rep and flags it."""
    import dataclasses
    import functools

    face = synth.load_face(FACES / "yale01.jpg")
    amps = (8.0, 7.0, 6.0, 5.0)

    def profile(t, **_):
        return sum(a / amps[0] * synth.smile_profile(t, onset_s=0.5 + 1.6 * k, rise_s=0.35, hold_s=0.6, fall_s=0.35)
                   for k, a in enumerate(amps))

    base = synth.smile_motions(face, right_mm=amps[0], left_mm=amps[0], onset_s=0, rise_s=1, hold_s=1, fall_s=1)
    motions = [dataclasses.replace(m, profile=functools.partial(profile)) for m in base]
    synth.render(tmp_path / "reps.mp4", face=face, fps=30, duration_s=7.0, motions=motions, write_truth=False)
    res = analyze(tmp_path / "reps.mp4")
    eps = res.smile.episodes
    assert len(eps) == 4
    got = [np.mean(list(e.excursion_mm().values())) for e in eps]
    np.testing.assert_allclose(got, amps, atol=0.5)
    f = res.smile.fatigue
    assert f.fades and f.decrement_pct_per_rep == pytest.approx(-12.5, abs=3.0)


# --- a rest tremor of the lips ------------------------------------------------------------

def test_a_lip_tremor_taken_out_leaves_the_relaxed_face_and_the_smile():
    """Both corners shake at 5 Hz, 1 mm either way (2 mm peak to peak, more than a still face
    may move), throughout a recording with one 4 mm smile. Left in, the tremor breaks every still
    stretch: no relaxed face, the smile not measured. Taken out (the mouth's tremor frequency
    given, as the shake measure finds it), the relaxed face is found and the smile measures its
    own 4 mm, not 4 mm plus the tremor's swing."""
    t = np.arange(0, 7, 1 / 30)
    p = 4.0 * _bump(t, 3.0, 0.5, 1.5, 0.5)
    shake = 1.0 * np.sin(2 * np.pi * 5.0 * t)
    xy = (np.cos(ANGLE) * p, np.sin(ANGLE) * p + shake)
    score = 0.1 + 0.8 * p / 4.0
    tab = _table(t, xy, xy, smile_score=score, lip_gap_mm=np.zeros(len(t)))
    left_in, _ = analyze_smiles(tab)
    assert not left_in.relaxed_face and left_in.not_judged.startswith("no relaxed face")
    res, exc = analyze_smiles(tab, tremor_hz=5.0)
    assert res.relaxed_face and len(res.episodes) == 1
    for side in ("left", "right"):
        assert res.excursion_mm[side] == pytest.approx(4.0, abs=0.2)
    assert res.weaker_side == "none" and res.thresholds["tremor_taken_out_hz"] == 5.0
    # at rest the tremor is gone from the excursion: a still face reads still
    assert np.nanmax(exc.length_mm["left"][t < 2.5]) < 0.3


def test_a_lip_tremor_on_video_still_lets_the_smile_be_measured(tmp_path):
    """Rendered: a 1 mm, 5 Hz tremor of both mouth corners (Parkinson's rest tremor band) through
    the whole clip and a 4 mm smile in it. The smile is measured from the relaxed face (it was
    'not judged' before the tremor was taken out) within 0.5 mm of the truth on each side, and
    the tremor is still measured and flagged from the signals as they were; the same tremor
    without a smile gives no smile."""
    face = synth.load_face(FACES / "yale05.jpg")
    tremor = ()
    for side in lm.SIDES:
        tremor += synth.tremor_motions(face, landmark=lm.MOUTH_CORNER[side], amp_mm=1.0, freq_hz=5.0, direction_deg=-90)
    # 3 s of rest first: a tremor is shown where it lasts 2 s (shake.MIN_PRESENT_S) at rest or in a smile
    smile = synth.smile_motions(face, right_mm=4.0, left_mm=4.0, onset_s=3.0, rise_s=0.5, hold_s=1.5, fall_s=0.5)
    synth.render(tmp_path / "both.mp4", face=face, fps=30, duration_s=8.0, motions=smile + tremor, write_truth=False)
    res = analyze(tmp_path / "both.mp4")
    assert res.smile.relaxed_face and res.smile.not_judged == ""
    for side in ("left", "right"):
        assert res.smile.excursion_mm[side] == pytest.approx(4.0, abs=0.5)
    assert res.smile.weaker_side == "none"
    assert res.shake.tremor.detected and res.shake.tremor.amplitude_mm == pytest.approx(1.0, rel=0.3)
    assert any(f.id == "shaking_at_rest" for f in res.flags) and not any(f.id == "one_sided_shaking" for f in res.flags)
    synth.render(tmp_path / "tremor.mp4", face=face, fps=30, duration_s=8.0, motions=tremor, write_truth=False)
    only = analyze(tmp_path / "tremor.mp4")
    assert only.smile.episodes == [] and only.shake.tremor.detected
