"""``smilescope triage``: file and interactive forms, JSON shape, exit codes, saving to the store."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from smilescope.assess import QUESTIONS
from smilescope.cli import app

from conftest import ROOT

runner = CliRunner()
MATCH_KEYS = {"rule_id", "level", "message", "action", "source"}
# a real analysis.json (of a shared video) that raised no flags
NO_FLAGS = json.loads((ROOT / "tests" / "data" / "golden" / "liveportrait_d0.json").read_text())


def flat(text: str) -> str:
    """Output with Rich's line wrapping undone."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def answers_file(tmp_path):
    def write(doc, name="answers.json"):
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return str(path)
    return write


def test_json_output_shape(answers_file):
    r = runner.invoke(app, ["triage", "--answers", answers_file({"one_sided": True, "stress_0_10": 8}), "--json", "--no-save"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert set(doc) == {"level", "matches", "disclaimer"}
    assert doc["level"] == "see_doctor"
    assert [m["rule_id"] for m in doc["matches"]] == ["one_sided_shaking", "stress"]
    for m in doc["matches"]:
        assert MATCH_KEYS <= set(m) <= MATCH_KEYS | {"reason"}
    assert "not a diagnosis" in doc["disclaimer"]


def test_readable_output_lists_level_rules_sources_and_disclaimer(answers_file):
    r = runner.invoke(app, ["triage", "--answers", answers_file({"eye_cannot_close": True, "caffeine_cups_per_day": 5}),
                            "--no-save"])
    assert r.exit_code == 0, r.output
    text = flat(r.stdout)
    assert "URGENT: see a doctor today" in text
    assert "An eye that cannot close" in text and "What to do:" in text and "Source: NICE CKS" in text
    assert "caffeine" in text and "not a diagnosis" in text


@pytest.fixture
def analysis_file(tmp_path):
    def write(doc, name="analysis.json"):
        path = tmp_path / name
        path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
        return str(path)
    return write


def test_analysis_flags_count(answers_file, analysis_file):
    path = analysis_file({**NO_FLAGS, "flags": [{"id": "uneven_smile", "side": "left", "why": "x"}]})
    r = runner.invoke(app, ["triage", "-a", answers_file({"sudden_onset": True}), "--analysis", path,
                            "--json", "--no-save"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"
    r = runner.invoke(app, ["triage", "-a", answers_file({"sudden_onset": True}), "--analysis", analysis_file(NO_FLAGS),
                            "--json", "--no-save"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "info"


def test_analysis_flags_count_in_the_interactive_form(analysis_file):
    path = analysis_file({**NO_FLAGS, "flags": ["uneven_smile"]})  # an early file: flags by id
    # facial weakness: no; drooping: no; sudden: yes -> the measured uneven smile makes it an emergency
    r = runner.invoke(app, ["triage", "--analysis", path, "--no-save"], input="n\nn\ny\n")
    assert r.exit_code == 0, r.output
    assert "EMERGENCY" in r.stdout and "uneven smile" in flat(r.stdout)


@pytest.mark.parametrize("change, match", [
    ({"smile": "oops"}, r"not a valid smilescope analysis \(1 problem: smile:"),
    ({"flags": "head_tremor"}, r"not a valid smilescope analysis \(1 problem: flags:"),
    ({"flags": [{"side": "left"}]}, r"flags\.0\.id: Field required"),
    ({"quality": None}, r"quality:"),
    ({"schema_version": 99}, r"has schema_version 99; this smilescope reads 3"),
])
def test_an_analysis_of_the_wrong_shape_exits_2_with_a_message(answers_file, analysis_file, change, match):
    path = analysis_file({**NO_FLAGS, **change})
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", path, "--json"])
    assert r.exit_code == 2, r.output
    err = flat(r.stderr)
    assert re.search(match, err) and f"The analysis file {path}" in err
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output and r.stdout == ""  # a message, no crash


def test_answers_from_standard_input():
    r = runner.invoke(app, ["triage", "--answers", "-", "--json", "--no-save"], input='{"severe_headache": true}')
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"


@pytest.mark.parametrize("doc, match", [
    ({"bogus": 1}, "Unknown answer key 'bogus'"),
    ({"stress_0_10": 12}, "'stress_0_10'"),
    ({"sudden_onset": "yes"}, "'sudden_onset'"),
    ("[1, 2]", "must be a JSON object"),
    ("{not json", "not valid JSON"),
    ("", "empty"),
])
def test_bad_answers_exit_2(answers_file, doc, match):
    r = runner.invoke(app, ["triage", "--answers", answers_file(doc), "--json"])
    assert r.exit_code == 2
    assert match in flat(r.stderr) and r.stdout == ""


def test_unreadable_files_and_empty_stdin_exit_2(tmp_path, answers_file):
    r = runner.invoke(app, ["triage", "--answers", str(tmp_path / "missing.json")])
    assert r.exit_code == 2 and "Cannot read the answers file" in flat(r.stderr)
    r = runner.invoke(app, ["triage", "--answers", "-"], input="")
    assert r.exit_code == 2 and "on standard input is empty" in flat(r.stderr)
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "Cannot read the analysis file" in flat(r.stderr)
    bad = tmp_path / "bad_analysis.json"
    bad.write_text('{"flags": ["head_tremor"]}')  # not an analysis.json
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(bad)])
    assert r.exit_code == 2 and "is not a smilescope analysis" in flat(r.stderr)
    bad.write_text("[1, 2]")
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(bad)])
    assert r.exit_code == 2 and "must be a JSON object {...}, got an array" in flat(r.stderr)


# --- interactive ----------------------------------------------------------------------------


def _asked(q_key: str, output: str) -> bool:
    text = next(q.text for q in QUESTIONS if q.key == q_key)
    return flat(text) in flat(output)


def replies_in_order(replies: dict[str, str]) -> str:
    """The lines a person types for ``replies`` (key -> typed text; others Enter), in the order the
    questions come, skipping follow-ups whose opening question was not answered yes."""
    lines, yes = [], set()
    for q in QUESTIONS:
        if q.ask_if and not yes & set(q.ask_if):
            continue
        text = replies.get(q.key, "")
        lines.append(text)
        if text.split("\n")[-1] in ("y", "yes"):
            yes.add(q.key)
    return "\n".join(lines) + "\n"


def test_interactive_emergency_is_shown_at_once_and_stops_the_questions():
    # facial weakness: yes; drooping: don't know; started 2 hours ago; sudden: yes
    r = runner.invoke(app, ["triage", "--no-save"], input="y\n\n2 hours\ny\n")
    assert r.exit_code == 0, r.output
    out = flat(r.stdout)
    assert "EMERGENCY" in out and "Stopping the questions here" in out
    assert out.index("EMERGENCY") < out.index("Stopping the questions")
    assert not _asked("arm_or_leg_weakness", r.stdout)  # no further questions


def test_interactive_all_dont_know_says_there_was_nothing_to_judge():
    r = runner.invoke(app, ["triage", "--no-save"], input="\n" * 100)
    assert r.exit_code == 0, r.output
    assert "Nothing to judge" in r.stdout and "Nothing worrying" not in r.stdout
    # weakness follow-ups are skipped when weakness was not reported
    assert not _asked("forehead_spared", r.stdout) and not _asked("onset_hours_ago", r.stdout)
    assert _asked("low_mood_weeks", r.stdout)


def test_interactive_reasks_bad_input_and_reads_numbers():
    replies = {q.key: "n" for q in QUESTIONS if q.kind == "bool"}
    replies.update({"any_shaking": "y", "one_sided": "maybe\ny", "caffeine_cups_per_day": "lots\n-3\n5",
                    "sleep_hours": "6,5"})
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input=replies_in_order(replies))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # the questions went to stderr
    ids = [m["rule_id"] for m in doc["matches"]]
    assert doc["level"] == "see_doctor" and ids == ["one_sided_shaking", "poor_sleep", "caffeine"]
    caffeine = next(q for q in QUESTIONS if q.key == "caffeine_cups_per_day")
    assert "please answer y, n" in r.stderr and f"please give a number from 0 to {caffeine.hi:g}" in flat(r.stderr)


def test_interactive_follow_up_questions_after_weakness():
    # weakness yes, drooping no, onset 10 h ago, sudden no, forehead spared no, not examined, arm/speech/vision/headache no
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="y\nn\n10\nn\nn\nn\nn\nn\nn\nn\n" + "\n" * 40)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["level"] == "urgent" and doc["matches"][0]["rule_id"] == "new_facial_weakness_72h"


