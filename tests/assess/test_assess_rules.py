"""The rule table: it loads, every rule can match and gives its level, and malformed tables fail
with a message naming the rule."""

from __future__ import annotations

import itertools
import re

import pytest

from smilescope.assess import LEVELS, RuleFileError, assess, load_rules, parse_rules
from smilescope.assess.questions import BY_KEY, FLAG_IDS
from smilescope.assess.rules import NOTHING_GIVEN, All, AnswerCmp, AnswerIs, AnswerKnown, Any, Flag
from smilescope.measures import flags as measured

RULES = load_rules()
RANK = {lvl: i for i, lvl in enumerate(LEVELS)}


# --- minimal inputs generated from the table -------------------------------------------


def _number_satisfying(key: str, op: str, bound: float) -> float:
    q = BY_KEY[key]
    if op in ("gte", "lte"):
        return bound
    x = bound + 1 if op == "gt" else bound - 1
    return min(max(x, q.lo), q.hi) if q.lo < x < q.hi else (bound + (q.hi if op == "gt" else q.lo)) / 2


def witnesses(cond) -> list[tuple[dict, set]]:
    """Every minimal (answers, flags) that makes ``cond`` hold: one per branch of each ``any``."""
    if isinstance(cond, AnswerIs):
        return [({cond.key: cond.value}, set())]
    if isinstance(cond, AnswerCmp):
        return [({cond.key: _number_satisfying(cond.key, cond.op, cond.bound)}, set())]
    if isinstance(cond, AnswerKnown):
        q = BY_KEY[cond.key]
        return [({cond.key: (True if q.kind == "bool" else q.lo) if cond.known else None}, set())]
    if isinstance(cond, Flag):
        return [({}, {cond.id})]
    if isinstance(cond, Any):
        return [w for c in cond.items for w in witnesses(c)]
    if isinstance(cond, All):
        out = []
        for combo in itertools.product(*(witnesses(c) for c in cond.items)):
            # a key two branches set differently (two bounds on one number): try each value
            choices: dict = {}
            flags = set()
            for a, f in combo:
                for k, v in a.items():
                    choices.setdefault(k, []).append(v)
                flags |= f
            keys = list(choices)
            for values in itertools.product(*(choices[k] for k in keys)):
                answers = dict(zip(keys, values))
                if cond.why(answers, dict.fromkeys(flags, "")) is not None:
                    out.append((answers, flags))
                    break
        return out
    raise AssertionError(f"unknown condition {cond!r}")


CONDITIONAL = [r for r in RULES if r.when is not None and r.when != NOTHING_GIVEN]  # not otherwise / nothing_given
CASES = [(r, a, f) for r in CONDITIONAL for a, f in witnesses(r.when)]


def _id(case):
    rule, answers, flags = case
    return f"{rule.id}:{'+'.join([*answers, *sorted(flags)])}"


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_every_rule_matches_its_minimal_inputs(case):
    rule, answers, flags = case
    result = assess(answers, flags=[measured.Flag(id=f, side="none", why="") for f in sorted(flags)])
    by_id = {m.rule_id: m for m in result.matches}
    assert rule.id in by_id
    assert by_id[rule.id].level == rule.level
    assert RANK[result.level] <= RANK[rule.level]
    assert by_id[rule.id].reason  # names what made it match


def test_table_covers_every_level_and_is_sourced():
    assert {r.level for r in RULES} == set(LEVELS)
    assert len({r.id for r in RULES}) == len(RULES)
    for r in RULES:
        assert r.message and r.action and len(r.source) > 10, r.id
    # each rule id appears in the generated cases (the otherwise and nothing_given rules aside)
    assert {c[0].id for c in CASES} == {r.id for r in CONDITIONAL}


def test_every_flag_is_used_by_some_rule():
    used = {f for _, _, flags in CASES for f in flags}
    assert used == set(FLAG_IDS)


def test_required_rules_are_present_at_their_levels():
    levels = {r.id: r.level for r in RULES}
    expected = {
        "stroke_sudden_face": "emergency", "stroke_recent_face_unsure_if_sudden": "emergency",
        "stroke_forehead_spared": "emergency", "stroke_other_signs": "emergency",
        "ramsay_hunt_signs": "urgent", "new_facial_weakness_72h": "urgent", "eye_cannot_close": "urgent",
        "weakness_both_sides": "urgent", "weakness_with_neuro_signs": "urgent",
        "one_sided_shaking": "see_doctor", "eye_to_mouth_spread": "see_doctor", "shaking_at_rest_or_sleep": "see_doctor",
        "persistent_or_worsening": "see_doctor", "with_other_symptoms": "see_doctor", "eyelid_twitch": "see_doctor",
        "dopamine_blocker_movements": "see_doctor", "palsy_not_improving_3_weeks": "see_doctor",
        "synkinesis": "see_doctor", "low_mood": "see_doctor", "measured_head_tremor": "see_doctor",
        "measured_uneven_smile": "see_doctor",
        "benign_bilateral_shaking": "self_care", "stress": "self_care", "poor_sleep": "self_care",
        "caffeine": "self_care", "dehydration": "self_care", "nothing_found": "info", "nothing_answered": "info",
    }
    assert {k: levels.get(k) for k in expected} == expected


