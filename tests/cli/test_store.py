"""The diary, journal, history and data commands through the real command line."""

from __future__ import annotations

import json
import stat
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.store import Store
from smilescope.testing import synth

from conftest import FACES
from store_month import START, load, month

runner = CliRunner()


@pytest.fixture
def db(tmp_path):
    return f"sqlite:///{tmp_path}/cli.db"


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_diary_add_then_edit_then_list(db):
    r = run("diary", "add", "--date", "2024-05-01", "--caffeine", 3, "--sleep", 6.5, "--stress", 7, "--water", 4, "--db", db)
    assert r.exit_code == 0 and r.output.startswith("added diary entry for 2024-05-01")
    r = run("diary", "add", "--date", "2024-05-01", "--stress", 2, "--note", "calmer", "--db", db)
    assert r.exit_code == 0 and r.output.startswith("updated diary entry for 2024-05-01")
    assert "caffeine 3 cups" in r.output and "stress 2/10" in r.output  # kept and changed
    r = run("diary", "list", "--db", db)
    assert r.exit_code == 0 and "2024-05-01" in r.output and "calmer" in r.output
    with Store(db) as s:
        assert len(s.diary()) == 1 and s.diary_entry(date(2024, 5, 1))["sleep_hours"] == 6.5


def test_commands_use_smilescope_db_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SMILESCOPE_DB", f"sqlite:///{tmp_path}/env.db")
    assert run("diary", "add", "--water", 6).exit_code == 0
    assert run("journal", "add", "sun on the balcony").exit_code == 0
    with Store(f"sqlite:///{tmp_path}/env.db") as s:
        assert s.diary_entry(date.today())["water_glasses"] == 6
        assert s.journal()["text"].tolist() == ["sun on the balcony"]


@pytest.mark.parametrize("args, message", [
    (["--stress", 11], "Invalid value for --stress: expected a number between 0 and 10"),
    (["--sleep", 25], "Invalid value for --sleep"),
    (["--caffeine", -1], "Invalid value for --caffeine: expected a number between 0 and 30"),
    (["--water", -3], "Invalid value for --water"),
    (["--date", "31/05/2024", "--water", 1], "YYYY-MM-DD"),
    # the date is taken when the test runs, not when it is collected: a run that crosses midnight
    # made "the day after tomorrow" of collection time tomorrow, which is allowed (time zones)
    (["--date", "DAY_AFTER_TOMORROW", "--water", 1], "in the future"),
    ([], "Nothing to record"),
])
def test_bad_diary_values_exit_2_and_store_nothing(db, args, message):
    args = [str(date.today() + timedelta(days=2)) if a == "DAY_AFTER_TOMORROW" else a for a in args]
    r = run("diary", "add", *args, "--db", db)
    assert r.exit_code == 2
    assert message in " ".join(r.output.split())
    with Store(db) as s:
        assert s.diary().empty


def test_bad_database_url_exits_2(tmp_path):
    r = run("diary", "list", "--db", "not-a-url")
    assert r.exit_code == 2 and "Not a database URL" in r.output


def test_journal_add_and_list(db):
    assert run("journal", "add", "laughed with Sam", "--date", "2024-05-02", "--db", db).exit_code == 0
    r = run("journal", "list", "--db", db)
    assert r.exit_code == 0 and "2024-05-02" in r.output and "laughed with Sam" in r.output
    assert run("journal", "add", "  ", "--db", db).exit_code == 2


def test_what_the_user_wrote_is_printed_as_written(db):
    """Square brackets in a note or the journal are text, not styling (and "[/]" is no error)."""
    r = run("diary", "add", "--date", "2024-05-01", "--water", 2, "--note", "[b]x[/]", "--db", db)
    assert r.exit_code == 0 and "note: [b]x[/]" in r.output
    assert "[b]x[/]" in run("diary", "list", "--db", db).output
    assert run("journal", "add", "sang [red]loudly[/red]", "--date", "2024-05-02", "--db", db).exit_code == 0
    assert "sang [red]loudly[/red]" in run("journal", "list", "--db", db).output


def test_history_of_an_empty_database_is_friendly(db):
    r = run("history", "--db", db)
    assert r.exit_code == 0 and "No analyses stored yet" in r.output


