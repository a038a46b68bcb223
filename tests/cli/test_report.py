"""`smilescope report`: files written, exit codes and messages for bad input."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.results import Analysis
from smilescope.store import Store
from smilescope.store.models import Analysis as AnalysisRow

from report_data import analysis_folder

runner = CliRunner()


def _said(r) -> str:
    """What the command printed, with the console's line wrapping undone."""
    return " ".join(r.output.split())


@pytest.fixture
def folder(tmp_path_factory, tmp_path):
    """A private copy of the real analysis folder (reports are written into it)."""
    src = analysis_folder(tmp_path_factory)
    dst = tmp_path / "run"
    shutil.copytree(src, dst)
    return dst


def test_report_beside_the_analysis(folder):
    r = runner.invoke(app, ["report", str(folder / "analysis.json")])
    assert r.exit_code == 0, r.output
    html = (folder / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "d0.mp4" in html
    assert html.count("data:image/png;base64,") >= 2  # signals.csv beside it gives the figures
    assert not list(folder.glob(".report.html.*"))  # no temporary file left behind


def test_report_out_and_without_signals(folder, tmp_path):
    (folder / "signals.csv").unlink()
    out = tmp_path / "elsewhere" / "mine.html"
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--out", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    assert "data:image/png" not in html and "signals.csv" in html


@pytest.mark.parametrize("damage", ["a cell", "a time"])
def test_a_damaged_signals_csv_is_a_clear_error_not_a_bug(folder, damage):
    """One cell 'abc', or a time 'nan', in signals.csv gave "internal error: ValueError ... This is
    a bug" (exit 1): now exit 2 naming what is wrong and what to do, and no report."""
    path = folder / "signals.csv"
    lines = path.read_text().splitlines()
    head = lines[0].split(",")
    row = lines[5].split(",")
    row[head.index("t_s" if damage == "a time" else "mouth_corner_left_x_mm")] = "nan" if damage == "a time" else "abc"
    lines[5] = ",".join(row)
    path.write_text("\n".join(lines) + "\n")
    r = runner.invoke(app, ["report", str(folder / "analysis.json")])
    said = " ".join(r.output.split())
    assert r.exit_code == 2 and "internal error" not in said, said
    assert ("'abc', which is not a number" in said) if damage == "a cell" else ("not finite and increasing" in said)
    assert "unedited" in said and not (folder / "report.html").exists()


def test_history_from_the_store_appears(folder):
    doc = json.loads((folder / "analysis.json").read_text())
    with Store() as store:  # the private test database (SMILESCOPE_DB)
        for _ in range(2):
            store.add_analysis(Analysis.from_dict(doc), source=str(folder))
    r = runner.invoke(app, ["report", str(folder / "analysis.json")])
    assert r.exit_code == 0, r.output
    assert "2 analyses are stored" in (folder / "report.html").read_text()


def test_missing_file_exits_2(tmp_path):
    r = runner.invoke(app, ["report", str(tmp_path / "nope.json")])
    assert r.exit_code == 2
    assert "does not exist" in _said(r) and "smilescope analyze" in _said(r)


def test_not_an_analysis_exits_2(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"hello": 1}')
    r = runner.invoke(app, ["report", str(p)])
    assert r.exit_code == 2 and "not a smilescope analysis" in _said(r)


def _wrong(doc: dict, what: str) -> str:
    """``doc`` as JSON text with one part of the wrong shape."""
    deep = 5000
    if what == "block as text":
        return json.dumps(dict(doc, smile="a smile"))
    if what == "list of nulls":
        return json.dumps(dict(doc, shake=dict(doc["shake"], twitches=[None, None])))
    if what == "block as a list of nulls":
        return json.dumps(dict(doc, quality=[None, None]))
    if what == "nested in a block":
        return json.dumps(dict(doc, smile=dict(doc["smile"], episodes="X"))).replace('"X"', "[" * 500 + "]" * 500)
    if what == "nested too deeply":
        return json.dumps(dict(doc, smile="X")).replace('"X"', "[" * deep + "]" * deep)
    raise ValueError(what)


@pytest.mark.parametrize(("what", "said"), [
    ("block as text", "smile: Input should be a dictionary"),
    ("list of nulls", "twitches.twitches.0: Input should be a dictionary"),
    ("block as a list of nulls", "quality: Input should be a dictionary"),
    ("nested in a block", "smile.episodes.0: Input should be a dictionary"),
    ("nested too deeply", "nested too deeply"),
])
def test_an_analysis_of_the_wrong_shape_exits_2(folder, what, said):
    doc = json.loads((folder / "analysis.json").read_text())
    bad = folder / "analysis.json"
    bad.write_text(_wrong(doc, what))
    r = runner.invoke(app, ["report", str(bad)])
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit) and "Traceback" not in r.output  # a message, not a crash
    assert str(bad) in _said(r) and said in _said(r) and "smilescope analyze" in _said(r)
    assert not (folder / "report.html").exists()


