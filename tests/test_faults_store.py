"""Fault injection for the store: a process killed at every step of schema creation, of the
upgrade from revision 0001 and of a journal write; databases half-built by older versions; a
full disk; 20 parallel first uses. After each case the database opens, holds every committed
row, and ``data export`` / ``data delete --yes`` work.

How a kill is injected: the command runs in a forked child process (the same code as
``smilescope ...`` on the command line, without paying the import time again per case); a
listener on every SQLAlchemy engine in the child counts the steps (each SQL statement after it
ran, each COMMIT before it is sent) and the child SIGKILLs itself at step N. A first run without
a kill records the steps, so every N is tried. Nothing depends on timing.

The module ends by printing "store fault injection: N cases tried, M passed".
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
from collections import Counter
from contextlib import contextmanager
from datetime import date, datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import event
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from smilescope.cli import app
from smilescope.store import Store
from smilescope.store.core import alembic_config, head_revision

from store_month import analysis_doc

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the fault injection forks a child process")

HEAD = head_revision()
TALLY: Counter = Counter()
runner = CliRunner()


@pytest.fixture(scope="module", autouse=True)
def _summary(request):
    yield
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    kinds = ", ".join(f"{k}: {TALLY[k, 'passed']}/{TALLY[k, 'tried']}" for k in sorted({k for k, _ in TALLY}))
    line = (f"store fault injection: {sum(v for (_, s), v in TALLY.items() if s == 'tried')} cases tried, "
            f"{sum(v for (_, s), v in TALLY.items() if s == 'passed')} passed ({kinds})")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():  # shown in a normal (captured, -q) run too
            reporter.write_line("")
            reporter.write_line(line)
    else:
        print(line)


@contextmanager
def case(kind: str, failures: list, label: object):
    """Count one case of ``kind``; a failure is collected (so every kill point is tried)."""
    TALLY[kind, "tried"] += 1
    try:
        yield
    except Exception as e:  # noqa: BLE001 - an assertion, or the store refusing to open
        failures.append(f"{kind} [{label}]: {type(e).__name__}: {e}")
    else:
        TALLY[kind, "passed"] += 1


# -- the child process ---------------------------------------------------------------------------
def _arm(kill_at: int | None, steps: list | None) -> None:
    """In the child: count steps on every engine; SIGKILL at step ``kill_at``; record them."""
    counter = itertools.count(1)

    def step(what: str) -> None:
        i = next(counter)
        if steps is not None:
            steps.append(what)
        if i == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    event.listen(Engine, "after_cursor_execute", lambda conn, cur, stmt, *a: step(" ".join(stmt.split())[:80]))
    event.listen(Engine, "commit", lambda conn: step("COMMIT"))


def _fork(fn, *, kill_at: int | None = None, record: bool = False, gate: int | None = None, setup=None):
    """Start ``fn()`` in a forked child; a handle for :func:`_wait`."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(r)
            if gate is not None:
                os.read(gate, 1)  # wait until every child of a parallel start is ready
            if setup is not None:
                setup()
            steps = [] if record else None
            _arm(kill_at, steps)
            payload = {"result": fn(), "steps": steps}
        except BaseException as e:  # noqa: BLE001 - reported to the parent as data
            payload = {"error": repr(e)}
        with os.fdopen(w, "w") as fh:
            fh.write(json.dumps(payload, default=str))
        os._exit(0)
    os.close(w)
    return pid, r


def _wait(handle) -> dict:
    pid, r = handle
    with os.fdopen(r) as fh:
        text = fh.read()
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        assert os.WTERMSIG(status) == signal.SIGKILL, f"child died of signal {os.WTERMSIG(status)}"
        return {"killed": True}
    out = json.loads(text)
    assert "error" not in out, out.get("error")
    return {"killed": False, **out}


def _child(fn, **kw) -> dict:
    return _wait(_fork(fn, **kw))


def cli(*args) -> dict:
    r = runner.invoke(app, [str(a) for a in args])
    return {"exit": r.exit_code, "output": " ".join(r.output.split())}