def test_history_finds_a_planted_caffeine_link_and_draws_it(db, tmp_path):
    with Store(db) as s:
        load(s, *month(0, caffeine_effect_mm=0.08))
    png = tmp_path / "plots" / "trends.png"
    r = run("history", "--db", db, "--plot", png)
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert str(START) in text and "not a cause" in text
    assert "On days with more coffee or other caffeine, shaking (tremor amplitude) was larger" in text
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = run("history", "--db", db, "--json")
    doc = json.loads(r.output)
    assert len(doc["diary"]) == 30 and len(doc["history"]) >= 30
    (e,) = [e for e in doc["nof1"]["effects"] if (e["factor"], e["measure"]) == ("caffeine_cups", "tremor_amplitude_mm")]
    assert e["found"] and e["ci_low"] > 0


def test_history_without_a_planted_link_finds_none_for_caffeine(db):
    with Store(db) as s:
        load(s, *month(0, caffeine_effect_mm=0.0))
    doc = json.loads(run("history", "--db", db, "--json").output)
    (e,) = [e for e in doc["nof1"]["effects"] if (e["factor"], e["measure"]) == ("caffeine_cups", "tremor_amplitude_mm")]
    assert e["enough_data"] and not e["found"]


def test_history_with_too_few_days_says_not_enough_data(db):
    with Store(db) as s:
        load(s, *month(0, caffeine_effect_mm=0.08, days=10))
    r = run("history", "--db", db)
    assert r.exit_code == 0 and "not enough data yet" in r.output
    doc = json.loads(run("history", "--db", db, "--json").output)
    assert not any(e["enough_data"] for e in doc["nof1"]["effects"])


def test_data_export_and_delete(db, tmp_path):
    run("diary", "add", "--caffeine", 1, "--db", db)
    out = tmp_path / "export.json"
    r = run("data", "export", "--out", out, "--db", db)
    assert r.exit_code == 0 and json.loads(out.read_text())["diary"][0]["caffeine_cups"] == 1
    r = runner.invoke(app, ["data", "delete", "--db", db], input="n\n")
    assert r.exit_code == 0 and "nothing was deleted" in r.output  # declining is the user's choice, not a failure
    assert json.loads(run("data", "export", "--db", db).output)["diary"] != []
    r = runner.invoke(app, ["data", "delete", "--db", db], input="")  # input closed, as a script without --yes
    assert r.exit_code == 2 and "nothing was deleted" in " ".join(r.output.split()) and "--yes" in r.output
    assert json.loads(run("data", "export", "--db", db).output)["diary"] != []
    assert run("data", "delete", "--yes", "--db", db).exit_code == 0
    assert json.loads(run("data", "export", "--db", db).output)["diary"] == []


# -- issue 12 -----------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[2]


# the last: SQLite's URI form with no file name opens a temporary database, deleted on close
@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://", ":memory:", "sqlite:///file:?uri=true"])
def test_an_in_memory_store_is_refused_not_lost_at_exit(monkeypatch, url):
    monkeypatch.setenv("SMILESCOPE_DB", url)
    r = run("journal", "add", "a good day")
    assert r.exit_code == 2 and "added" not in r.output
    assert "in-memory or temporary database" in " ".join(r.output.split())


def test_a_plain_path_in_smilescope_db_is_accepted(tmp_path, monkeypatch):
    path = tmp_path / "mine" / "history.db"
    monkeypatch.setenv("SMILESCOPE_DB", str(path))
    assert run("journal", "add", "a good day").exit_code == 0
    with Store(f"sqlite:///{path}") as s:
        assert s.journal()["text"].tolist() == ["a good day"]


@pytest.mark.parametrize("option, value", [("--caffeine", "1e309"), ("--caffeine", "nan"), ("--water", "1e6"),
                                           ("--sleep", "-inf")])
def test_infinite_or_absurd_diary_numbers_exit_2_naming_the_option(db, option, value):
    r = run("diary", "add", option, value, "--db", db)
    assert r.exit_code == 2 and f"Invalid value for {option}" in r.output
    with Store(db) as s:
        assert s.diary().empty


