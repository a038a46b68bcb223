"""assess(): hand-written clinical cases, precedence, measured flags, and answer validation."""

from __future__ import annotations

import dataclasses

import json
import math

import pytest

from smilescope.assess import ANSWER_KEYS, DISCLAIMER, LEVELS, assess, measured_flags, validate_answers
from smilescope.errors import BadInputError
from smilescope.measures.flags import Flag
from smilescope.results import Analysis

from conftest import ROOT

RANK = {lvl: i for i, lvl in enumerate(LEVELS)}
GOLDEN = ROOT / "tests" / "data" / "golden"


def golden(name: str) -> Analysis:
    """The analysis of a shared video, read back from its golden analysis.json."""
    return Analysis.from_dict(json.loads((GOLDEN / f"{name}.json").read_text()), source=name)


def flag(fid: str, side: str = "none", why: str = "") -> Flag:
    return Flag(id=fid, side=side, why=why)


def ids(result) -> set[str]:
    return {m.rule_id for m in result.matches}


# --- emergency: stroke warning signs (BE-FAST) -----------------------------------------


@pytest.mark.parametrize("answers", [
    {"sudden_onset": True, "drooping": True},
    {"sudden_onset": True, "facial_weakness": True},
    {"sudden_onset": True, "facial_weakness": True, "drooping": False, "onset_hours_ago": 20},
    {"sudden_onset": True, "drooping": True, "onset_hours_ago": 24, "doctor_examined": True},
    {"sudden_onset": True, "drooping": True, "onset_hours_ago": None, "doctor_examined": False},
])
def test_sudden_facial_weakness_or_droop_is_an_emergency(answers):
    r = assess(answers)
    assert r.level == "emergency" and "stroke_sudden_face" in ids(r)
    assert "Call emergency services" in r.matches[0].action


@pytest.mark.parametrize("measured", [
    {}, {"analysis": None}, {"flags": None}, {"flags": []},
    {"flags": [flag("uneven_smile", "none", "symmetric")]},
    {"analysis": golden("liveportrait_d0")},  # a real analysis with no flags
    {"analysis": golden("liveportrait_d10")},  # one with flags
], ids=["nothing", "analysis_none", "flags_none", "no_flags", "a_flag", "analysis_no_flags", "analysis_flags"])
def test_sudden_droop_is_an_emergency_whatever_is_measured(measured):
    assert assess({"sudden_onset": True, "drooping": True}, **measured).level == "emergency"


@pytest.mark.parametrize("key", ["arm_or_leg_weakness", "speech_difficulty", "vision_or_balance_loss", "severe_headache"])
def test_each_other_be_fast_sign_alone_is_an_emergency(key):
    r = assess({key: True})
    assert r.level == "emergency" and ids(r) == {"stroke_other_signs"}


def test_forehead_sparing_weakness_counts_as_stroke():
    r = assess({"facial_weakness": True, "forehead_spared": True, "sudden_onset": False})
    assert r.level == "emergency" and "stroke_forehead_spared" in ids(r)
    # forehead moving, but no weakness said or measured: not a stroke sign by itself
    assert assess({"forehead_spared": True}).level == "info"


def test_measured_uneven_smile_with_sudden_onset_is_an_emergency():
    r = assess({"sudden_onset": True}, flags=[flag("uneven_smile", "left", "left moved 40% less")])
    assert r.level == "emergency" and "stroke_sudden_face" in ids(r)
    assert "uneven smile" in r.matches[0].reason and "sudden onset: yes" in r.matches[0].reason
    # the same flag without sudden onset: see a doctor
    r = assess({"sudden_onset": False}, flags=[flag("uneven_smile")])
    assert r.level == "see_doctor" and "measured_uneven_smile" in ids(r)


def test_the_flags_of_an_analysis_are_read():
    # d10 (a woman talking) no longer raises a flag of its own (no relaxed face: no sides judged),
    # so the analysis is given one: the engine must read the flags an analysis carries
    d10 = dataclasses.replace(golden("liveportrait_d10"),
                              flags=[flag("uneven_smile", "left", "the left mouth corner moves less than the right")])
    r = assess({"sudden_onset": True}, d10)
    assert r.level == "emergency" and "stroke_sudden_face" in ids(r)
    assert "uneven smile, left side" in r.matches[0].reason
    assert ids(assess(None, d10)) == ids(assess(None, flags=d10.flags)) >= {"measured_uneven_smile"}
    assert assess(None, golden("liveportrait_d0")).level == "info"  # nothing measured, nothing told