def _legacy_migrate(url: str, revision: str) -> None:
    """Migrate as smilescope did before migrations were one transaction: a plain pysqlite
    engine, which commits each CREATE/ALTER on its own (what left half-built schemas)."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


# -- databases and what they must hold ------------------------------------------------------------
WHEN = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
OLD_DOCS = [analysis_doc(tremor_amplitude_mm=0.4, twitch_rate_per_min=3.5),
            analysis_doc(tremor_amplitude_mm=0.3, twitch_rate_per_min=None)]


def _seed_0001(url: str) -> None:
    """A database at revision 0001 with two analyses, a triage result and a diary entry."""
    _legacy_migrate(url, "0001")
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for doc in OLD_DOCS:
            conn.execute(meta.tables["analyses"].insert().values(
                created_at=WHEN, source="old.mp4", excursion_left_mm=11.0, excursion_right_mm=10.0, asymmetry_pct=9.1,
                tremor_amplitude_mm=doc["shake"]["tremor"]["amplitude_mm"], tremor_frequency_hz=5.0, doc=doc))
        conn.execute(meta.tables["triage"].insert().values(created_at=WHEN, level="info", result={"level": "info"},
                                                          answers={"a": 1}))
        conn.execute(meta.tables["diary"].insert().values(day=date(2024, 5, 1), caffeine_cups=3.0, sleep_hours=6.5,
                                                         stress_0_10=7.0, water_glasses=4.0, note="before",
                                                         updated_at=WHEN))
    engine.dispose()


def _check_seeded(url: str) -> None:
    with Store(url) as s:
        assert s.revision() == HEAD
        h = s.history()
        assert h["tremor_amplitude_mm"].tolist() == [0.4, 0.3], h
        assert h["twitch_rate_per_min"].iloc[0] == 3.5
        exported = s.export()
        assert [a["doc"] for a in exported["analyses"]] == OLD_DOCS
        assert [t["answers"] for t in exported["triage"]] == [{"a": 1}]
        assert [(d["day"], d["caffeine_cups"], d["note"]) for d in exported["diary"]] == [("2024-05-01", 3.0, "before")]


def _journal(url: str) -> list[str]:
    with Store(url) as s:
        assert s.revision() == HEAD
        return s.journal()["text"].tolist()


def _still_usable(url: str, tmp_path) -> None:
    """The commands a locked-out user needs: add, export, delete."""
    r = cli("journal", "add", "after the fault", "--db", url)
    assert r["exit"] == 0, r
    r = cli("data", "export", "--out", tmp_path / "export.json", "--db", url)
    assert r["exit"] == 0, r
    assert "after the fault" in [j["text"] for j in json.loads((tmp_path / "export.json").read_text())["journal"]]
    probe = tmp_path / "probe.db"  # delete on a copy, so the caller can still look at the original
    shutil.copyfile(url.removeprefix("sqlite:///"), probe)
    r = cli("data", "delete", "--yes", "--db", f"sqlite:///{probe}")
    assert r["exit"] == 0, r
    with Store(f"sqlite:///{probe}") as s:
        assert s.journal().empty and s.history().empty


def _sweep(kind: str, tmp_path, prepare, fn, check) -> None:
    """Dry-run ``fn`` in a child to list its steps, then kill a fresh child at each step."""
    base = tmp_path / "base.db"
    prepare(f"sqlite:///{base}")
    work = tmp_path / "work.db"
    url = f"sqlite:///{work}"

    def fresh() -> None:
        for p in tmp_path.glob("work.db*"):
            p.unlink()
        if base.exists():
            shutil.copyfile(base, work)

    fresh()
    dry = _child(lambda: fn(url), record=True)
    assert not dry["killed"] and dry["result"]["exit"] == 0, dry
    steps = dry["steps"]
    assert len(steps) > 3, steps
    failures: list[str] = []
    for n in range(1, len(steps) + 1):
        fresh()
        with case(kind, failures, f"killed after step {n}/{len(steps)}: {steps[n - 1]}"):
            got = _child(lambda: fn(url), kill_at=n)
            assert got["killed"], f"step {n} was not reached"
            check(url, n, steps)
            _still_usable(url, tmp_path)
    assert not failures, "\n".join(failures)


def _committed(steps: list[str], n: int, marker: str) -> bool:
    """Whether the write whose statement starts with ``marker`` was committed before step ``n``
    (a kill on a COMMIT step comes before the COMMIT is sent)."""
    insert = next(i for i, s in enumerate(steps, 1) if s.startswith(marker))
    commit = next(i for i, s in enumerate(steps, 1) if i > insert and s == "COMMIT")
    return n > commit


# -- the cases --------------------------------------------------------------------------------------
def test_kill_during_first_use_schema_creation(tmp_path):
    def check(url, n, steps):
        entries = _journal(url)
        assert entries == (["first entry"] if _committed(steps, n, "INSERT INTO journal") else []), entries

    _sweep("first use", tmp_path, lambda url: None,
           lambda url: cli("journal", "add", "first entry", "--db", url), check)


def test_kill_during_upgrade_from_0001(tmp_path):
    def check(url, n, steps):
        _check_seeded(url)

    _sweep("upgrade 0001", tmp_path, _seed_0001, lambda url: cli("history", "--db", url), check)


def test_kill_during_a_journal_write(tmp_path):
    def prepare(url):
        with Store(url) as s:
            for text in ("one", "two", "three"):
                s.add_journal(text, date(2024, 5, 2))

    def check(url, n, steps):
        expected = ["one", "two", "three"] + (["four"] if _committed(steps, n, "INSERT INTO journal") else [])
        assert _journal(url) == expected

    _sweep("journal write", tmp_path, prepare,
           lambda url: cli("journal", "add", "four", "--date", "2024-05-03", "--db", url), check)


@pytest.mark.parametrize("start", ["fresh", "0001"])
def test_a_schema_half_built_by_an_older_version_is_repaired(tmp_path, start):
    """Older versions committed each CREATE/ALTER on its own: kill such an upgrade at every step
    and show that this version opens what it left, with every row, and can export and delete."""
    def check(url, n, steps):
        if start == "0001":
            _check_seeded(url)
        else:
            assert _journal(url) == []

    _sweep(f"older half-built ({start})", tmp_path, _seed_0001 if start == "0001" else (lambda url: None),
           lambda url: (_legacy_migrate(url, "0002"), {"exit": 0})[1], check)


@pytest.mark.parametrize("trial", range(3))
def test_parallel_first_use_loses_nothing(tmp_path, trial):
    url = f"sqlite:///{tmp_path}/fresh.db"
    gate_r, gate_w = os.pipe()
    handles = [_fork(lambda i=i: cli("journal", "add", f"entry {i}", "--db", url), gate=gate_r) for i in range(20)]
    os.write(gate_w, b"x" * 20)  # all start at once
    results = [_wait(h) for h in handles]
    os.close(gate_r)
    os.close(gate_w)
    failures: list[str] = []
    with case("parallel first use", failures, f"trial {trial}"):
        assert [r["result"]["exit"] for r in results] == [0] * 20, [r["result"] for r in results if r["result"]["exit"]]
        assert sorted(_journal(url)) == sorted(f"entry {i}" for i in range(20))
    assert not failures, "\n".join(failures)


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs when we may mount one (root); else None, and the child limits its file
    size instead (RLIMIT_FSIZE)."""
    where = tmp_path / "disk"
    where.mkdir()
    mounted = False
    if os.geteuid() == 0 and shutil.which("mount"):
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(where)],
                                 capture_output=True).returncode == 0
    yield where, mounted
    if mounted:
        subprocess.run(["umount", str(where)], check=True)