def test_user_text_is_printed_as_plain_text(db):
    """Markup stays literal, [link=...] is no link, and terminal control sequences are removed."""
    texts = ["a good day [/bold] with friends", "[link=https://example.com]click[/link]", "esc \x1b[31mred\x1b[0m x",
             "bell\x07 and \x9b2J and \u202egnp.exe"]
    for i, text in enumerate(texts):
        assert run("journal", "add", text, "--date", f"2024-05-0{i + 1}", "--db", db).exit_code == 0
    r = run("diary", "add", "--note", "ok [/i]\x1b]8;;http://x\x07", "--water", 1, "--db", db)
    assert r.exit_code == 0 and "note: ok [/i]]8;;http://x" in r.output
    r = run("journal", "list", "--db", db)
    assert r.exit_code == 0, r.output
    assert "a good day [/bold] with friends" in r.output and "[link=https://example.com]click[/link]" in r.output
    assert "esc [31mred[0m x" in r.output and "bell and 2J and gnp.exe" in r.output
    r = run("diary", "list", "--db", db)
    assert r.exit_code == 0 and "[/i]" in r.output and "tp://x" in r.output  # folded onto lines, never cut off
    for out in (r.output, run("journal", "list", "--db", db).output):
        assert not any(c in out for c in "\x1b\x07\x9b\u202e")


def test_diary_entries_without_a_note_list_and_print_cleanly(db):
    assert run("diary", "add", "--date", "2024-05-01", "--water", 3, "--db", db).exit_code == 0
    r = run("diary", "add", "--date", "2024-05-02", "--water", 4, "--db", db)
    assert r.exit_code == 0 and "nan" not in r.output and "note" not in r.output
    assert run("diary", "add", "--date", "2024-05-03", "--note", "ok", "--db", db).exit_code == 0
    r = run("diary", "list", "--db", db)
    assert r.exit_code == 0, r.output
    assert "nan" not in r.output and "ok" in r.output


@pytest.mark.parametrize("day, ok", [("0001-01-01", False), ("1899-12-31", False), ("1900-01-01", True),
                                     (1, True)])  # days from today, taken when the test runs (not collected)
def test_diary_dates_lie_between_1900_and_tomorrow(db, day, ok):
    day = str(date.today() + timedelta(days=day)) if isinstance(day, int) else day
    r = run("diary", "add", "--date", day, "--water", 1, "--db", db)
    assert r.exit_code == (0 if ok else 2), r.output
    if not ok:
        assert "--date" in r.output and "1900" in r.output


def test_exports_and_plots_are_owner_only(db, tmp_path):
    with Store(db) as s:
        load(s, *month(0, caffeine_effect_mm=0.0, days=3))
    export = tmp_path / "new" / "export.json"
    assert run("data", "export", "--out", export, "--db", db).exit_code == 0
    png = tmp_path / "plots" / "trend.png"
    assert run("history", "--plot", png, "--db", db).exit_code == 0
    for path in (export, png, Path(db.removeprefix("sqlite:///"))):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    for folder in (export.parent, png.parent):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder


def test_a_plot_name_that_is_not_a_png_is_refused_and_nothing_is_written(db, tmp_path):
    """``--plot h.txt`` wrote PNG data over whatever h.txt was (the report refuses a non-.html --out)."""
    with Store(db) as s:
        load(s, *month(0, caffeine_effect_mm=0.0, days=3))
    mine = tmp_path / "notes.txt"
    mine.write_text("my notes")
    r = run("history", "--plot", mine, "--db", db)
    assert r.exit_code == 2 and "not a PNG file name" in " ".join(r.output.split())
    assert mine.read_text() == "my notes"


def test_python_m_smilescope_is_the_command():
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "smilescope", "--help"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and "analyze" in r.stdout


def test_history_shows_the_video_subject_and_label_and_filters_by_subject(db):
    with Store(db) as s:
        diary, analyses = month(0, caffeine_effect_mm=0.0, days=3)
        for i, (t, a) in enumerate(analyses):
            s.add_analysis(a, source="out", t=t, subject="anna" if i % 2 == 0 else "ben", label=f"take {i}")
    r = run("history", "--db", db)
    assert r.exit_code == 0, r.output
    text = " ".join(r.output.split())
    assert "anna clip.mp4 (take 0)" in text and "ben clip.mp4 (take 1)" in text
    # the person's right side first, as in every figure and the report
    assert "smile R smile L" in text and "R/L: the person's own right and left" in text
    with Store(db) as s:
        hist_first = s.history().iloc[0]
    first = f"{hist_first['day']} {hist_first['excursion_right_mm']:.1f} {hist_first['excursion_left_mm']:.1f}"
    assert first in text
    doc = json.loads(run("history", "--db", db, "--subject", "ben", "--json").output)
    assert {row["subject"] for row in doc["history"]} == {"ben"} and doc["history"][0]["video"] == "clip.mp4"
    r = run("history", "--db", db, "--subject", "nobody")
    assert r.exit_code == 0 and "No analyses stored for --subject nobody" in r.output