def test_interactive_weakness_begun_hours_ago_with_sudden_unknown_is_an_emergency_once_asked():
    """Weakness 2 h ago: the questions go on to "sudden?" (not stopped early on a question not
    yet asked); "don't know" there makes it an emergency and stops; "no" does not."""
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="y\nn\n2\n\n" + "n\n" * 40)
    assert r.exit_code == 0, r.output
    assert _asked("sudden_onset", r.stderr) and "Stopping the questions here" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["level"] == "emergency" and doc["matches"][0]["rule_id"] == "stroke_recent_face_unsure_if_sudden"
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="y\nn\n2\nn\n" + "n\n" * 40)
    assert json.loads(r.stdout)["level"] == "urgent" and "Stopping the questions here" not in r.stderr


def test_interactive_end_of_input_assesses_what_was_given():
    # weakness, drooping, sudden, arm/leg, speech: no; sudden balance or vision loss: yes
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="n\nn\nn\nn\nn\ny\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"
    # input ends after two answers: the rest stay "don't know"; drooping whose start and pace
    # are not known counts as sudden and within the stroke window
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="n\ny\n")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["level"] == "emergency" and doc["matches"][0]["rule_id"] == "stroke_recent_face_unsure_if_sudden"
    # the same drooping known to have come on slowly: not an emergency by itself
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="n\ny\n\nn\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] != "emergency"