def test_full_disk_says_so_and_keeps_every_row(small_disk, tmp_path):
    where, mounted = small_disk
    url = f"sqlite:///{where}/full.db"
    with Store(url) as s:
        s.add_journal("kept one", date(2024, 5, 1))
        s.add_journal("kept two", date(2024, 5, 1))

    def limit() -> None:
        if not mounted:  # the child may write only a little more than there is now
            size = (where / "full.db").stat().st_size
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (size + 96 * 1024, size + 96 * 1024))

    def fill():
        results = []
        for i in range(400):  # entries of about 2 kB, the most a journal entry takes: 800 kB in all, past any limit here
            r = cli("journal", "add", f"entry {i} " + "x" * 1980, "--date", "2024-05-02", "--db", url)
            results.append(r)
            if r["exit"] != 0:
                break
        return results

    got = _child(fill, setup=limit)
    failures: list[str] = []
    with case("full disk", failures, "tmpfs" if mounted else "RLIMIT_FSIZE"):
        results = got["result"]
        last = results[-1]
        assert last["exit"] == 2, last
        assert "disk is full" in last["output"] and "Free some space" in last["output"], last
        assert "Traceback" not in last["output"]
        added = [f"entry {i} " + "x" * 1980 for i, r in enumerate(results) if r["exit"] == 0]
        assert len(added) >= 1  # it did fill up, not fail at once
        assert _journal(url) == ["kept one", "kept two", *added]
        with Store(url) as s, s.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        r = cli("data", "export", "--db", url)
        assert r["exit"] == 0, r
    assert not failures, "\n".join(failures)
