"""The store: analyses, triage results, the diary and the journal, in one SQL database.

SQLite in the user's data folder by default; any SQLAlchemy URL (e.g. PostgreSQL) by
``SMILESCOPE_DB`` or ``--db``. The schema is created and upgraded by the Alembic migrations
shipped in this package, each time a :class:`Store` opens. Times are stored in UTC and shown in
the computer's local time; a "day" is a local calendar day.

Nothing is ever half-done, even when the process is killed or the disk fills up:

* every transaction is a real SQLite transaction, schema changes included. Python's sqlite3
  driver would otherwise commit each CREATE/ALTER on its own (it only opens a transaction
  before INSERT/UPDATE/DELETE), which is how older versions left half-built schemas behind. So
  the driver's own transaction handling is off and the store sends BEGIN itself (SQLAlchemy's
  documented recipe for SQLite transactional DDL);
* creating or upgrading the schema takes the write lock first (BEGIN IMMEDIATE; on PostgreSQL
  an advisory lock), so two first uses at once run one after the other, and the second finds
  the work done. Waits for a lock are bounded by :data:`BUSY_TIMEOUT_S`;
* the migrations skip what already exists, so a schema half-built by an older version is
  completed on the next open instead of locking the user out.

Personal data (the database, exports, figures of the history) is readable by its owner only:
files 0600 and the folders smilescope creates for them 0700 (:func:`private_file`,
:func:`private_folder`).
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import stat
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from numbers import Real
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import create_engine, delete, event, exc, select
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.orm import sessionmaker

from smilescope.errors import BadInputError
from smilescope.output import private_folder
from smilescope.output import dumps
from smilescope.results import Analysis
from smilescope.store.models import Analysis as AnalysisRow  # the table row; Analysis is the result
from smilescope.store.models import Diary, Journal, PracticeRep, PracticeSession, Triage

MIGRATIONS = Path(__file__).with_name("migrations")
FACTORS = ("caffeine_cups", "sleep_hours", "stress_0_10", "water_glasses")
HISTORY_TEXT = ("t", "day", "source", "video", "subject", "label")
HISTORY_NUMBERS = ("excursion_left_mm", "excursion_right_mm", "asymmetry_pct", "tremor_amplitude_mm",
                   "tremor_frequency_hz", "twitch_rate_per_min")
HISTORY_COLUMNS = HISTORY_TEXT + HISTORY_NUMBERS
BUSY_TIMEOUT_S = 30.0  # wait this long for another smilescope's write (which takes milliseconds) before "busy"
EARLIEST_DAY = date(1900, 1, 1)
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")  # YYYY-MM-DD, as the messages ask
MAX_NAME_CHARS = 200  # a subject or label is a name, not a note
MAX_TEXT_CHARS = 2000  # a diary note or a journal entry: a few sentences (the pages' fields take as many)
_WRITE = "smilescope_write"  # execution option: this transaction writes (SQLite: BEGIN IMMEDIATE)
_PG_LOCK = 0x5e1e5c09  # PostgreSQL advisory lock id held while the schema is created or upgraded
_WHERE = "Give another database with --db URL or the SMILESCOPE_DB environment variable."
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limit:
    """The plausible range of one number the store keeps (inclusive), and why."""

    low: float
    high: float
    why: str


# Every number the store takes, in one place (:func:`check_numbers`): finite and within a range
# a careful reader would still believe. A value outside is a typing slip or a lost track, and
# storing it would bend every trend and link drawn from the history.
LIMITS: dict[str, Limit] = {
    # the diary, typed by the person
    "caffeine_cups": Limit(0, 30, "30 cups is about 3 g of caffeine, over seven times the 400 mg a day that "
                                  "EFSA's Scientific Opinion on the safety of caffeine (2015) finds safe for adults"),
    "sleep_hours": Limit(0, 24, "a day has 24 hours"),
    "stress_0_10": Limit(0, 10, "the scale runs from 0 (calm) to 10 (worst)"),
    "water_glasses": Limit(0, 40, "40 glasses is about 10 litres, more than healthy kidneys can pass in a day"),
    # the summary of an analysis, measured
    "excursion_left_mm": Limit(0, 100, "no mouth corner moves 10 cm in a smile; more is a lost track"),
    "excursion_right_mm": Limit(0, 100, "no mouth corner moves 10 cm in a smile; more is a lost track"),
    "asymmetry_pct": Limit(0, 100, "|left - right| / max(left, right) x 100 lies between 0 and 100"),
    "tremor_amplitude_mm": Limit(0, 50, "facial tremor moves the skin by millimetres; 5 cm is a moving head"),
    "tremor_frequency_hz": Limit(0, 120, "half of 240 frames/s, the fastest common video: nothing faster can be seen"),
    "twitch_rate_per_min": Limit(0, 600, "more than ten a second is a rhythm, not separate twitches"),
    # a practice repetition of the coach, measured live
    "start_s": Limit(0, 86_400, "seconds into a practice session; no session runs for a day"),
    "hold_s": Limit(0, 600, "a hold of 10 minutes is not an exercise repetition (they ask for 3-10 s)"),
    "hold_right_mm": Limit(0, 100, "no mouth corner moves 10 cm in a smile; more is a lost track"),
    "hold_left_mm": Limit(0, 100, "no mouth corner moves 10 cm in a smile; more is a lost track"),
    "balance": Limit(0, 1, "the weaker side's movement over the stronger's lies between 0 and 1"),
    "steadiness_mm": Limit(0, 50, "facial tremor moves the skin by millimetres; 5 cm is a moving head"),
}


def default_url() -> str:
    """``SMILESCOPE_DB`` if set (a URL or a file path), else SQLite at
    ``user_data_dir("smilescope")/smilescope.db``."""
    env = os.environ.get("SMILESCOPE_DB", "").strip()
    if env:
        return env
    return f"sqlite:///{_default_folder() / 'smilescope.db'}"


def _default_folder() -> Path:
    from platformdirs import user_data_dir  # read at call time: tests point it elsewhere

    return Path(user_data_dir("smilescope"))


def store_url(url: str) -> URL:
    """The SQLAlchemy URL of a database the store may use; a plain file path becomes SQLite.

    A path is what people type (``SMILESCOPE_DB=~/health/smilescope.db``): one with a folder
    separator, a leading ``~`` or ``.``, or a ``.db``/``.sqlite``/``.sqlite3`` ending is taken
    as an SQLite file; a bare word is refused rather than made into a database file by surprise.

    Raises
    ------
    BadInputError
        ``off``, not a URL, or an in-memory database (it forgets everything when the command
        ends, so nothing asked to be kept would be).
    """
    text = str(url).strip()
    if text.lower() == "off":
        raise BadInputError("The store is switched off (SMILESCOPE_DB=off).", _WHERE)
    memory = BadInputError(f"{text!r} is an in-memory or temporary database: it forgets everything when the command ends, "
                           "so nothing would be kept.",
                           "Give a file instead, e.g. --db ~/smilescope.db or --db sqlite:///path/to/smilescope.db.")
    if "://" not in text:
        if text == ":memory:":
            raise memory
        if re.search(r"[/\\]|^[~.]|\.(db|sqlite3?)$", text, flags=re.IGNORECASE):
            return URL.create("sqlite", database=str(Path(text).expanduser().absolute()))
        raise BadInputError(f"Not a database URL or file path: {text!r}.",
                            "Use a file path such as ~/smilescope.db, or a URL such as sqlite:///path/to/smilescope.db "
                            "or postgresql+psycopg://user@host/dbname.")
    u = make_url(text)
    if u.get_backend_name() == "sqlite":
        db = u.database or ""
        # (SQLite's URI form, ?uri=true, with no file name, file: or file:?..., is a temporary
        # database, deleted when it closes: as forgetful as memory)
        if (db in ("", ":memory:") or db.startswith("file::memory:") or "mode=memory" in db
                or u.query.get("mode") == "memory" or (u.query.get("uri") == "true" and re.fullmatch(r"file:(\?.*)?", db))):
            raise memory
    return u


def head_revision() -> str:
    """The newest schema revision shipped in this package."""
    global _HEAD
    if _HEAD is None:
        _HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return _HEAD


_HEAD: str | None = None


def private_file(path: str | Path) -> Path:
    """Tighten an existing personal-data file (or smilescope's own folder) to owner-only
    (0600; 0700 for a folder) when it is ours."""
    path = Path(path)
    try:
        st = path.stat()
        if st.st_uid == os.getuid() and stat.S_IMODE(st.st_mode) & 0o077:
            os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)
    except (OSError, AttributeError):  # gone meanwhile, or no owners on this system (os.getuid)
        pass
    return path


def _new_private_file(path: Path) -> None:
    """Create an empty ``path`` as 0600 (and its missing folders 0700) unless it exists. SQLite
    gives its journal files the mode of the database, so they are private too."""
    if path.exists():
        return
    private_folder(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:  # made meanwhile by another process
        pass


def _sqlite_engine(u: URL) -> Engine:
    """An SQLite engine whose transactions are real ones, DDL included (see the module notes)."""
    engine = create_engine(u, connect_args={} if "timeout" in u.query else {"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _driver_transactions_off(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None  # pysqlite sends no BEGIN or COMMIT of its own

    @event.listens_for(engine, "begin")
    def _begin(conn) -> None:
        # IMMEDIATE takes the write lock at once, so a transaction that reads, then writes, never
        # meets another writer half-way (which SQLite answers with "locked", not with a wait).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")

    return engine


def alembic_config(url: str | URL | None = None, *, output_buffer=None) -> Config:
    """An Alembic configuration for the migrations shipped in this package (no ini file).

    ``url`` is only needed for offline SQL generation (``command.upgrade(cfg, "head", sql=True)``,
    written to ``output_buffer``); a :class:`Store` passes its open connection instead.
    """
    cfg = Config(output_buffer=output_buffer)
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        text = url.render_as_string(hide_password=False) if isinstance(url, URL) else str(url)
        cfg.set_main_option("sqlalchemy.url", text.replace("%", "%%"))
    return cfg


def record_analysis(analysis: Analysis, source: str, url: str | None = None, *, subject: str | None = None,
                    label: str | None = None) -> int | None:
    """Add an analysis to the history; the id, or ``None`` when the store is switched off
    (``SMILESCOPE_DB=off`` or ``url="off"``).

    Raises
    ------
    BadInputError
        It could not be saved (bad URL, full disk, ...): the caller has written the analysis
        files already and says so, but the user asked for it to be kept, so it is not silent.
    """
    if (url or default_url()).strip().lower() == "off":
        return None
    with Store(url) as store:
        return store.add_analysis(analysis, source=source, subject=subject, label=label)


class Store:
    """An open database with the newest schema.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL (``sqlite:///path.db``, ``postgresql+psycopg://user@host/db``);
        default :func:`default_url`.

    Raises
    ------
    BadInputError
        Bad URL, missing driver, unwritable place, locked or full database, or a database made
        by a newer smilescope. Every method raises it for database failures too.
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = None
        self._writer = None
        try:
            self._open()
        except BadInputError:
            self.close()
            raise
        self._session = sessionmaker(self.engine, expire_on_commit=False)
        self._write_session = sessionmaker(self._writer, expire_on_commit=False)

    def _open(self) -> None:
        with self._errors():
            u = store_url(self.url)
            self.url = u.render_as_string(hide_password=False)
            path = Path(u.database) if u.get_backend_name() == "sqlite" else None
            if path is not None:
                if not u.query.get("uri"):  # a file: URI names its file with options; SQLite makes it
                    _new_private_file(path)
                self.engine = _sqlite_engine(u)
            else:
                self.engine = create_engine(u)
            self._writer = self.engine.execution_options(**{_WRITE: True})
            with self.engine.connect() as conn:  # the usual case: at head already, nothing to lock
                current = MigrationContext.configure(conn).get_current_revision()
            if current != head_revision():
                self._upgrade()
            if path is not None:  # only once it proved to be a smilescope database
                private_file(path)
                if path.parent == _default_folder():  # smilescope's own folder (older versions made it 0755)
                    private_file(path.parent)

    def _upgrade(self) -> None:
        """Create or upgrade the schema in one transaction that holds the write lock: killed
        half-way, nothing of it stays; run by two processes at once, the second waits and then
        finds the schema at head (Alembic reads the revision inside the lock)."""
        with self._writer.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_LOCK})")
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def display_url(self) -> str:
        """The URL with any password hidden, for messages."""
        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except exc.ArgumentError:
            return repr(self.url)

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn database failures into BadInputError that say what to do."""
        try:
            yield
        except BadInputError:
            raise
        except exc.NoSuchModuleError as e:
            raise BadInputError(f"Unknown kind of database in {self.display_url()}: {e}.",
                                "Use e.g. sqlite:///path/to/smilescope.db or postgresql+psycopg://user@host/dbname.") from e
        except ImportError as e:
            raise BadInputError(f"No database driver for {self.display_url()}: {e}.",
                                "Install the driver (for PostgreSQL: pip install 'psycopg[binary]' and use "
                                "postgresql+psycopg://...), or use SQLite: --db sqlite:///path/to/smilescope.db.") from e
        except exc.ArgumentError as e:
            raise BadInputError(f"Not a database URL: {self.url!r}.",
                                "Use e.g. sqlite:///path/to/smilescope.db or postgresql+psycopg://user@host/dbname.") from e
        except CommandError as e:
            raise BadInputError(f"The database {self.display_url()} has a schema this smilescope does not know ({e}); "
                                "it was probably made by a newer version.",
                                "Upgrade smilescope, or use another database with --db.") from e
        except exc.OperationalError as e:
            raise _operational(e, self.display_url()) from e
        except exc.SQLAlchemyError as e:
            raise BadInputError(f"Cannot use the database {self.display_url()}: {getattr(e, 'orig', None) or e}.",
                                f"Check that it is a smilescope database. {_WHERE}") from e
        except OSError as e:
            raise BadInputError(f"Cannot create the folder for the database {self.display_url()}: {e.strerror or e}.",
                                _WHERE) from e

    @contextmanager
    def _tx(self):
        """A reading transaction."""
        with self._errors(), self._session.begin() as session:
            yield session

    @contextmanager
    def _write(self):
        """A writing transaction (SQLite: the write lock from its start)."""
        with self._errors(), self._write_session.begin() as session:
            yield session

    def revision(self) -> str | None:
        """The Alembic revision the database is at (the newest one, once open)."""
        with self._errors(), self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- analyses and triage ----------------------------------------------------------------
    def add_analysis(self, analysis: Analysis, source: str | None = None, t: datetime | None = None, *,
                     subject: str | None = None, label: str | None = None) -> int:
        """Store an analysis: its document (``analysis.to_dict()``: no frames, no per-frame
        signals) and the history's summary columns; the id.

        ``t`` is when it was made (a naive time is taken as local time; default now). A document
        read from a file is converted first with :meth:`Analysis.from_dict`. ``subject`` names
        the person filmed and ``label`` the recording (e.g. "before Botox", "week 3"), so that
        one history can hold several people and videos apart.
        """
        if not isinstance(analysis, Analysis):
            raise BadInputError(f"Invalid value for the 'analysis' parameter: expected a smilescope Analysis, "
                                f"got {type(analysis).__name__}.",
                                "Read an analysis.json document with smilescope.results.Analysis.from_dict first.")
        numbers = check_numbers(summary(analysis), what="the analysis")
        row = AnalysisRow(created_at=_utc(None) if t is None else t.astimezone(timezone.utc),
                          source=None if source is None else str(source), video=video_name(analysis),
                          subject=check_name(subject, "--subject"), label=check_name(label, "--label"),
                          doc=_clean_doc(analysis.to_dict(), "analysis"),
                          **{c: numbers.get(c) for c in HISTORY_NUMBERS})
        with self._write() as s:
            s.add(row)
            s.flush()
            return row.id

    def last_analysis(self) -> dict | None:
        """The analysis document most recently added, or ``None``."""
        with self._tx() as s:
            return s.scalar(select(AnalysisRow.doc).order_by(AnalysisRow.id.desc()).limit(1))

    def last_triage(self) -> dict | None:
        """The guidance result most recently saved from answered questions: ``created_at`` (local
        time), ``level``, ``result`` (``Assessment.to_dict()``) and ``answers``; ``None`` when none
        is saved.

        A questionnaire sent with nothing answered (every question left empty or "don't know")
        is passed over: it says nothing about the person, so it must neither hide nor lift what
        their earlier answers said (an emergency stops practice until they answer again).
        """
        with self._tx() as s:
            rows = s.scalars(select(Triage).order_by(Triage.created_at.desc(), Triage.id.desc()))
            r = next((r for r in rows if any(v is not None for v in (r.answers or {}).values())), None)
            return None if r is None else {"created_at": _local(r.created_at), "level": r.level,
                                           "result": r.result, "answers": r.answers}

    def add_triage(self, result: Mapping, answers: Mapping) -> int:
        """Store a guidance result (``Assessment.to_dict()``) and its answers; the id."""
        result = _clean_doc(result, "triage result")
        answers = _clean_doc(answers or {}, "answers")
        level = result.get("level")
        if not isinstance(level, str) or not level:
            raise BadInputError("The triage result has no 'level'.", "Pass Assessment.to_dict().")
        row = Triage(created_at=_utc(None), level=level, result=result, answers=answers)
        with self._write() as s:
            s.add(row)
            s.flush()
            return row.id

    def history(self, subject: str | None = None) -> pd.DataFrame:
        """One row per stored analysis, oldest first; columns :data:`HISTORY_COLUMNS`.

        ``t`` is the local time (naive datetime); ``day`` its local calendar day; ``video`` the
        video's file name; ``subject`` and ``label`` as given when it was saved (or ``None``).
        ``subject``: only that person's analyses.
        """
        query = select(AnalysisRow).order_by(AnalysisRow.created_at, AnalysisRow.id)
        if subject is not None:
            query = query.where(AnalysisRow.subject == check_name(subject, "--subject"))
        with self._tx() as s:
            rows = s.execute(query).scalars().all()
        data = []
        for r in rows:
            t = _local(r.created_at)
            data.append({"t": t, "day": t.date(), "source": r.source, "video": r.video, "subject": r.subject,
                         "label": r.label, **{c: getattr(r, c) for c in HISTORY_NUMBERS}})
        frame = pd.DataFrame(data, columns=list(HISTORY_COLUMNS)).astype({c: float for c in HISTORY_NUMBERS})
        return _none_for_missing(frame, HISTORY_TEXT[2:])

    # -- diary and journal --------------------------------------------------------------------
    def set_diary(self, day: date, *, caffeine_cups: float | None = None, sleep_hours: float | None = None,
                  stress_0_10: float | None = None, water_glasses: float | None = None,
                  note: str | None = None) -> None:
        """Add the entry for ``day``, or update the given fields of an existing one (others kept)."""
        values = check_numbers(dict(caffeine_cups=caffeine_cups, sleep_hours=sleep_hours, stress_0_10=stress_0_10,
                                    water_glasses=water_glasses))
        if note is not None:
            values["note"] = check_text(note, "The diary note")
        day = _day(day)
        if not values:
            raise BadInputError(f"Nothing to record for {day}.",
                                "Give at least one of: caffeine (cups), sleep (hours), stress (0-10), water (glasses), a note.")
        with self._write() as s:
            row = s.scalar(select(Diary).where(Diary.day == day))
            if row is None:
                row = Diary(day=day)
                s.add(row)
            for k, v in values.items():
                setattr(row, k, v)
            row.updated_at = _utc(None)

    def diary_entry(self, day: date) -> dict | None:
        """The diary entry for one day as a dict, or ``None``."""
        d = self.diary()
        match = d[d["day"] == _day(day)]
        return None if match.empty else match.iloc[0].to_dict()

    def diary(self) -> pd.DataFrame:
        """All diary entries, by day: day, caffeine_cups, sleep_hours, stress_0_10, water_glasses, note."""
        cols = ["day", *FACTORS, "note"]
        with self._tx() as s:
            rows = s.execute(select(*(getattr(Diary, c) for c in cols)).order_by(Diary.day)).all()
        frame = pd.DataFrame([tuple(r) for r in rows], columns=cols).astype({c: float for c in FACTORS})
        return _none_for_missing(frame, ["note"])

    def add_journal(self, text: str, day: date | None = None) -> int:
        """Write down a positive moment (for ``day``, default today); its id."""
        return self.add_journal_entries([text], day)[0]

    def add_journal_entries(self, texts: list[str], day: date | None = None) -> list[int]:
        """Write down several positive moments of one day in one transaction (all or none); their ids."""
        texts = [check_text(t, "The journal entry") for t in texts]
        if not texts or not all(texts):
            raise BadInputError("The journal entry is empty.", 'Write a few words, e.g. smilescope journal add "laughed with Sam".')
        day = _day(day) if day is not None else date.today()
        rows = [Journal(day=day, text=t, created_at=_utc(None)) for t in texts]
        with self._write() as s:
            s.add_all(rows)
            s.flush()
            return [r.id for r in rows]

    def journal(self) -> pd.DataFrame:
        """All journal entries, oldest first: id, day, text, created_at (local time)."""
        with self._tx() as s:
            rows = s.execute(select(Journal).order_by(Journal.day, Journal.id)).scalars().all()
        return pd.DataFrame([(r.id, r.day, r.text, _local(r.created_at)) for r in rows],
                            columns=["id", "day", "text", "created_at"])

    # -- the coach's practice ------------------------------------------------------------------
    def start_practice(self, t: datetime | None = None) -> int:
        """Open a practice session (starting now, or at ``t``); its id."""
        row = PracticeSession(started_at=_utc(t))
        with self._write() as s:
            s.add(row)
            s.flush()
            return row.id

    def end_practice(self, session_id: int, t: datetime | None = None) -> None:
        """Close a practice session (now, or at ``t``)."""
        with self._write() as s:
            row = s.get(PracticeSession, int(session_id))
            if row is None:
                raise BadInputError(f"No practice session {session_id}.", "Start one with start_practice().")
            row.ended_at = _utc(t)

    def has_practice_session(self, session_id: int) -> bool:
        """Whether the practice session ``session_id`` is stored (deleting everything removes it)."""
        with self._tx() as s:
            return s.get(PracticeSession, int(session_id)) is not None

    def add_practice_rep(self, session_id: int, exercise: str, number: int, rep: Mapping[str, Any]) -> int:
        """Keep one scored repetition (``measures.practice.Rep.to_dict()``) of ``exercise``; its id."""
        if not isinstance(exercise, str) or not exercise or len(exercise) > 32:
            raise BadInputError(f"Invalid exercise name {exercise!r}.", "Use a key of measures.practice.EXERCISES.")
        hold = rep.get("hold_mm") or {}
        numbers = check_numbers({"start_s": rep.get("start_s"), "hold_s": rep.get("hold_s"),
                                 "hold_right_mm": hold.get("right"), "hold_left_mm": hold.get("left"),
                                 "balance": rep.get("balance"), "steadiness_mm": rep.get("steadiness_mm")},
                                what="the practice repetition")
        score = rep.get("score")
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 100:
            raise BadInputError(f"Invalid score {score!r} in the practice repetition: expected a whole number 0-100.",
                                "It was not saved; check that input.")
        for name in ("start_s", "hold_s"):
            if name not in numbers:
                raise BadInputError(f"The practice repetition has no {name}.", "Pass Rep.to_dict().")
        row = PracticeRep(session_id=int(session_id), exercise=exercise, number=int(number), score=score,
                          forced=bool(rep.get("forced")), detail=_clean_doc(dict(rep), "practice repetition"),
                          **numbers)
        with self._write() as s:
            if s.get(PracticeSession, int(session_id)) is None:
                raise BadInputError(f"No practice session {session_id}.", "Start one with start_practice().")
            s.add(row)
            s.flush()
            return row.id

    def practice(self) -> list[dict[str, Any]]:
        """Every practice session, oldest first, each with its repetitions in order (JSON-able:
        times as ISO 8601 text in UTC)."""
        with self._tx() as s:
            sessions = s.scalars(select(PracticeSession).order_by(PracticeSession.started_at, PracticeSession.id)).all()
            reps = s.scalars(select(PracticeRep).order_by(PracticeRep.session_id, PracticeRep.id)).all()
        by_session: dict[int, list] = {}
        for r in reps:
            columns = {"exercise": r.exercise, "number": r.number, "start_s": r.start_s, "hold_s": r.hold_s,
                       "hold_mm": {"right": r.hold_right_mm, "left": r.hold_left_mm}, "balance": r.balance,
                       "steadiness_mm": r.steadiness_mm, "score": r.score, "forced": r.forced}
            # the repetition as it was kept (end_s, peak_mm, ...): the columns are what is queried,
            # the detail is the rest; a key in both reads from its column
            detail = {"scores": {}, "eye_narrowing": {}, "advice": [], **(r.detail or {})}
            by_session.setdefault(r.session_id, []).append(
                {**columns, **{k: v for k, v in detail.items() if k not in columns}})
        return [{"id": p.id, "started_at": _utc(p.started_at).isoformat(),
                 "ended_at": None if p.ended_at is None else _utc(p.ended_at).isoformat(),
                 "reps": by_session.get(p.id, [])} for p in sessions]

    # -- the user's rights: take everything, delete everything --------------------------------
    def export(self) -> dict[str, Any]:
        """Everything stored, as a JSON-able dict (dates and times as ISO 8601 text)."""
        def iso(x):
            return x.isoformat() if isinstance(x, (date, datetime)) else x

        with self._tx() as s:
            doc = {
                "analyses": [{"id": r.id, "created_at": iso(_utc(r.created_at)), "source": r.source,
                              "video": r.video, "subject": r.subject, "label": r.label, "doc": r.doc}
                             for r in s.scalars(select(AnalysisRow).order_by(AnalysisRow.id))],
                "triage": [{"id": r.id, "created_at": iso(_utc(r.created_at)), "level": r.level,
                            "result": r.result, "answers": r.answers}
                           for r in s.scalars(select(Triage).order_by(Triage.id))],
                "diary": [{"day": iso(r.day), **{c: getattr(r, c) for c in (*FACTORS, "note")},
                           "updated_at": iso(_utc(r.updated_at))}
                          for r in s.scalars(select(Diary).order_by(Diary.day))],
                "journal": [{"id": r.id, "day": iso(r.day), "text": r.text, "created_at": iso(_utc(r.created_at))}
                            for r in s.scalars(select(Journal).order_by(Journal.id))],
            }
        doc["practice"] = self.practice()
        return {"format": "smilescope-export", "schema_revision": self.revision(),
                "exported_at": datetime.now(timezone.utc).isoformat(), **doc}

    def delete_all(self) -> None:
        """Delete every analysis, triage result, diary and journal entry and practice session (the schema stays)."""
        with self._write() as s:
            for model in (PracticeRep, PracticeSession, AnalysisRow, Triage, Diary, Journal):
                s.execute(delete(model))
        if self.engine.dialect.name == "sqlite":  # also wipe the freed pages from the file
            with self._errors():
                raw = self.engine.raw_connection()  # VACUUM runs outside any transaction
                try:
                    raw.driver_connection.execute("VACUUM")
                finally:
                    raw.close()


# -- helpers ----------------------------------------------------------------------------------
def summary(analysis: Analysis) -> dict[str, float | None]:
    """The history's summary columns of an analysis (a block not measured, or a number that is
    ``None`` or not finite → ``None``).

    A tremor looked for and not found is 0 mm, not ``None``: ``None`` is "not judged" (talking,
    too unsteady), and a history that kept both as empty read "not judged in any of these
    analyses" for days without tremor, and its day-to-day links compared only days with one.
    """
    smile, shake, twitches = analysis.smile, analysis.shake, analysis.twitches
    excursion = smile.excursion_mm if smile is not None else {}  # per side: {"left": mm, "right": mm}
    tremor = shake.tremor if shake is not None else None
    none_found = tremor is not None and tremor.judged and tremor.detected is False
    return {
        "excursion_left_mm": _number(excursion.get("left")),
        "excursion_right_mm": _number(excursion.get("right")),
        "asymmetry_pct": _number(smile.asymmetry_pct) if smile is not None else None,
        "tremor_amplitude_mm": 0.0 if none_found else _number(tremor.amplitude_mm) if tremor is not None else None,
        "tremor_frequency_hz": _number(tremor.frequency_hz) if tremor is not None else None,
        "twitch_rate_per_min": _number(twitches.twitch_rate_per_min.total) if twitches is not None else None,
    }


def _number(x: Any) -> float | None:
    """A finite number as a float; anything else (None, NaN, a bool) → ``None``."""
    if isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def check_numbers(values: Mapping[str, Any], names: Mapping[str, str] | None = None, *,
                  what: str | None = None) -> dict[str, float]:
    """Check numbers against :data:`LIMITS`: the given (non-None) ones as floats.

    The one place every number the store keeps is checked. ``names`` maps a column to the name
    the user knows it by (e.g. a command-line option); ``what`` says where the numbers came from.

    Raises
    ------
    BadInputError
        A value that is not a number, infinite, NaN, or outside its range, naming the field.
    """
    checked = {}
    for name, value in values.items():
        if value is None:
            continue
        limit = LIMITS[name]
        try:
            v = float(value) if not isinstance(value, bool) else math.nan
        except (TypeError, ValueError, OverflowError):  # OverflowError: an integer beyond any float
            v = math.nan
        if not (math.isfinite(v) and limit.low <= v <= limit.high):
            field = (names or {}).get(name, name) + (f" in {what}" if what else "")
            raise BadInputError(f"Invalid value for {field}: expected a number between {limit.low:g} and {limit.high:g} "
                                f"({limit.why}), got {value!r}.",
                                "Correct it and try again." if what is None else "It was not saved; check that input.")
        checked[name] = v
    return checked


def check_diary(names: Mapping[str, str] | None = None, **values: float | None) -> dict[str, float]:
    """Validate diary numbers (see :func:`check_numbers`); the given (non-None) ones as floats."""
    return check_numbers(values, names)


def check_text(text: Any, what: str) -> str:
    """The person's words as the store keeps them: stripped, and encodable as UTF-8.

    A lone surrogate (half of a character: a broken copy and paste, or a file name in a foreign
    encoding given on the command line) cannot be stored; it is refused, naming the place.
    """
    text = str(text if text is not None else "").strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise BadInputError(f"{what} holds a broken character at position {e.start + 1} (half of a character, not text).",
                            "Type it again, or copy it again from its source.") from None
    if len(text) > MAX_TEXT_CHARS:
        raise BadInputError(f"{what} is {len(text)} characters long; at most {MAX_TEXT_CHARS} are kept.",
                            "Keep it to a few sentences.")
    return text


def check_day(day: date | str, name: str = "the date") -> date:
    """A calendar day between :data:`EARLIEST_DAY` and tomorrow.

    1900 is before any diary or video a living person keeps (and Matplotlib's calendar cannot
    draw year 1); tomorrow, not today, because somewhere it is already tomorrow and a person
    travelling may write down their own local day.
    """
    if isinstance(day, datetime):
        day = day.date()
    elif not isinstance(day, date):
        try:
            if not isinstance(day, str) or not _ISO_DAY.fullmatch(day.strip()):
                # a number (20200101) or another ISO form (2024W011, 20240101) is not what the
                # message asks for, though fromisoformat reads them as dates
                raise ValueError
            day = date.fromisoformat(day.strip())
        except ValueError:
            raise BadInputError(f"Invalid value for {name}: expected YYYY-MM-DD, got {day!r}.",
                                "Write it like 2024-05-31.") from None
    latest = date.today() + timedelta(days=1)
    if day > latest:
        raise BadInputError(f"{name} {day} is in the future.", "Give today's date or an earlier one.")
    if day < EARLIEST_DAY:
        raise BadInputError(f"{name} {day} is before {EARLIEST_DAY}.", "Check the year; give a day from 1900 on.")
    return day


def check_name(text: str | None, name: str) -> str | None:
    """A subject or label: trimmed text of at most :data:`MAX_NAME_CHARS` characters, or None."""
    if text is None:
        return None
    text = " ".join(check_text(text, name).split())
    if not text:
        raise BadInputError(f"{name} is empty.", f"Give a name, e.g. {name} anna, or leave {name} out.")
    if len(text) > MAX_NAME_CHARS:
        raise BadInputError(f"{name} is {len(text)} characters long; at most {MAX_NAME_CHARS} are kept.",
                            f"Give a shorter {name}.")
    return text


def video_name(analysis: Analysis) -> str | None:
    """The file name of the analysed video (no folders: they may name the person)."""
    path = analysis.video.path if analysis.video is not None else None
    return Path(str(path)).name or None if path else None


def _none_for_missing(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Text columns with ``None`` for a missing value: pandas 3 turns None in a text column
    into NaN, which is truthy and prints as "nan"."""
    for c in columns:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), None)
    return frame


