"""Guidance that fits the person (issue 12, items 13, 14 and 16): time since onset and an earlier
examination set the level; shaking advice only for shaking; every source named so a person can
find it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smilescope.assess import QUESTIONS, assess, load_rules, validate_answers
from smilescope.errors import BadInputError
from smilescope.measures.flags import Flag

RULES = {r.id: r for r in load_rules()}
BACKGROUND = Path("/work/shared/background")  # the lay articles; the text checks skip without them


def ids(result) -> set[str]:
    return {m.rule_id for m in result.matches}


# --- item 13: time since onset, and whether a doctor has examined it ----------------------------


SUDDEN = {"sudden_onset": True, "facial_weakness": True}


@pytest.mark.parametrize("onset, examined, level, rule", [
    (None, None, "emergency", "stroke_sudden_face"),            # time not known: inside the window
    (0, True, "emergency", "stroke_sudden_face"),
    (6, None, "emergency", "stroke_sudden_face"),
    (24, True, "emergency", "stroke_sudden_face"),              # still within the 24 h of NICE NG128
    (25, None, "urgent", "sudden_weakness_not_examined"),
    (48, False, "urgent", "new_facial_weakness_72h"),           # Bell's palsy: steroids within 72 h
    (100, False, "urgent", "sudden_weakness_not_examined"),
    (168, None, "urgent", "sudden_weakness_not_examined"),
    (169, False, "see_doctor", "sudden_weakness_not_examined_week"),
    (504, None, "see_doctor", "sudden_weakness_not_examined_week"),   # the case of the issue
    (504, True, "see_doctor", "examined_follow_up"),
    (48, True, "see_doctor", "examined_follow_up"),
])
def test_time_since_onset_bands(onset, examined, level, rule):
    r = assess({**SUDDEN, "onset_hours_ago": onset, "doctor_examined": examined})
    assert r.level == level and rule in ids(r), [(m.rule_id, m.level) for m in r.matches]
    if level != "emergency":
        assert not any("Call emergency services now" in m.action for m in r.matches)


def test_three_weeks_after_a_sudden_onset_is_not_an_emergency():
    r = assess({"sudden_onset": True, "onset_hours_ago": 504, "facial_weakness": True})
    assert r.level != "emergency"
    assert r.level == "see_doctor" and "palsy_not_improving_3_weeks" in ids(r)


def test_forehead_sparing_follows_the_same_window():
    assert assess({"drooping": True, "forehead_spared": True}).level == "emergency"
    assert assess({"drooping": True, "forehead_spared": True, "onset_hours_ago": 12}).level == "emergency"
    r = assess({"drooping": True, "forehead_spared": True, "onset_hours_ago": 72})
    assert r.level == "urgent" and "sudden_weakness_not_examined" in ids(r)


def test_a_measured_uneven_smile_with_a_sudden_onset_three_weeks_ago_is_not_an_emergency():
    flags = [Flag("uneven_smile", "left", "left corner moves less")]
    assert assess({"sudden_onset": True}, flags=flags).level == "emergency"
    assert assess({"sudden_onset": True, "onset_days_ago": 21}, flags=flags).level == "see_doctor"


@pytest.mark.parametrize("answers, hours", [
    ({"onset_hours_ago": 36}, 36), ({"onset_days_ago": 1.5}, 36), ({"onset_weeks_ago": 3}, 504),
    ({"onset_days_ago": None}, None),
])
def test_onset_in_hours_days_or_weeks(answers, hours):
    clean = validate_answers({**SUDDEN, **answers})
    assert clean["onset_hours_ago"] == hours and "onset_days_ago" not in clean and "onset_weeks_ago" not in clean


@pytest.mark.parametrize("answers, match", [
    ({"onset_hours_ago": 5, "onset_days_ago": 2}, "onset is given more than once"),
    ({"onset_weeks_ago": -1}, "'onset_weeks_ago'.*from 0 to .* weeks"),
    ({"onset_days_ago": "3 days"}, "'onset_days_ago'"),
])
def test_bad_onsets_are_refused(answers, match):
    with pytest.raises(BadInputError, match=match):
        validate_answers(answers)


def test_doctor_examined_is_asked_after_weakness_and_onset_before_sudden():
    order = [q.key for q in QUESTIONS]
    assert order.index("onset_hours_ago") < order.index("sudden_onset")  # the stop at "sudden" knows the time
    q = next(q for q in QUESTIONS if q.key == "doctor_examined")
    assert q.kind == "bool" and set(q.ask_if) == {"facial_weakness", "drooping"}


# --- item 14: shaking advice only for shaking; the fluid tip says what its source says -----------

SHAKING_ADVICE = {"one_sided_shaking", "eye_to_mouth_spread", "shaking_at_rest_or_sleep", "persistent_or_worsening",
                  "eyelid_twitch", "dopamine_blocker_movements", "benign_bilateral_shaking", "stress", "poor_sleep",
                  "caffeine", "dehydration"}


def test_someone_without_shaking_gets_no_shaking_advice():
    answers = {"any_shaking": False, "one_sided": False, "starts_at_eye": False, "worsening": False,
               "duration_days": 30, "dopamine_blocking_medication": True, "caffeine_cups_per_day": 8,
               "sleep_hours": 4, "stress_0_10": 10, "water_glasses_per_day": 2}
    assert not ids(assess(answers)) & SHAKING_ADVICE
    # the same everyday answers with shaking (or not saying) do give the tips
    for shaking in (True, None):
        assert {"caffeine", "poor_sleep", "stress", "dehydration"} <= ids(assess({**answers, "any_shaking": shaking}))


def test_measured_shaking_still_counts_after_no_shaking():
    r = assess({"any_shaking": False}, flags=[Flag("one_sided_shaking", "left", "6 Hz")])
    assert r.level == "see_doctor" and "one_sided_shaking" in ids(r)


def test_shaking_questions_come_after_the_shaking_question():
    for q in QUESTIONS:
        if q.key in {"one_sided", "starts_at_eye", "spreading", "at_rest", "during_sleep", "duration_days",
                     "ear_clicking", "caffeine_cups_per_day", "sleep_hours", "stress_0_10", "water_glasses_per_day"}:
            assert q.ask_if == ("any_shaking",), q.key
    order = [q.key for q in QUESTIONS]
    assert order.index("any_shaking") < min(order.index(k) for k in ("one_sided", "water_glasses_per_day"))


def test_describing_a_shaking_after_no_shaking_is_refused():
    with pytest.raises(BadInputError, match=r"any_shaking: false.*one_sided: true"):
        validate_answers({"any_shaking": False, "one_sided": True})


def test_five_glasses_tip_says_what_its_sources_say():
    r = assess({"any_shaking": True, "water_glasses_per_day": 5})
    tip = next(m for m in r.matches if m.rule_id == "dehydration")
    # the amount is the NHS Eatwell Guide's, where tea, coffee and milk count as fluid
    assert "6 to 8" in tip.message and "6 to 8" in tip.action and "Eatwell Guide" in tip.source
    assert "tea" in tip.action and "coffee" in tip.action
    q = next(q for q in QUESTIONS if q.key == "water_glasses_per_day")
    assert "tea" in q.text and "coffee" in q.text  # the question counts the same drinks as the guide
    # 5 glasses is below a guide, not a finding of dehydration; no foods or supplements the source does not name
    assert "may" in tip.message and "Too little fluid upsets" not in tip.message
    for word in ("banana", "nuts", "leafy", "supplement"):
        assert word not in (tip.message + tip.action).lower()
    article = BACKGROUND / "002_e9510524a4fe0f35.txt"
    if article.is_file():  # the article's own words on what dehydration does
        text = article.read_text(encoding="utf-8")
        assert "Dehydration can affect muscle function" in text and "balance of electrolytes" in text
        assert "Common Explanations for Facial Tremors" in text and "Common Explanations for Facial Tremors" in tip.source


# --- item 16: sources a person can check --------------------------------------------------------

YEAR_OR_UNDATED = re.compile(r"\b(19|20)\d\d\b|undated")
TITLES = {  # lay article -> its title as cited, and a sentence of its text that the citation points to
    "000_dda05c552ca05c56.txt": ("Why can't I smile?", "Do’s and Don’ts of Addressing Smiling Difficulties"),
    "002_e9510524a4fe0f35.txt": ("Why does my face shake when I smile?", "Less Common Causes and When to Seek Medical Advice"),
    "003_f9ad0d3ccf7ca096.txt": ("Why does my face shake when I smile?", "Understanding Warning Signs and Next Steps"),
}


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_each_source_names_title_publisher_and_year(rule_id):
    source = RULES[rule_id].source
    assert not re.search(r"seed article|REFERENCE\.md|\bA00\d\b", source, re.I), source
    assert YEAR_OR_UNDATED.search(source), source
    assert '"' in source  # a title, in quotes
    for part in re.split(r";\s*", source):
        if '"' in part and not part.startswith(("2 weeks", "7 of 10", "504", "2160")):
            # every cited work: a quoted title, then a publisher or journal, then a year or "undated"
            assert re.search(r'"[^"]+".*(\b(19|20)\d\d\b|undated)', part) or re.search(r'\b(19|20)\d\d\b.*"[^"]+"', part) \
                or 'NICE' in part, (rule_id, part)


def test_lay_article_citations_point_to_sections_that_exist():
    if not BACKGROUND.is_dir():
        pytest.skip("the background articles are not on this machine")
    sections = re.compile(r'section[s]? "([^"]+)"|"Do\'s and Don\'ts"|FAQ "([^"]+)"')
    texts = {name: (BACKGROUND / name).read_text(encoding="utf-8") for name in TITLES}
    assert "Why Does My Face Shake When I Smile?" in texts["002_e9510524a4fe0f35.txt"]
    for rule in RULES.values():
        for m in sections.finditer(rule.source):
            name = m.group(1) or m.group(2)
            if name:
                assert any(name in t for t in texts.values()), (rule.id, name)
