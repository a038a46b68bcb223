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
    ({"smile": "oops"}, r"not a valid smilescope analysis \(1 problems: smile:"),
    ({"flags": "head_tremor"}, r"not a valid smilescope analysis \(1 problems: flags:"),
    ({"flags": [{"side": "left"}]}, r"flags\.0\.id: Field required"),
    ({"quality": None}, r"quality:"),
    ({"schema_version": 99}, r"has schema_version 99; this smilescope reads 1"),
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
    assert r.exit_code == 2 and "standard input are empty" in flat(r.stderr)
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(tmp_path / "none.json")])
    assert r.exit_code == 2 and "Cannot read the analysis file" in flat(r.stderr)
    bad = tmp_path / "bad_analysis.json"
    bad.write_text('{"flags": ["head_tremor"]}')  # not an analysis.json
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(bad)])
    assert r.exit_code == 2 and "has schema_version None" in flat(r.stderr)
    bad.write_text("[1, 2]")
    r = runner.invoke(app, ["triage", "-a", answers_file({}), "--analysis", str(bad)])
    assert r.exit_code == 2 and "must be a JSON object, got list" in flat(r.stderr)


# --- interactive ----------------------------------------------------------------------------


def _asked(q_key: str, output: str) -> bool:
    text = next(q.text for q in QUESTIONS if q.key == q_key)
    return flat(text) in flat(output)


def test_interactive_emergency_is_shown_at_once_and_stops_the_questions():
    # facial weakness: yes; drooping: don't know; sudden: yes
    r = runner.invoke(app, ["triage", "--no-save"], input="y\n\ny\n")
    assert r.exit_code == 0, r.output
    out = flat(r.stdout)
    assert "EMERGENCY" in out and "Stopping the questions here" in out
    assert out.index("EMERGENCY") < out.index("Stopping the questions")
    assert not _asked("arm_or_leg_weakness", r.stdout)  # no further questions


def test_interactive_all_dont_know_gives_nothing_found():
    r = runner.invoke(app, ["triage", "--no-save"], input="\n" * 100)
    assert r.exit_code == 0, r.output
    assert "Nothing worrying found" in r.stdout
    # weakness follow-ups are skipped when weakness was not reported
    assert not _asked("forehead_spared", r.stdout) and not _asked("onset_hours_ago", r.stdout)
    assert _asked("low_mood_weeks", r.stdout)


def test_interactive_reasks_bad_input_and_reads_numbers():
    keys = [q.key for q in QUESTIONS if not q.ask_if]
    replies = {k: "n" for k in keys if next(q for q in QUESTIONS if q.key == k).kind == "bool"}
    replies.update({"one_sided": "maybe\ny", "caffeine_cups_per_day": "lots\n-3\n5", "sleep_hours": "6,5"})
    lines = "\n".join(replies.get(k, "") for k in keys) + "\n"
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input=lines)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)  # the questions went to stderr
    ids = [m["rule_id"] for m in doc["matches"]]
    assert doc["level"] == "see_doctor" and ids == ["one_sided_shaking", "poor_sleep", "caffeine"]
    assert "please answer y, n" in r.stderr and "please give a number from 0 to 50" in flat(r.stderr)


def test_interactive_follow_up_questions_after_weakness():
    # weakness yes, drooping no, sudden no, forehead spared no, arm/speech/vision/headache no, onset 10 h ago
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="y\nn\nn\nn\nn\nn\nn\nn\n10\n" + "\n" * 40)
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["level"] == "urgent" and doc["matches"][0]["rule_id"] == "new_facial_weakness_72h"


def test_interactive_end_of_input_assesses_what_was_given():
    # weakness, drooping, sudden, arm/leg, speech: no; sudden balance or vision loss: yes
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="n\nn\nn\nn\nn\ny\n")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["level"] == "emergency"
    # input ends after two answers: the rest stay "don't know"
    r = runner.invoke(app, ["triage", "--no-save", "--json"], input="n\ny\n")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["level"] == "see_doctor" and [m["rule_id"] for m in doc["matches"]] == ["with_other_symptoms"]


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