@pytest.mark.parametrize("answers", [{"sudden_onset": None, "drooping": True, "onset_hours_ago": 72},
                                     {"sudden_onset": False, "drooping": True}, {"sudden_onset": True}])
def test_not_sudden_or_not_known_sudden_is_not_an_emergency_by_itself(answers):
    assert assess(answers).level != "emergency"


def test_weakness_with_neither_its_pace_nor_its_start_known_is_an_emergency():
    """Woken up with it: the person cannot say when it began or whether it came on suddenly.
    Each unknown counts as the dangerous answer (it was "see a doctor: book an appointment")."""
    for key in ("facial_weakness", "drooping"):
        r = assess({key: True, "sudden_onset": None, "onset_hours_ago": None, "doctor_examined": False})
        assert r.level == "emergency" and "stroke_recent_face_unsure_if_sudden" in ids(r)
        assert "last seen without it" in r.matches[0].action


@pytest.mark.parametrize("hours", [0.5, 2, 24])
def test_weakness_that_began_within_a_day_is_an_emergency_unless_known_not_sudden(hours):
    """Begun within the stroke window, weakness whose pace the person does not know may have
    been sudden: treated as sudden. Known to have come on slowly, or begun longer ago, it is not
    an emergency by this rule."""
    for key in ("facial_weakness", "drooping"):
        r = assess({key: True, "onset_hours_ago": hours})
        assert r.level == "emergency" and "stroke_recent_face_unsure_if_sudden" in ids(r)
        assert "treated as sudden" in r.matches[0].reason
    assert "stroke_recent_face_unsure_if_sudden" not in ids(assess({"drooping": True, "onset_hours_ago": hours,
                                                                    "sudden_onset": False}))
    assert "stroke_recent_face_unsure_if_sudden" not in ids(assess({"drooping": True, "onset_hours_ago": 30}))


# --- urgent (same day) -------------------------------------------------------------------


@pytest.mark.parametrize("extra", [{"ear_pain_or_blisters": True}, {"hearing_change": True}])
def test_weakness_with_ear_signs_is_urgent_ramsay_hunt(extra):
    r = assess({"facial_weakness": True, "sudden_onset": False, **extra})
    assert r.level == "urgent" and "ramsay_hunt_signs" in ids(r)


@pytest.mark.parametrize("hours, urgent", [(0, True), (24, True), (72, True), (72.5, False), (200, False)])
def test_new_weakness_within_72_hours_is_urgent(hours, urgent):
    r = assess({"drooping": True, "sudden_onset": False, "onset_hours_ago": hours})
    assert ("new_facial_weakness_72h" in ids(r)) is urgent
    assert r.level == ("urgent" if urgent else "see_doctor")


@pytest.mark.parametrize("answers, rule", [
    ({"eye_cannot_close": True}, "eye_cannot_close"),
    ({"both_sides_weak": True}, "weakness_both_sides"),
    ({"facial_weakness": True, "sudden_onset": False, "numbness": True}, "weakness_with_neuro_signs"),
    ({"facial_weakness": True, "sudden_onset": False, "worsening": True}, "weakness_with_neuro_signs"),
])
def test_same_day_signs_are_urgent(answers, rule):
    r = assess(answers)
    assert r.level == "urgent" and rule in ids(r)


# --- see a doctor ----------------------------------------------------------------------


@pytest.mark.parametrize("answers, rule", [
    ({"one_sided": True}, "one_sided_shaking"),
    ({"starts_at_eye": True, "spreading": True}, "eye_to_mouth_spread"),
    ({"at_rest": True}, "shaking_at_rest_or_sleep"),
    ({"during_sleep": True}, "shaking_at_rest_or_sleep"),
    ({"worsening": True}, "persistent_or_worsening"),
    ({"spreading": True}, "persistent_or_worsening"),
    ({"duration_days": 15}, "persistent_or_worsening"),
    ({"numbness": True}, "with_other_symptoms"),
    ({"hearing_change": True}, "with_other_symptoms"),
    ({"ear_clicking": True}, "with_other_symptoms"),
    ({"drooping": True, "onset_hours_ago": 200}, "with_other_symptoms"),
    ({"starts_at_eye": True, "duration_days": 15}, "eyelid_twitch"),
    ({"dopamine_blocking_medication": True}, "dopamine_blocker_movements"),
    ({"facial_weakness": True, "onset_hours_ago": 504}, "palsy_not_improving_3_weeks"),
    ({"facial_weakness": True, "onset_weeks_ago": 3}, "palsy_not_improving_3_weeks"),
    ({"facial_weakness": True, "onset_days_ago": 90}, "synkinesis"),
    ({"low_mood_weeks": 2}, "low_mood"),
])
def test_see_doctor_signs(answers, rule):
    r = assess(answers)
    assert r.level == "see_doctor" and rule in ids(r)