def _clean_doc(doc: Any, what: str) -> dict:

    if not isinstance(doc, Mapping):
        raise BadInputError(f"The {what} must be a JSON object (dict), got {type(doc).__name__}.")
    try:
        return json.loads(dumps(dict(doc), indent=None))
    except (TypeError, ValueError) as e:
        raise BadInputError(f"The {what} cannot be stored as JSON: {e}.") from e


def _day(day: date | str) -> date:
    return check_day(day)


def _utc(t: datetime | None) -> datetime:
    """An aware UTC time; a naive one is taken as UTC when read back from the database."""
    if t is None:
        return datetime.now(timezone.utc)
    return t.astimezone(timezone.utc) if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _local(t: datetime) -> datetime:
    """Local wall-clock time (naive) of a UTC time from the database."""
    return _utc(t).astimezone().replace(tzinfo=None)


def _operational(e: exc.OperationalError, where: str) -> BadInputError:
    msg = str(e.orig or e)
    low = msg.lower()
    if "locked" in low or "busy" in low:
        return BadInputError(f"The database {where} is busy (locked by another program or smilescope).",
                             "Wait for it to finish and try again.")
    if "disk i/o error" in low:  # what a file-size limit or a failing disk reads as
        return BadInputError(f"Could not write to {where}: the disk is full or failing ({msg}); nothing was half-written.",
                             f"Free some space and try again. {_WHERE}")
    if "full" in low:
        return BadInputError(f"The disk is full: could not write to {where}; nothing was half-written.",
                             f"Free some space and try again. {_WHERE}")
    if "unable to open" in low or "readonly" in low or "read-only" in low:
        return BadInputError(f"Cannot open or write the database {where} ({msg}).",
                             f"Check that its folder exists and is writable. {_WHERE}")
    return BadInputError(f"Cannot use the database {where}: {msg}.", f"Check that it is running and reachable. {_WHERE}")