def test_interactive_onset_in_weeks_three_weeks_after_a_sudden_onset_is_not_an_emergency():
    # issue 12 item 13: weakness yes, drooping no, started "3 weeks" ago, sudden yes; a doctor has examined it
    replies = {"facial_weakness": "y", "drooping": "n", "onset_hours_ago": "3 weeks", "sudden_onset": "y",
               "forehead_spared": "n", "doctor_examined": "y"}
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input=replies_in_order(replies))
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["level"] == "see_doctor"
    assert doc["matches"][0]["rule_id"] == "examined_follow_up"
    assert "hours since it started: 504" in doc["matches"][0]["reason"]
    assert "EMERGENCY" not in r.stderr and _asked("arm_or_leg_weakness", r.stderr)  # the questions went on


@pytest.mark.parametrize("typed, hours", [("36", 36), ("36 h", 36), ("2 days", 48), ("1,5 d", 36), ("1 week", 168)])
def test_interactive_onset_accepts_hours_days_or_weeks(typed, hours):
    replies = {"facial_weakness": "y", "onset_hours_ago": typed, "sudden_onset": "y", "doctor_examined": "n"}
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input=replies_in_order(replies))
    assert r.exit_code == 0, r.output
    reasons = " ".join(m["reason"] for m in json.loads(r.stdout)["matches"])
    assert f"hours since it started: {hours}" in reasons


def test_three_weeks_after_a_sudden_onset_from_a_file_is_not_an_emergency(answers_file):
    # the case of the issue, as an answers file
    r = runner.invoke(app, ["triage", "--answers", answers_file({"sudden_onset": True, "onset_hours_ago": 504,
                                                                 "facial_weakness": True}), "--no-save"])
    assert r.exit_code == 0, r.output
    assert "EMERGENCY" not in r.stdout and "See a doctor" in r.stdout
    r = runner.invoke(app, ["triage", "--answers", answers_file({"sudden_onset": True, "onset_hours_ago": 5,
                                                                 "facial_weakness": True}), "--no-save"])
    assert "EMERGENCY: call emergency services now" in r.stdout


def test_interactive_no_shaking_skips_the_shaking_questions_and_advice():
    # issue 12 item 14: "no" to any shaking: none of the shaking or everyday-factor questions, no shaking advice
    replies = {q.key: "n" for q in QUESTIONS if q.kind == "bool"}
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input=replies_in_order(replies))
    assert r.exit_code == 0, r.output
    assert _asked("any_shaking", r.stderr)
    for key in ("one_sided", "starts_at_eye", "at_rest", "duration_days", "caffeine_cups_per_day", "water_glasses_per_day"):
        assert not _asked(key, r.stderr), key
    assert _asked("low_mood_weeks", r.stderr)
    assert json.loads(r.stdout)["level"] == "info"


def test_no_shaking_in_a_file_gets_no_shaking_advice_and_a_contradiction_exits_2(answers_file):
    path = answers_file({"any_shaking": False, "one_sided": False, "water_glasses_per_day": 5, "stress_0_10": 9,
                         "caffeine_cups_per_day": 6, "sleep_hours": 5})
    r = runner.invoke(app, ["triage", "--answers", path, "--json", "--no-save"])
    assert r.exit_code == 0, r.output
    assert [m["rule_id"] for m in json.loads(r.stdout)["matches"]] == ["nothing_found"]
    r = runner.invoke(app, ["triage", "--answers", answers_file({"any_shaking": False, "at_rest": True}), "--no-save"])
    assert r.exit_code == 2 and "any_shaking: false" in flat(r.stderr) and "at_rest: true" in flat(r.stderr)


def test_help_lists_every_answer_key_and_flags_take_no_value():
    r = runner.invoke(app, ["triage", "--help"], terminal_width=200)
    assert r.exit_code == 0
    for q in QUESTIONS:
        assert q.key in r.stdout, q.key
    assert "onset_weeks_ago" in r.stdout
    for line in r.stdout.splitlines():
        if "--json" in line or "--no-save" in line:
            assert "<bool>" not in line and "BOOLEAN" not in line, line