@pytest.mark.parametrize("answers, rule", [
    ({"duration_days": 14}, "persistent_or_worsening"),
    ({"starts_at_eye": True, "duration_days": 14}, "eyelid_twitch"),
    ({"starts_at_eye": True}, "eye_to_mouth_spread"),
    ({"facial_weakness": True, "onset_hours_ago": 503}, "palsy_not_improving_3_weeks"),
    ({"facial_weakness": True, "onset_hours_ago": 2159}, "synkinesis"),
    ({"duration_days": 90}, "synkinesis"),
    ({"low_mood_weeks": 1.5}, "low_mood"),
])
def test_below_the_thresholds_the_rule_does_not_match(answers, rule):
    assert rule not in ids(assess(answers))


def test_medication_rule_says_contact_prescriber_and_not_to_stop():
    m = next(m for m in assess({"dopamine_blocking_medication": True}).matches)
    assert "prescribes" in m.action and "Do not stop" in m.action


def test_low_mood_points_to_doctor_or_therapist():
    m = assess({"low_mood_weeks": 6}).matches[0]
    assert m.rule_id == "low_mood" and "doctor or a therapist" in m.action and "depression" in m.message


# --- self care ---------------------------------------------------------------------------


@pytest.mark.parametrize("answers, rule, below", [
    ({"one_sided": False}, "benign_bilateral_shaking", {"one_sided": None}),
    ({"stress_0_10": 7}, "stress", {"stress_0_10": 6.9}),
    ({"sleep_hours": 6.5}, "poor_sleep", {"sleep_hours": 7}),
    ({"caffeine_cups_per_day": 4}, "caffeine", {"caffeine_cups_per_day": 3}),
    ({"water_glasses_per_day": 5}, "dehydration", {"water_glasses_per_day": 6}),
])
def test_self_care_factors_and_their_thresholds(answers, rule, below):
    r = assess(answers)
    assert r.level == "self_care" and ids(r) == {rule}
    r = assess(below)
    nothing = all(v is None for v in below.values())  # "don't know" alone: nothing answered
    assert r.level == "info" and ids(r) == ({"nothing_answered"} if nothing else {"nothing_found"})


def test_several_everyday_factors_are_all_listed():
    r = assess({"one_sided": False, "caffeine_cups_per_day": 5, "sleep_hours": 5, "stress_0_10": 9,
                "water_glasses_per_day": 2})
    assert r.level == "self_care"
    assert ids(r) == {"benign_bilateral_shaking", "caffeine", "poor_sleep", "stress", "dehydration"}


# --- info ----------------------------------------------------------------------------------


@pytest.mark.parametrize("answers", [{"sudden_onset": False}, {"sudden_onset": False, "one_sided": None, "stress_0_10": 3,
                                                                  "sleep_hours": 8}])
def test_nothing_found_when_nothing_matches(answers):
    r = assess(answers)
    assert r.level == "info" and ids(r) == {"nothing_found"}
    assert "not a diagnosis" in r.matches[0].message
    # answers alone: nothing was measured, and "nothing found" does not say it was
    assert "what was measured" not in r.matches[0].message and "Nothing was measured here" in r.matches[0].message
    assert "measured flags" not in r.matches[0].reason
    with_flags = assess(answers, flags=[]).matches[0]
    assert "what you told us and what was measured" in with_flags.message


@pytest.mark.parametrize("answers", [None, {}, {"sudden_onset": None, "stress_0_10": None}])
def test_nothing_answered_and_nothing_measured_says_so(answers):
    """With no answer and no analysis, "nothing worrying was found" would claim more than was
    looked at; with an analysis that raised no flag, nothing was found in it."""
    r = assess(answers)
    assert r.level == "info" and ids(r) == {"nothing_answered"}
    assert "nothing to judge" in r.matches[0].message and "emergency" in r.matches[0].action
    assert ids(assess(answers, flags=[])) == {"nothing_found"}