def test_deep_nesting_in_a_free_text_field_is_no_crash(folder):
    doc = json.loads((folder / "analysis.json").read_text())
    doc["smile"]["thresholds"]["sources"] = "X"  # a plain dict in the schema: anything passes the validation
    (folder / "analysis.json").write_text(json.dumps(doc).replace('"X"', "[" * 900 + "]" * 900))
    r = runner.invoke(app, ["report", str(folder / "analysis.json")])
    assert r.exit_code in (0, 2) and "Traceback" not in r.output, r.output


def test_last_with_a_stored_analysis_of_the_wrong_shape_exits_2(folder):
    doc = json.loads((folder / "analysis.json").read_text())
    with Store() as store:  # a document damaged in the database (the store itself refuses to write one)
        store.add_analysis(Analysis.from_dict(doc), source=str(folder))
        with store.engine.begin() as conn:
            conn.execute(update(AnalysisRow).values(doc=dict(doc, smile="a smile")))
    r = runner.invoke(app, ["report", "--last"])
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit), r.output
    assert "the last stored analysis is not a valid smilescope analysis" in _said(r)


def test_neither_file_nor_last_exits_2():
    r = runner.invoke(app, ["report"])
    assert r.exit_code == 2 and "--last" in _said(r)


def test_last_with_an_empty_store_exits_2():
    r = runner.invoke(app, ["report", "--last"])
    assert r.exit_code == 2
    assert "No analysis is stored yet" in _said(r)


def test_last_reports_the_stored_analysis(folder, tmp_path, monkeypatch):
    doc = json.loads((folder / "analysis.json").read_text())
    with Store() as store:
        store.add_analysis(Analysis.from_dict(doc), source=str(folder))
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["report", "--last", "--out", "last.html"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "last.html").read_text()
    assert "d0.mp4" in html and "data:image/png;base64," in html  # signals.csv found through the stored source


def test_bad_answers_exit_2(folder, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"no_such_question": true}')
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--answers", str(answers)])
    assert r.exit_code == 2 and "no_such_question" in _said(r)


def test_bad_answers_that_state_a_stroke_still_show_the_emergency(folder, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"sudden_onset": true, "drooping": true, "no_such_question": true}')
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--answers", str(answers)])
    assert r.exit_code == 2 and "EMERGENCY: call emergency services now" in _said(r) and "no_such_question" in _said(r)
    assert not (folder / "report.html").exists()


def test_answers_change_the_guidance(folder, tmp_path):
    answers = tmp_path / "answers.json"
    answers.write_text('{"sudden_onset": true, "drooping": true}')
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--answers", str(answers)])
    assert r.exit_code == 0, r.output
    assert "level-emergency" in (folder / "report.html").read_text()


def test_pdf_without_a_browser_exits_2_and_keeps_the_html(folder, monkeypatch):
    import smilescope.report.browser as browser

    monkeypatch.setattr(browser, "find_chromium", lambda: None)
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--pdf"])
    assert r.exit_code == 2
    assert "apt-get install chromium" in _said(r) and "report.html" in _said(r)
    assert (folder / "report.html").is_file() and not (folder / "report.pdf").exists()


def _saved(level: str, message: str) -> dict:
    return {"level": level, "disclaimer": "",
            "matches": [{"rule_id": f"r_{level}", "level": level, "message": message, "action": "Act now.",
                         "source": "NHS FAST", "reason": "sudden_onset"}]}