def test_answers_with_a_utf8_byte_order_mark_are_read(tmp_path):
    path = tmp_path / "answers.json"
    path.write_bytes("\ufeff".encode() + json.dumps({"severe_headache": True}).encode())
    r = runner.invoke(app, ["triage", "--answers", str(path), "--json", "--no-save"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"
    r = runner.invoke(app, ["triage", "--answers", "-", "--json", "--no-save"], input='\ufeff{"severe_headache": true}')
    assert r.exit_code == 0, r.output


# --- saving -------------------------------------------------------------------------------------


def _stored_triage():
    from smilescope.store import Store

    with Store() as store:
        return store.export()["triage"]


def test_result_is_saved_to_the_store_unless_no_save(answers_file):
    pytest.importorskip("smilescope.store")
    path = answers_file({"one_sided": True})
    r = runner.invoke(app, ["triage", "--answers", path, "--json"])
    assert r.exit_code == 0, r.output
    saved = _stored_triage()
    assert len(saved) == 1
    assert saved[0]["level"] == "see_doctor" and saved[0]["answers"] == {"one_sided": True}
    assert saved[0]["result"]["matches"][0]["rule_id"] == "one_sided_shaking"
    r = runner.invoke(app, ["triage", "--answers", path, "--no-save"])
    assert r.exit_code == 0 and len(_stored_triage()) == 1


def test_store_off_or_broken_never_hides_the_guidance(answers_file, monkeypatch, tmp_path):
    pytest.importorskip("smilescope.store")
    path = answers_file({"speech_difficulty": True})
    monkeypatch.setenv("SMILESCOPE_DB", "off")
    r = runner.invoke(app, ["triage", "--answers", path, "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["level"] == "emergency" and r.stderr == ""
    r = runner.invoke(app, ["triage", "--answers", path, "--json", "--db", "nosuchdb://x"])
    # the guidance is shown; it was asked to be kept and was not: exit status 2
    assert r.exit_code == 2 and json.loads(r.stdout)["level"] == "emergency"
    assert "warning:" in r.stderr and "not saved" in r.stderr


STROKE = {"facial_weakness": True, "sudden_onset": True, "onset_hours_ago": 2}


@pytest.mark.parametrize("mistake, match", [
    ({"any_shaking": False, "one_sided": True}, "any_shaking: false"),  # "one side" read as the weak side
    ({"stres_0_10": 5}, "Unknown answer key 'stres_0_10'"),
    ({"sleep_hours": 30}, "'sleep_hours'"),
    ({"onset_days_ago": 0.1}, "onset is given more than once"),
])
@pytest.mark.parametrize("as_json", [False, True])
def test_a_faulty_answers_file_that_states_a_stroke_still_shows_the_emergency(answers_file, mistake, match, as_json):
    """Sudden facial weakness 2 hours ago is an emergency whatever mistake sits beside it in the
    file: before, the mistake stopped the command (exit 2) and no emergency message was shown.
    The mistake still stops it, after the emergency message."""
    r = runner.invoke(app, ["triage", "--answers", answers_file({**STROKE, **mistake}), "--no-save",
                            *(["--json"] if as_json else [])])
    assert r.exit_code == 2
    shown = flat(r.stderr if as_json else r.stdout)
    assert "EMERGENCY: call emergency services now" in shown and "already an emergency" in shown
    assert match in flat(r.stderr)
    if as_json:
        assert r.stdout == ""  # no half JSON document: the emergency goes with the error


@pytest.mark.parametrize("doc", [{"stres_0_10": 5}, {"facial_weakness": True, "onset_hours_ago": 200, "sudden_onset": True,
                                                        "bogus": 1}])
def test_a_faulty_answers_file_without_an_emergency_shows_only_the_mistake(answers_file, doc):
    r = runner.invoke(app, ["triage", "--answers", answers_file(doc), "--no-save"])
    assert r.exit_code == 2 and "EMERGENCY" not in r.output and "Unknown answer key" in flat(r.stderr)


def test_the_answers_used_from_a_faulty_file_are_only_those_right_on_their_own():
    from smilescope.assess import usable_answers

    assert usable_answers({"facial_weakness": True, "stress_0_10": 12, "bogus": 1, "onset_days_ago": 1}) == \
        {"facial_weakness": True, "onset_hours_ago": 24.0}
    # two onsets: neither is used (a time not known counts as inside the stroke window)
    assert usable_answers({"onset_hours_ago": 2, "onset_weeks_ago": 3}) == {}
    assert usable_answers({"any_shaking": False, "one_sided": True, "at_rest": False}) == {"any_shaking": False, "at_rest": False}