def test_info_rule_is_left_out_when_anything_matches():
    assert "nothing_found" not in ids(assess({"caffeine_cups_per_day": 6}))


# --- precedence ----------------------------------------------------------------------------


def test_emergency_wins_and_every_match_is_listed_highest_first():
    answers = {"speech_difficulty": True, "facial_weakness": True, "ear_pain_or_blisters": True, "one_sided": True,
               "stress_0_10": 9, "onset_hours_ago": 5}
    r = assess(answers, flags=[flag("head_tremor")])
    assert r.level == "emergency"
    assert {"stroke_other_signs", "ramsay_hunt_signs", "new_facial_weakness_72h", "one_sided_shaking",
            "with_other_symptoms", "measured_head_tremor", "stress"} <= ids(r)
    ranks = [RANK[m.level] for m in r.matches]
    assert ranks == sorted(ranks)
    assert {m.level for m in r.matches} == {"emergency", "urgent", "see_doctor", "self_care"}


def test_reason_names_every_answer_and_flag_that_matched():
    r = assess({"one_sided": True}, flags=[flag("one_sided_shaking", "right", "5.2 Hz, right cheek")])
    reason = next(m.reason for m in r.matches if m.rule_id == "one_sided_shaking")
    assert "one side only: yes" in reason and "right side" in reason and "5.2 Hz, right cheek" in reason


def test_to_dict_shape_and_disclaimer():
    d = assess({"one_sided": True}).to_dict()
    assert set(d) == {"level", "matches", "disclaimer"}
    assert set(d["matches"][0]) == {"rule_id", "level", "message", "action", "source", "reason"}
    assert d["disclaimer"] == DISCLAIMER
    assert "not a diagnosis" in DISCLAIMER and "emergency services" in DISCLAIMER


# --- measured flags --------------------------------------------------------------------------


@pytest.mark.parametrize("fid, rule", [
    ("one_sided_shaking", "one_sided_shaking"), ("eye_to_mouth_spread", "eye_to_mouth_spread"),
    ("shaking_at_rest", "shaking_at_rest_or_sleep"), ("synkinesis", "synkinesis"),
    ("frequent_eyelid_closure", "eyelid_twitch"), ("head_tremor", "measured_head_tremor"),
    ("uneven_smile", "measured_uneven_smile"),
])
def test_a_measured_flag_alone_raises_to_see_doctor(fid, rule):
    for f in (flag(fid), flag(fid, "left", "measured")):
        r = assess(None, flags=[f])
        assert r.level == "see_doctor" and rule in ids(r)
    # even when the person said the opposite ("no") or only self-care things
    r = assess({"one_sided": False, "at_rest": False, "caffeine_cups_per_day": 6}, flags=[flag(fid)])
    assert r.level == "see_doctor"


def test_measured_flags_reading():
    assert measured_flags(None) == {}
    assert measured_flags([]) == {}
    got = measured_flags([flag("head_tremor"), flag("synkinesis", "left", "eye narrows 35%"),
                          flag("a_future_flag", "left", "newer file"), flag("head_tremor", "both", "second")])
    assert set(got) == {"head_tremor", "synkinesis"}  # ids the rules do not know are ignored
    assert got["head_tremor"] == "head tremor"  # the first of a repeated id
    assert "left side" in got["synkinesis"] and "eye narrows 35%" in got["synkinesis"]


def test_an_early_files_bare_flag_ids_count():
    doc = json.loads((GOLDEN / "liveportrait_d0.json").read_text())
    r = assess(None, Analysis.from_dict({**doc, "flags": ["head_tremor", "a_future_flag"]}))
    assert r.level == "see_doctor" and ids(r) == {"measured_head_tremor"}


@pytest.mark.parametrize("measured, match", [
    ({"analysis": {"flags": ["head_tremor"]}}, r"'analysis'.*expected a smilescope Analysis.*got dict.*from_dict"),
    ({"analysis": [1, 2]}, r"'analysis'.*got list"),
    ({"flags": ["head_tremor"]}, r"Invalid measured flag 'head_tremor'.*expected a smilescope Flag, got str"),
    ({"flags": [{"id": "head_tremor"}]}, r"Invalid measured flag.*got dict"),
    ({"analysis": golden("liveportrait_d0"), "flags": []}, r"Both 'analysis' and 'flags'"),
])
def test_bad_measured_input_is_refused(measured, match):
    with pytest.raises(BadInputError, match=match):
        assess({}, **measured)


