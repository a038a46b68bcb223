"""Practice repetitions found and scored on streams whose movement is known."""

from __future__ import annotations

import numpy as np
import pytest

from smilescope.measures.practice import BY_KEY, EXERCISES, START_MM, RepCounter
from smilescope.testing.synth import smile_profile

FPS = 30.0


def _stream(t, right, left, eye_r, eye_l, steady):
    c = RepCounter(target_hold_s=3.0)
    reps = []
    for i in range(len(t)):
        r = c.push(float(t[i]), {"right": right[i], "left": left[i]}, {"right": eye_r[i], "left": eye_l[i]}, steady[i])
        if r is not None:
            reps.append(r)
    return reps


def _two_smiles(right_mm, left_mm, hold_s=3.0, noise_mm=0.15, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 14, 1 / FPS)
    prof = (smile_profile(t, onset_s=1.0, rise_s=0.5, hold_s=hold_s, fall_s=0.5)
            + smile_profile(t, onset_s=7.0, rise_s=0.5, hold_s=hold_s, fall_s=0.5))
    noise = lambda: rng.normal(0, noise_mm, len(t))  # noqa: E731
    return t, prof, np.abs(right_mm * prof + noise()), np.abs(left_mm * prof + noise())


def _truth_hold_s(t, prof, onset_s):
    """How long the rendered profile stays at or above 70 % of its peak (the scored hold)."""
    m = (t >= onset_s - 0.1) & (t < onset_s + 5) & (prof >= 0.7 * prof[(t >= onset_s) & (t < onset_s + 5)].max())
    return t[m][-1] - t[m][0] + 1 / FPS


def test_two_even_smiles_are_two_repetitions_with_their_holds():
    t, prof, r, l = _two_smiles(4.0, 4.0)
    eyes = np.full(len(t), 10.0)
    reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
    assert len(reps) == 2
    for rep, onset in zip(reps, (1.0, 7.0)):
        assert rep.hold_s == pytest.approx(_truth_hold_s(t, prof, onset), abs=0.15)
        assert rep.balance > 0.9 and rep.scores["balance"] > 90
        assert rep.scores["timing"] == 100 and rep.scores["steadiness"] == 100 and rep.scores["eyes"] == 100
        assert not rep.forced and rep.score >= 95


def test_one_sided_smile_scores_low_on_balance_and_names_sizes_per_side():
    t, _, r, l = _two_smiles(2.0, 6.0)
    eyes = np.full(len(t), 10.0)
    reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
    assert len(reps) == 2
    for rep in reps:
        assert rep.hold_mm["right"] == pytest.approx(2.0, abs=0.3) and rep.hold_mm["left"] == pytest.approx(6.0, abs=0.3)
        assert rep.balance == pytest.approx(1 / 3, abs=0.08)


def test_size_is_not_scored():
    """A small even smile scores as well as a broad even one: practice is about how, not how much."""
    scores = []
    for amp in (1.5, 8.0):
        t, _, r, l = _two_smiles(amp, amp, noise_mm=0.05)
        eyes = np.full(len(t), 10.0)
        scores.append([rep.score for rep in _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))])
    assert scores[0] == scores[1] == [100, 100]


def test_shaking_or_eye_closing_smile_is_forced():
    t, prof, r, l = _two_smiles(5.0, 5.0)
    eye_r = 10.0 * (1 - 0.5 * prof)  # the right eye half closes with the smile: synkinesis
    eye_l = np.full(len(t), 10.0)
    steady = 0.1 + 0.8 * (t > 6.5)  # the second smile shakes (0.9 mm)
    reps = _stream(t, r, l, eye_r, eye_l, steady)
    assert len(reps) == 2
    assert all(rep.eye_narrowing["right"] == pytest.approx(0.5, abs=0.1) for rep in reps)
    assert all(rep.eye_narrowing["left"] == pytest.approx(0.0, abs=0.05) for rep in reps)
    assert all(rep.forced and rep.scores["eyes"] == 0 for rep in reps)
    assert reps[1].scores["steadiness"] == 0 and "forced" in reps[1].advice[0]