def test_history_without_a_diary_fits_an_80_column_terminal(db):
    """No diary entry on the shown days: the four diary columns (all "—") are left out, so the
    measures and the recording's name are not folded on an 80-column terminal."""
    with Store(db) as s:
        for i, (t, a) in enumerate(month(0, caffeine_effect_mm=0.0, days=2)[1]):
            s.add_analysis(a, source="out", t=t, subject="patient-007", label="morning")
    r = CliRunner(env={"COLUMNS": "80"}).invoke(app, ["history", "--db", db])
    assert r.exit_code == 0, r.output
    assert "patient-007 clip.mp4" in r.output and "caff." not in r.output and "No diary entries on these days" in r.output
    assert max(len(line) for line in r.output.splitlines()) <= 80


def test_make_demo_keeps_out_of_the_users_history():
    """`make demo` analyses the example video: it must not add it to the user's own history."""
    text = (ROOT / "Makefile").read_text()
    recipe = text.split("\ndemo:", 1)[1].split("\n\n", 1)[0]
    assert "smilescope analyze" in recipe
    assert "--no-save" in recipe or "SMILESCOPE_DB=" in recipe, recipe


@pytest.fixture(scope="module")
def still_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("video") / "anna_week1.mp4"
    synth.render(path, face=synth.load_face(FACES / "yale01.jpg"), fps=30, duration_s=1.5, write_truth=False)
    return path


def test_analyze_refuses_a_store_that_cannot_keep_it_before_analysing(tmp_path, still_video, monkeypatch):
    monkeypatch.setenv("SMILESCOPE_DB", "sqlite://")
    out = tmp_path / "o"
    r = run("analyze", still_video, "--out", out, "-q")
    assert r.exit_code == 2 and "in-memory or temporary database" in " ".join(r.output.split())
    assert not out.exists()  # refused before the analysis ran


def test_analyze_saves_subject_label_and_video_name(tmp_path, still_video, db):
    r = run("analyze", still_video, "--out", tmp_path / "o", "-q", "--db", db, "--subject", "anna", "--label", "week 1")
    assert r.exit_code == 0, r.output
    with Store(db) as s:
        h = s.history()
    assert (h["video"].tolist(), h["subject"].tolist(), h["label"].tolist()) == (["anna_week1.mp4"], ["anna"], ["week 1"])
    # asked to be kept, and the store failed after the files were written: exit 2, the files named
    (tmp_path / "plain").write_text("x")
    r = run("analyze", still_video, "--out", tmp_path / "p", "-q", "--db", f"sqlite:///{tmp_path}/plain/x.db")
    assert r.exit_code == 2 and "analysis.json was written" in " ".join(r.output.split())
    assert (tmp_path / "p" / "analysis.json").is_file()


def test_diary_words_fit_one_and_the_help_gives_the_stored_limits(db):
    """"caffeine 1 cups" read oddly; and the help said "0 or more" where the store refuses over
    30 cups or 40 glasses: the help gives the limits the store checks."""
    from smilescope.store import LIMITS

    r = run("diary", "add", "--caffeine", "1", "--water", "1", "--db", db)
    assert r.exit_code == 0 and "caffeine 1 cup," in r.output and "water 1 glass" in r.output, r.output
    r = run("diary", "add", "--caffeine", "2", "--water", "3", "--db", db)
    assert "caffeine 2 cups" in r.output and "water 3 glasses" in r.output
    said = " ".join(run("diary", "add", "--help").output.split())
    for option, key in (("--caffeine", "caffeine_cups"), ("--water", "water_glasses"), ("--sleep", "sleep_hours")):
        lim = LIMITS[key]
        assert f"({lim.low:g} to {lim.high:g})" in said, (option, said)
