"""Property tests: random answer sets and flag sets never crash, give a valid level that is never
below any matched rule, and an emergency sign always gives an emergency."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from smilescope.assess import FLAG_IDS, LEVELS, QUESTIONS, assess, validate_answers
from smilescope.assess.questions import SHAKING_SIGNS
from smilescope.errors import BadInputError
from smilescope.store.core import LIMITS
from smilescope.measures.flags import Flag

RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


def _value(q):
    if q.kind == "bool":
        return st.none() | st.booleans()
    return st.none() | st.integers(int(q.lo), int(q.hi)) | st.floats(q.lo, q.hi, allow_nan=False)


def _consistent(a: dict) -> dict:
    """Answer sets a person can give: no shaking described after "no shaking" (refused as bad input)."""
    if a.get("any_shaking") is False and any(a.get(k) is True for k in SHAKING_SIGNS):
        a = {k: v for k, v in a.items() if k != "any_shaking"}
    return a


answers_st = st.fixed_dictionaries({}, optional={q.key: _value(q) for q in QUESTIONS}).map(_consistent)
flag_item = st.builds(Flag, id=st.sampled_from(FLAG_IDS), side=st.sampled_from(["left", "right", "both", "none"]),
                      why=st.text(max_size=20))
flags_st = st.none() | st.lists(flag_item, max_size=8)


STROKE_WINDOW_H = 24  # thrombectomy up to 24 h after onset (NICE NG128)


def is_emergency_by_be_fast(a: dict, flags: set[str]) -> bool:
    """The stroke warning signs, written out here independently of the rule table: any other
    BE-FAST sign, or a face sign that came on suddenly (or spares the forehead) within the
    stroke window, an unknown onset counting as within."""
    told = a.get("facial_weakness") is True or a.get("drooping") is True
    face = told or "uneven_smile" in flags
    onset = a.get("onset_hours_ago")
    in_window = onset is None or onset <= STROKE_WINDOW_H
    return (any(a.get(k) is True for k in ("arm_or_leg_weakness", "speech_difficulty", "vision_or_balance_loss",
                                           "severe_headache"))
            or (a.get("sudden_onset") is True and face and in_window)
            # weakness the person reports, whose pace they do not know, counts as sudden in the window
            or (a.get("sudden_onset") is None and told and in_window)
            or (a.get("forehead_spared") is True and face and in_window))


def flag_ids(flags) -> set[str]:
    return {f.id for f in flags or []}


@settings(max_examples=300, deadline=None)
@given(answers=answers_st, flags=flags_st)
def test_random_inputs_give_a_valid_consistent_result(answers, flags):
    r = assess(answers, flags=flags)
    assert r.level in LEVELS
    assert r.matches, "a person always gets a message"
    ranks = [RANK[m.level] for m in r.matches]
    assert ranks == sorted(ranks)  # highest level first
    assert RANK[r.level] == min(ranks)  # never below any matched rule
    assert len({m.rule_id for m in r.matches}) == len(r.matches)
    assert all(m.reason and m.source for m in r.matches)
    d = r.to_dict()
    assert d["level"] == r.level and "not a diagnosis" in d["disclaimer"]


@settings(max_examples=300, deadline=None)
@given(answers=answers_st, flags=flags_st)
def test_an_emergency_sign_is_always_an_emergency_and_nothing_else_is(answers, flags):
    assert (assess(answers, flags=flags).level == "emergency") == is_emergency_by_be_fast(answers, flag_ids(flags))


@settings(max_examples=200, deadline=None)
@given(answers=answers_st, flags=flags_st,
       sign=st.sampled_from([{"arm_or_leg_weakness": True}, {"speech_difficulty": True},
                             {"vision_or_balance_loss": True}, {"severe_headache": True},
                             {"sudden_onset": True, "drooping": True}, {"sudden_onset": True, "facial_weakness": True}]),
       onset=st.none() | st.floats(0, STROKE_WINDOW_H) | st.integers(0, STROKE_WINDOW_H))
def test_adding_an_emergency_sign_within_the_stroke_window_to_anything_gives_an_emergency(answers, flags, sign, onset):
    # whatever else was answered, a doctor's earlier examination included
    assert assess({**answers, **sign, "onset_hours_ago": onset}, flags=flags).level == "emergency"


@settings(max_examples=200, deadline=None)
@given(answers=answers_st, flags=flags_st, onset=st.floats(STROKE_WINDOW_H, 24 * 365 * 100, exclude_min=True),
       examined=st.sampled_from([True, False, None]))
def test_sudden_face_weakness_past_the_window_is_never_an_emergency_by_itself(answers, flags, onset, examined):
    # "sudden onset" 3 weeks ago is not "call emergency services now"; it is still never "nothing found"
    a = {**answers, "sudden_onset": True, "facial_weakness": True, "onset_hours_ago": onset, "doctor_examined": examined}
    for k in ("arm_or_leg_weakness", "speech_difficulty", "vision_or_balance_loss", "severe_headache"):
        a.pop(k, None)
    r = assess(a, flags=flags)
    assert r.level != "emergency"
    assert RANK[r.level] <= RANK["see_doctor"]
    if examined is not True and onset <= 24 * 7:
        assert r.level == "urgent"  # not yet examined, within the week: today


@settings(max_examples=200, deadline=None)
@given(answers=answers_st, flags=flags_st, extra=st.lists(flag_item, min_size=1, max_size=4))
def test_measured_flags_never_lower_a_level_or_remove_a_warning(answers, flags, extra):
    before = assess(answers, flags=flags)
    after = assess(answers, flags=[*(flags or []), *extra])
    assert RANK[after.level] <= RANK[before.level]
    assert {m.rule_id for m in before.matches if m.level != "info"} <= {m.rule_id for m in after.matches}
    assert after.level == "see_doctor" or RANK[after.level] < RANK["see_doctor"]


@settings(max_examples=100, deadline=None)
@given(answers=answers_st, key=st.text(min_size=1, max_size=12).filter(lambda k: k not in {q.key for q in QUESTIONS}))
def test_unknown_keys_are_always_refused(answers, key):
    with pytest.raises(BadInputError, match="Unknown answer key"):
        validate_answers({**answers, key: True})


def test_the_questionnaire_takes_the_same_everyday_numbers_as_the_diary():
    """Caffeine, drinks, sleep and stress are asked by triage and kept by the diary: a number one
    accepts and the other refuses as a slip would confuse the person typing it."""
    asked = {q.key: q for q in QUESTIONS}
    for question, diary in (("caffeine_cups_per_day", "caffeine_cups"), ("water_glasses_per_day", "water_glasses"),
                            ("sleep_hours", "sleep_hours"), ("stress_0_10", "stress_0_10")):
        q, limit = asked[question], LIMITS[diary]
        assert (q.lo, q.hi) == (limit.low, limit.high), (question, diary)