@pytest.mark.parametrize("hold_s", [0.3, 3.0])
def test_a_blink_during_the_hold_is_not_the_eye_closing_with_the_smile(hold_s):
    """Two even smiles with the eyes open throughout, each blinked through once at its apex
    (both eyes shut for 0.3 s, a spontaneous blink lasting 0.1-0.4 s): the eyes score as without
    the blink and get no advice. Over a brief hold (a beginner's micro-smile) the blink covered
    most of the held frames and made the smile "forced". Both eyes shut for 1.8 s, through the
    whole hold, is a squeeze, not a blink, and stays forced."""
    t, prof, r, l = _two_smiles(4.0, 4.0, hold_s=hold_s)
    blink = np.zeros(len(t), bool)
    squeeze = np.zeros(len(t), bool)
    for onset in (1.0, 7.0):
        mid = onset + 0.5 + hold_s / 2
        blink |= (t >= mid - 0.15) & (t < mid + 0.15)
        squeeze |= (t >= onset + 0.2) & (t < onset + 2.0)
    eyes = np.where(blink, 0.5, 10.0)
    reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
    assert len(reps) == 2
    for rep in reps:
        assert rep.eye_narrowing["right"] == pytest.approx(0.0, abs=0.02) and rep.scores["eyes"] == 100
        assert not rep.forced and not any("eye" in a for a in rep.advice)
    if hold_s < 1.0:
        eyes = np.where(squeeze, 0.5, 10.0)
        reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
        assert len(reps) == 2 and all(rep.forced and rep.scores["eyes"] == 0 for rep in reps)


def test_a_squeeze_is_not_a_blink_because_a_frame_is_missing_or_it_outlasts_the_repetition():
    """Both eyes squeezed shut through the hold stay "forced" when one frame of the squeeze was
    not measured (it split the closure into two runs short enough for blinks), and when the
    squeeze began before a brisk repetition and ended after it (only the part inside the
    repetition was measured: 0.9 s, short enough for a blink's 1 s)."""
    t, prof, r, l = _two_smiles(4.0, 4.0, hold_s=0.3)
    shut = np.zeros(len(t), bool)
    for onset in (1.0, 7.0):
        shut |= (t >= onset + 0.2) & (t < onset + 2.0)
    eyes = np.where(shut, 0.5, 10.0)
    for onset in (1.0, 7.0):
        eyes[np.argmin(np.abs(t - (onset + 0.65)))] = np.nan
    reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
    assert len(reps) == 2 and all(rep.forced and rep.scores["eyes"] == 0 for rep in reps)

    brisk = smile_profile(t, onset_s=3.0, rise_s=0.25, hold_s=0.3, fall_s=0.25)
    eyes = np.where((t >= 2.5) & (t < 5.0), 0.5, 10.0)  # shut after the relaxed face, before the smile
    (rep,) = _stream(t, 4.0 * brisk, 4.0 * brisk, eyes, eyes, np.full(len(t), 0.1))
    assert rep.start_s > 2.5 and rep.end_s < 5.0 and rep.end_s - rep.start_s < 1.0
    assert rep.forced and rep.scores["eyes"] == 0


def test_short_hold_loses_timing_and_jitter_makes_no_repetition():
    t, _, r, l = _two_smiles(4.0, 4.0, hold_s=1.0)
    eyes = np.full(len(t), 10.0)
    reps = _stream(t, r, l, eyes, eyes, np.full(len(t), 0.1))
    assert len(reps) == 2 and all(rep.scores["timing"] < 60 for rep in reps)
    rng = np.random.default_rng(1)
    jitter = np.abs(rng.normal(0, START_MM / 4, len(t)))  # webcam noise alone
    assert _stream(t, jitter, jitter[::-1], eyes, eyes, np.full(len(t), 0.1)) == []


def test_frames_without_a_measure_do_not_start_or_end_a_repetition():
    c = RepCounter(target_hold_s=1.0)
    assert c.push(0.0, {"right": None, "left": None}, {}, None) is None and not c.in_rep


def test_catalogue_has_the_issue_exercises():
    assert {"baseline", "rest_awareness", "micro_smile", "smile_hold", "brow_raise", "eye_closure", "cheek_puff",
            "pucker", "snarl"} <= set(BY_KEY)
    assert BY_KEY["micro_smile"].hold_s == 3.0 and 5.0 <= BY_KEY["smile_hold"].hold_s <= 10.0
    assert all(e.instructions for e in EXERCISES)


def test_daily_plan_takes_five_to_ten_minutes():
    from smilescope.measures.practice import DAILY_PLAN, plan_minutes

    assert 5.0 <= plan_minutes() <= 10.0
    assert all(k in BY_KEY for k, _ in DAILY_PLAN)