# --- validation --------------------------------------------------------------------------------


def test_answer_keys_are_the_contract():
    assert set(ANSWER_KEYS) == {
        "sudden_onset", "facial_weakness", "drooping", "forehead_spared", "arm_or_leg_weakness", "speech_difficulty",
        "vision_or_balance_loss", "severe_headache", "numbness", "hearing_change", "ear_clicking",
        "ear_pain_or_blisters", "eye_cannot_close", "both_sides_weak", "one_sided", "starts_at_eye", "spreading",
        "at_rest", "during_sleep", "worsening", "duration_days", "onset_hours_ago", "dopamine_blocking_medication",
        "caffeine_cups_per_day", "sleep_hours", "stress_0_10", "water_glasses_per_day", "low_mood_weeks",
        "doctor_examined", "any_shaking"}


def test_valid_answers_pass_through():
    raw = {"sudden_onset": None, "one_sided": False, "stress_0_10": 10, "sleep_hours": 7.5, "duration_days": 0}
    assert validate_answers(raw) == raw
    assert validate_answers(None) == {}


@pytest.mark.parametrize("raw, match", [
    ({"sudden": True}, r"Unknown answer key 'sudden'.*Allowed keys: .*sudden_onset"),
    ({1: True}, r"Unknown answer key 1"),
    ({"sudden_onset": "yes"}, r"'sudden_onset'.*'yes'.*true, false or null"),
    ({"sudden_onset": 1}, r"'sudden_onset'.*true, false or null"),
    ({"stress_0_10": 11}, r"'stress_0_10'.*from 0 to 10"),
    ({"stress_0_10": -1}, r"'stress_0_10'"),
    ({"stress_0_10": True}, r"'stress_0_10'.*a number"),
    ({"stress_0_10": "7"}, r"'stress_0_10'"),
    ({"sleep_hours": 25}, r"'sleep_hours'.*from 0 to 24"),
    ({"sleep_hours": math.nan}, r"'sleep_hours'"),
    ({"caffeine_cups_per_day": math.inf}, r"'caffeine_cups_per_day'"),
    ({"water_glasses_per_day": -0.5}, r"'water_glasses_per_day'"),
    ({"duration_days": 10**400}, r"'duration_days'"),
    ({"low_mood_weeks": [2]}, r"'low_mood_weeks'"),
])
def test_bad_answers_name_the_key_and_what_is_allowed(raw, match):
    with pytest.raises(BadInputError, match=match):
        validate_answers(raw)
    with pytest.raises(BadInputError):
        assess(raw)


def test_answers_must_be_a_mapping():
    with pytest.raises(BadInputError, match="must be an object"):
        validate_answers([("one_sided", True)])


def test_nothing_found_names_what_the_video_could_not_show():
    """d10 is talking throughout: smile movement, tremor, twitches and eye narrowing could not be
    judged. "Nothing worrying was found" alone told a person worried about a twitch that none
    was found; the parts not judged are now named, with why in the reason."""
    r = assess({"facial_weakness": False, "drooping": False, "sudden_onset": False}, golden("liveportrait_d10"))
    (m,) = r.matches
    assert m.rule_id == "nothing_found" and "could not be judged" in m.message
    assert "twitches" in m.message and "shaking (tremor)" in m.message
    assert "talking" in m.reason
    judged = assess({"facial_weakness": False}, golden("liveportrait_d0"))
    names = [w for w, _ in golden("liveportrait_d0").not_judged()]
    assert ("could not be judged" in judged.matches[0].message) == bool(names)


@pytest.mark.parametrize("answers", [None, {}, {"sudden_onset": None}])
def test_nothing_found_from_a_video_alone_does_not_speak_of_answers(answers):
    """With nothing answered (no answers, or only "don't know"), "Nothing worrying was found in
    what you told us" claimed answers nobody gave: it speaks of the measurements alone, and says
    the video could not show what it could not."""
    r = assess(answers, golden("liveportrait_d0"))
    m = r.matches[0]
    assert r.level == "info" and "what you told us" not in m.message and "No questions were answered" in m.message
    assert "not a diagnosis" in m.message and "answers and measured flags" not in m.reason
    told = assess({"facial_weakness": False}, golden("liveportrait_d0")).matches[0]
    assert "what you told us" in told.message