def test_last_shows_the_latest_saved_triage_and_its_date(folder, tmp_path, monkeypatch):
    """Issue 12 item 15: after saved EMERGENCY and URGENT results, the report said "Nothing
    worrying was found"; it shows the latest saved result, with its date, at the top."""
    doc = json.loads((folder / "analysis.json").read_text())
    with Store() as store:
        store.add_analysis(Analysis.from_dict(doc), source=str(folder))
        store.add_triage(_saved("emergency", "Possible stroke: call emergency services."), {"sudden_onset": True})
        store.add_triage(_saved("urgent", "See a doctor today about the facial weakness."), {"sudden_onset": True})
        saved_on = store.last_triage()["created_at"].strftime("%Y-%m-%d %H:%M")
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["report", "--last", "--out", "last.html"])
    assert r.exit_code == 0, r.output
    html = (tmp_path / "last.html").read_text()
    text = " ".join(html.split())
    assert "Nothing worrying was found" not in text
    assert f"Your latest questionnaire result, saved on {saved_on}" in text
    assert "See a doctor today about the facial weakness." in text  # the latest one: urgent
    lead = text.split('<section id="guidance">', 1)[1].split("</p>", 1)[0]
    assert "level-urgent" in lead and f"saved on {saved_on}" in lead  # the more pressing level leads
    # "What to do" comes before the details of the recording
    assert text.index('<section id="guidance">') < text.index('<section id="overview">')


def test_answers_given_now_come_before_an_earlier_saved_result(folder, tmp_path, monkeypatch):
    """An "info" result saved earlier, then answers of sudden weakness given with the report:
    the report showed the old "nothing worrying" first, under the emergency heading."""
    doc = json.loads((folder / "analysis.json").read_text())
    with Store() as store:
        store.add_analysis(Analysis.from_dict(doc), source=str(folder))
        store.add_triage(_saved("info", "Nothing worrying was found in what you told us."), {"any_shaking": False})
    answers = tmp_path / "answers.json"
    answers.write_text('{"sudden_onset": true, "drooping": true}')
    r = runner.invoke(app, ["report", str(folder / "analysis.json"), "--answers", str(answers), "--out", str(tmp_path / "r.html")])
    assert r.exit_code == 0, r.output
    text = " ".join((tmp_path / "r.html").read_text().split())
    guidance = text.split('<section id="guidance">', 1)[1].split("</section>", 1)[0]
    assert "level-emergency" in guidance.split("</p>", 1)[0]  # the lead
    assert guidance.index("From your answers and this recording") < guidance.index("Your earlier questionnaire result")
    assert "Your latest questionnaire result" not in guidance


def test_without_answers_the_measurements_alone_do_not_claim_answers(folder):
    r = runner.invoke(app, ["report", str(folder / "analysis.json")])
    assert r.exit_code == 0, r.output
    text = " ".join((folder / "report.html").read_text().split())
    assert "in what you told us" not in text
    assert "No questionnaire answers were given for this report" in text


def test_the_report_history_is_the_same_persons():
    """A clinician's store holds several people: the report on Zoë's video shows Zoë's rows
    (no subject: the rows without one); an analysis not in the store leaves the history as it is."""
    import pandas as pd

    from smilescope.cli.report import same_person

    h = pd.DataFrame({"source": ["/o/a1", "/o/z1", "/o/z2", "/o/n1"], "subject": ["alice", "Zoë", "Zoë", None]})
    assert list(same_person(h, "/o/z2")["source"]) == ["/o/z1", "/o/z2"]
    assert list(same_person(h, "/o/n1")["source"]) == ["/o/n1"]
    assert len(same_person(h, "/o/elsewhere")) == 4


def test_with_a_saved_questionnaire_the_measured_only_guidance_does_not_deny_it():
    from datetime import datetime

    from smilescope.assess import assess
    from smilescope.report.html import MEASURED_ONLY, MEASURED_ONLY_SAVED, _guidance

    saved = {"level": "see_doctor", "result": {"level": "see_doctor", "matches": []}, "created_at": datetime(2026, 1, 2)}
    g = _guidance(assess(None, flags=[]), saved_triage=saved)
    assert g["now"]["matches"][0]["message"] == MEASURED_ONLY_SAVED and "No questionnaire answers" not in MEASURED_ONLY_SAVED
    assert _guidance(assess(None, flags=[]))["now"]["matches"][0]["message"] == MEASURED_ONLY
    # nor does its reason claim answers: it read "no warning sign among the answers and measured flags"
    reason = g["now"]["matches"][0]["reason"]
    assert reason.startswith("no warning sign among the measured flags (no answers were given") and "the answers and" not in reason
    with_answers = _guidance(assess({"facial_weakness": False, "drooping": False}, flags=[]), answers_given=True)
    assert with_answers["now"]["matches"][0]["reason"].startswith("no warning sign among the answers and measured flags")