def test_streak_counts_consecutive_days_up_to_today_or_yesterday():
    from datetime import date

    from smilescope.measures.practice import streak_days

    d = date(2026, 3, 10)
    days = [date(2026, 3, 7), date(2026, 3, 8), date(2026, 3, 9)]
    assert streak_days(days, d) == 3  # today not yet done: the streak still stands
    assert streak_days(days + [d], d) == 4
    assert streak_days([date(2026, 3, 1)], d) == 0


def test_weekly_progress_against_the_first_week():
    from datetime import date

    from smilescope.measures.practice import weekly_progress

    def rep(day, right, left, score):
        return {"day": day, "exercise": "smile_hold", "hold_mm": {"right": right, "left": left},
                "balance": min(right, left) / max(right, left), "score": score}

    reps = [rep(date(2026, 3, 2), 1.0, 5.0, 50), rep(date(2026, 3, 3), 1.2, 5.0, 54),  # week 10
            rep(date(2026, 3, 23), 2.1, 5.2, 70)]  # week 13: the weak right side has recovered 1 mm
    rows = weekly_progress(reps)
    assert [(r["week"], r["reps"]) for r in rows] == [("2026-W10", 2), ("2026-W13", 1)]
    assert rows[0]["change_since_first_week"]["hold_mm"] == {"right": 0.0, "left": 0.0}
    assert rows[1]["change_since_first_week"]["hold_mm"]["right"] == pytest.approx(2.1 - 1.1)
    assert rows[1]["change_since_first_week"]["balance"] > 0.15


def _eyes(close_right=0.95, close_left=0.95, mouth_mm=0.2, hold_s=3.0, seed=2):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 12, 1 / FPS)
    prof = smile_profile(t, onset_s=2.0, rise_s=0.6, hold_s=hold_s, fall_s=0.6)
    eye_r = 10.0 * (1 - close_right * prof) + rng.normal(0, 0.1, len(t))
    eye_l = 10.0 * (1 - close_left * prof) + rng.normal(0, 0.1, len(t))
    mouth = np.abs(mouth_mm * prof + rng.normal(0, 0.1, len(t)))
    c = RepCounter(target_hold_s=3.0, kind="eye_closure")
    reps = [r for i in range(len(t)) if (r := c.push(float(t[i]), {"right": mouth[i], "left": mouth[i]},
                                                      {"right": eye_r[i], "left": eye_l[i]}, 0.1)) is not None]
    return reps


def test_a_full_gentle_eye_closure_scores_full_marks():
    (rep,) = _eyes()
    assert rep.eye_narrowing["right"] == pytest.approx(0.95, abs=0.03) and rep.eye_narrowing["left"] == pytest.approx(0.95, abs=0.03)
    assert rep.scores["closure"] == 100 and rep.scores["mouth_still"] == 100 and rep.balance > 0.95 and not rep.forced


def test_an_eye_that_does_not_close_is_named():
    (rep,) = _eyes(close_right=0.6)
    assert rep.eye_narrowing["right"] == pytest.approx(0.6, abs=0.05)
    assert rep.scores["closure"] < 40 and rep.balance == pytest.approx(0.6 / 0.95, abs=0.06)
    assert any("right eye did not close" in a for a in rep.advice)


def test_the_mouth_pulling_with_the_eyes_is_oral_synkinesis():
    (rep,) = _eyes(mouth_mm=4.0)
    assert rep.forced and rep.scores["mouth_still"] == 0 and rep.hold_mm["right"] == pytest.approx(4.0, abs=0.4)


def test_blinks_are_not_eye_closure_repetitions():
    t = np.arange(0, 10, 1 / FPS)
    eye = np.full(len(t), 10.0)
    for b in (3.0, 5.5, 8.0):  # 0.2 s full blinks
        eye[(t >= b) & (t < b + 0.2)] = 0.5
    c = RepCounter(target_hold_s=3.0, kind="eye_closure")
    got = [c.push(float(t[i]), {"right": 0.1, "left": 0.1}, {"right": eye[i], "left": eye[i]}, 0.1) for i in range(len(t))]
    assert [r for r in got if r is not None] == []


def _sided(kind, column, right, left, eye_right_close=0.0, seed=3):
    rng = np.random.default_rng(seed)
    t = np.arange(0, 10, 1 / FPS)
    prof = smile_profile(t, onset_s=2.0, rise_s=0.5, hold_s=3.0, fall_s=0.5)
    c = RepCounter(target_hold_s=3.0, kind=kind)
    reps = []
    for i in range(len(t)):
        moves = {column.format(side="right"): right * prof[i] + rng.normal(0, 0.1),
                 column.format(side="left"): left * prof[i] + rng.normal(0, 0.1)}
        eyes = {"right": 10 * (1 - eye_right_close * prof[i]), "left": 10.0}
        r = c.push(float(t[i]), {"right": 0.0, "left": 0.0}, eyes, 0.1, moves)
        reps += [r] if r is not None else []
    return reps