def test_self_care_rules_say_when_to_check_back():
    for r in RULES:
        if r.level == "self_care":
            assert re.search(r"not better in \d+ weeks?", r.action), r.id


def test_emergency_rules_say_to_call_and_note_the_time():
    for r in RULES:
        if r.level == "emergency":
            assert "Call emergency services now" in r.action and "time it started" in r.action, r.id


# --- malformed tables ------------------------------------------------------------------

GOOD = """
rules:
  - id: a_rule
    level: see_doctor
    when: {answer: one_sided, is: true}
    message: m
    action: a
    source: s
  - id: fallback
    level: info
    when: otherwise
    message: m
    action: a
    source: s
"""


def test_a_small_table_parses_and_applies():
    rules = parse_rules(GOOD)
    assert [r.id for r in rules] == ["a_rule", "fallback"]
    assert assess({"one_sided": True}, rules=rules).level == "see_doctor"
    assert [m.rule_id for m in assess({}, rules=rules).matches] == ["fallback"]


@pytest.mark.parametrize("old, new, match", [
    ("{answer: one_sided, is: true}", "{answer: one_side, is: true}", r"rule 'a_rule'.*unknown answer key 'one_side'"),
    ("{answer: one_sided, is: true}", "{flag: wobble}", r"rule 'a_rule'.*unknown flag 'wobble'"),
    ("{answer: one_sided, is: true}", "{answer: one_sided, gte: 1}", r"rule 'a_rule'.*yes/no answer"),
    ("{answer: one_sided, is: true}", "{answer: stress_0_10, is: true}", r"rule 'a_rule'.*number answer"),
    ("{answer: one_sided, is: true}", "{answer: stress_0_10, gte: 7, lt: 9}", r"rule 'a_rule'.*exactly one"),
    ("{answer: one_sided, is: true}", "{any: []}", r"rule 'a_rule'.*non-empty list"),
    ("{answer: one_sided, is: true}", "{all: [{flag: head_tremor}], flag: synkinesis}", r"rule 'a_rule'.*stand alone"),
    ("{answer: one_sided, is: true}", "{nope: 1}", r"rule 'a_rule'.*cannot read the condition"),
    ("level: see_doctor", "level: soon", r"rule 'a_rule'.*unknown level 'soon'"),
    ("    source: s\n  - id: fallback", "  - id: fallback", r"rule 'a_rule'.*missing source"),
    ("    message: m\n    action: a\n    source: s\n  - id: fallback",
     "    message: m\n    action: a\n    source: s\n    colour: red\n  - id: fallback", r"rule 'a_rule'.*unknown field"),
    ("id: fallback", "id: a_rule", r"rule 'a_rule'.*used twice"),
    ("id: a_rule", "id: A Rule", r"rule 'A Rule'.*snake_case"),
    ("    when: otherwise", "    when: {flag: head_tremor}", r"no 'when: otherwise' rule"),
    ("    source: s\n  - id: fallback", "    source: s\n    reason: '{colour}'\n  - id: fallback", r"rule 'a_rule'.*reason template"),
    ("    source: s\n  - id: fallback", "    source: ''\n  - id: fallback", r"rule 'a_rule'.*'source' must be non-empty"),
    ("    level: see_doctor", "    level: see_doctor\n    level: urgent", r"line \d+: the key 'level' is given twice"),
    ("rules:", "rulez:", r"top-level 'rules:'"),
    ("    when: {answer", "    when: {answer: [", r"not valid YAML"),
])
def test_a_malformed_table_is_an_error_naming_the_rule(old, new, match):
    assert old in GOOD
    with pytest.raises(RuleFileError, match=match):
        parse_rules(GOOD.replace(old, new, 1), origin="test.yaml")


def test_reason_template_fills_answers_and_matched():
    table = GOOD.replace("    source: s\n  - id: fallback",
                         "    source: s\n    reason: '{matched}; stress {stress_0_10}, sleep {sleep_hours}'\n  - id: fallback", 1)
    m = assess({"one_sided": True, "stress_0_10": 8}, rules=parse_rules(table)).matches[0]
    assert m.reason == "shaking on one side only: yes; stress 8, sleep don't know"


def test_load_rules_from_a_path(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(GOOD)
    assert [r.id for r in load_rules(path)] == ["a_rule", "fallback"]
    with pytest.raises(RuleFileError, match="cannot read"):
        load_rules(tmp_path / "missing.yaml")
    path.write_text(GOOD.replace("one_sided, is", "one_sidd, is"))
    with pytest.raises(RuleFileError, match=r"r\.yaml: rule 'a_rule'"):
        load_rules(path)