def test_one_sided_brow_raise_scores_low_balance():
    (rep,) = _sided("brow_raise", "brow_{side}_height_mm", 0.5, 5.0)
    assert rep.hold_mm["left"] == pytest.approx(5.0, abs=0.3) and rep.hold_mm["right"] == pytest.approx(0.5, abs=0.3)
    assert rep.balance < 0.2 and rep.scores["eyes"] == 100


def test_pucker_moves_the_corners_in_and_the_eye_closing_with_it_is_synkinesis():
    """A pucker is the corners moving towards the midline (lateral negative); the right eye closing
    half-way with it is ocular synkinesis, the classic sign after Bell's palsy."""
    (rep,) = _sided("pucker", "mouth_corner_{side}_x_mm", -3.0, -3.0, eye_right_close=0.5)
    assert rep.hold_mm["right"] == pytest.approx(3.0, abs=0.3) and rep.balance > 0.85
    assert rep.eye_narrowing["right"] == pytest.approx(0.5, abs=0.08) and rep.forced and "pucker" in rep.advice[0]
    assert _sided("pucker", "mouth_corner_{side}_x_mm", 3.0, 3.0) == []  # corners moving out is not a pucker


def test_every_movement_exercise_is_scored():
    from smilescope.measures.practice import EXERCISES, KINDS

    assert {e.key for e in EXERCISES if e.measured in KINDS} == {
        "micro_smile", "smile_hold", "brow_raise", "eye_closure", "cheek_puff", "pucker", "snarl"}


def test_micro_smiles_grow_with_progress():
    from datetime import date

    from smilescope.measures.practice import micro_smile_hold_s

    def rep(d, timing):
        return {"day": date(2026, 3, d), "scores": {"timing": timing}}

    assert micro_smile_hold_s([]) == 3.0
    assert micro_smile_hold_s([rep(1, 100), rep(1, 100), rep(2, 100)]) == 5.0  # two days held in full
    assert micro_smile_hold_s([rep(1, 100), rep(1, 80), rep(2, 100)]) == 4.0  # a short hold: that day adds none
    assert micro_smile_hold_s([rep(d, 100) for d in range(1, 20)]) == 10.0  # never beyond a gentle hold


@pytest.mark.parametrize("fps", [10.0, 30.0, 60.0])
def test_the_relaxed_eye_opening_is_the_first_third_of_a_second_at_any_frame_rate(fps):
    # the eyes start closing 0.15 s in: at 10 fps, a rest of 10 frames (1 s) would be taken mostly
    # from the closing eye and under-read the closure
    t = np.arange(0, 8, 1 / fps)
    prof = smile_profile(t, onset_s=0.15, rise_s=0.6, hold_s=3.0, fall_s=0.6)
    eye = 10.0 * (1 - 0.95 * prof)
    c = RepCounter(target_hold_s=3.0, kind="eye_closure")
    reps = [r for i in range(len(t)) if (r := c.push(float(t[i]), {"right": 0.1, "left": 0.1},
                                                      {"right": eye[i], "left": eye[i]}, 0.1)) is not None]
    (rep,) = reps
    assert rep.eye_narrowing["right"] == pytest.approx(0.95, abs=0.02)


def test_a_side_pulled_the_wrong_way_scores_no_balance_not_below_none():
    """A brow raise whose left brow falls 1.5 mm while the right rises 4 mm: the left side did
    nothing of the exercise, balance 0 (it read -38 of 100, and pulled the total down with it)."""
    from smilescope.measures.practice import score_rep

    t = np.arange(0, 2, 1 / FPS)
    p = smile_profile(t, onset_s=0.2, rise_s=0.3, hold_s=1.0, fall_s=0.3)
    eyes = {s: np.full(len(t), 10.0) for s in ("right", "left")}
    rep = score_rep(t, {"right": 4.0 * p, "left": -1.5 * p}, eyes, np.full(len(t), 0.1),
                    eye_rest_mm={"right": 10.0, "left": 10.0}, target_hold_s=1.0, movement="brow_raise")
    assert rep.scores["balance"] == 0 and all(0 <= v <= 100 for v in rep.scores.values())
