"""The store: analyses, triage results, the diary and the journal, in one SQL database.

SQLite in the user's data folder by default; any SQLAlchemy URL (e.g. PostgreSQL) by
``SMILESCOPE_DB`` or ``--db``. The schema is created and upgraded by the Alembic migrations
shipped in this package, each time a :class:`Store` opens. Times are stored in UTC and shown in
the computer's local time; a "day" is a local calendar day.
"""

from __future__ import annotations

import json
import logging
import math
import os
from contextlib import contextmanager
from datetime import date, datetime, timezone
from numbers import Real
from pathlib import Path
from typing import Any, Iterator, Mapping

import pandas as pd
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from sqlalchemy import create_engine, delete, exc, select
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import sessionmaker

from smilescope.errors import BadInputError
from smilescope.output import dumps
from smilescope.results import Analysis
from smilescope.store.models import Analysis as AnalysisRow  # the table row; Analysis is the result
from smilescope.store.models import Diary, Journal, Triage

MIGRATIONS = Path(__file__).with_name("migrations")
FACTORS = ("caffeine_cups", "sleep_hours", "stress_0_10", "water_glasses")
HISTORY_COLUMNS = ("t", "day", "source", "excursion_left_mm", "excursion_right_mm", "asymmetry_pct",
                   "tremor_amplitude_mm", "tremor_frequency_hz", "twitch_rate_per_min")
# Allowed diary ranges (inclusive); counts have no upper bound.
RANGES = {"caffeine_cups": (0.0, math.inf), "sleep_hours": (0.0, 24.0), "stress_0_10": (0.0, 10.0),
          "water_glasses": (0.0, math.inf)}
_WHERE = "Give another database with --db URL or the SMILESCOPE_DB environment variable."
log = logging.getLogger(__name__)


def default_url() -> str:
    """``SMILESCOPE_DB`` if set, else SQLite at ``user_data_dir("smilescope")/smilescope.db``."""
    env = os.environ.get("SMILESCOPE_DB", "").strip()
    if env:
        return env
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('smilescope')) / 'smilescope.db'}"


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


def record_analysis(analysis: Analysis, source: str, url: str | None = None) -> int | None:
    """Add an analysis to the history; the id, or ``None`` when the store is off or failed.

    Recording is a side benefit of ``analyze``: a store problem is logged, never raised, so the
    analysis files are still written. ``SMILESCOPE_DB=off`` (or ``url="off"``) switches it off.
    """
    if (url or default_url()).strip().lower() == "off":
        return None
    try:
        with Store(url) as store:
            return store.add_analysis(analysis, source=source)
    except BadInputError as e:
        log.warning("the analysis was not added to the history: %s", e)
        return None


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
        try:
            self._open()
        except BadInputError:
            self.close()
            raise
        self._session = sessionmaker(self.engine, expire_on_commit=False)

    def _open(self) -> None:
        with self._errors():
            if self.url.strip().lower() == "off":
                raise BadInputError("The store is switched off (SMILESCOPE_DB=off).", _WHERE)
            u = make_url(self.url)
            if u.get_backend_name() == "sqlite" and u.database not in (None, "", ":memory:"):
                Path(u.database).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(u)
            with self.engine.begin() as conn:
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
        with self._errors(), self._session.begin() as session:
            yield session

    def revision(self) -> str | None:
        """The Alembic revision the database is at (the newest one, once open)."""
        with self._errors(), self.engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    # -- analyses and triage ----------------------------------------------------------------
    def add_analysis(self, analysis: Analysis, source: str | None = None, t: datetime | None = None) -> int:
        """Store an analysis: its document (``analysis.to_dict()``: no frames, no per-frame
        signals) and the history's summary columns; the id.

        ``t`` is when it was made (a naive time is taken as local time; default now). A document
        read from a file is converted first with :meth:`Analysis.from_dict`.
        """
        if not isinstance(analysis, Analysis):
            raise BadInputError(f"Invalid value for the 'analysis' parameter: expected a smilescope Analysis, "
                                f"got {type(analysis).__name__}.",
                                "Read an analysis.json document with smilescope.results.Analysis.from_dict first.")
        row = AnalysisRow(created_at=_utc(None) if t is None else t.astimezone(timezone.utc),
                          source=None if source is None else str(source),
                          doc=_clean_doc(analysis.to_dict(), "analysis"), **summary(analysis))
        with self._tx() as s:
            s.add(row)
            s.flush()
            return row.id

    def last_analysis(self) -> dict | None:
        """The analysis document most recently added, or ``None``."""
        with self._tx() as s:
            return s.scalar(select(AnalysisRow.doc).order_by(AnalysisRow.id.desc()).limit(1))

    def last_triage(self) -> dict | None:
        """The guidance result most recently saved: ``created_at`` (local time), ``level``,
        ``result`` (``Assessment.to_dict()``) and ``answers``; ``None`` when none is saved."""
        with self._tx() as s:
            r = s.scalars(select(Triage).order_by(Triage.created_at.desc(), Triage.id.desc()).limit(1)).first()
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
        with self._tx() as s:
            s.add(row)
            s.flush()
            return row.id

    def history(self) -> pd.DataFrame:
        """One row per stored analysis, oldest first; columns :data:`HISTORY_COLUMNS`.

        ``t`` is the local time (naive datetime); ``day`` its local calendar day.
        """
        with self._tx() as s:
            rows = s.execute(select(AnalysisRow).order_by(AnalysisRow.created_at, AnalysisRow.id)).scalars().all()
        data = []
        for r in rows:
            t = _local(r.created_at)
            data.append({"t": t, "day": t.date(), "source": r.source,
                         **{c: getattr(r, c) for c in HISTORY_COLUMNS[3:]}})
        frame = pd.DataFrame(data, columns=list(HISTORY_COLUMNS))
        return frame.astype({c: float for c in HISTORY_COLUMNS[3:]})

    # -- diary and journal --------------------------------------------------------------------
    def set_diary(self, day: date, *, caffeine_cups: float | None = None, sleep_hours: float | None = None,
                  stress_0_10: float | None = None, water_glasses: float | None = None,
                  note: str | None = None) -> None:
        """Add the entry for ``day``, or update the given fields of an existing one (others kept)."""
        values = check_diary(caffeine_cups=caffeine_cups, sleep_hours=sleep_hours, stress_0_10=stress_0_10,
                             water_glasses=water_glasses)
        if note is not None:
            values["note"] = str(note)
        day = _day(day)
        if not values:
            raise BadInputError(f"Nothing to record for {day}.",
                                "Give at least one of --caffeine, --sleep, --stress, --water, --note.")
        with self._tx() as s:
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
        return pd.DataFrame([tuple(r) for r in rows], columns=cols).astype({c: float for c in FACTORS})

    def add_journal(self, text: str, day: date | None = None) -> int:
        """Write down a positive moment (for ``day``, default today); its id."""
        text = str(text or "").strip()
        if not text:
            raise BadInputError("The journal entry is empty.", 'Write a few words, e.g. smilescope journal add "laughed with Sam".')
        row = Journal(day=_day(day) if day is not None else date.today(), text=text, created_at=_utc(None))
        with self._tx() as s:
            s.add(row)
            s.flush()
            return row.id

    def journal(self) -> pd.DataFrame:
        """All journal entries, oldest first: id, day, text, created_at (local time)."""
        with self._tx() as s:
            rows = s.execute(select(Journal).order_by(Journal.day, Journal.id)).scalars().all()
        return pd.DataFrame([(r.id, r.day, r.text, _local(r.created_at)) for r in rows],
                            columns=["id", "day", "text", "created_at"])

    # -- the user's rights: take everything, delete everything --------------------------------
    def export(self) -> dict[str, Any]:
        """Everything stored, as a JSON-able dict (dates and times as ISO 8601 text)."""
        def iso(x):
            return x.isoformat() if isinstance(x, (date, datetime)) else x

        with self._tx() as s:
            doc = {
                "analyses": [{"id": r.id, "created_at": iso(_utc(r.created_at)), "source": r.source, "doc": r.doc}
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
        return {"format": "smilescope-export", "schema_revision": self.revision(),
                "exported_at": datetime.now(timezone.utc).isoformat(), **doc}

    def delete_all(self) -> None:
        """Delete every analysis, triage result, diary and journal entry (the schema stays)."""
        with self._tx() as s:
            for model in (AnalysisRow, Triage, Diary, Journal):
                s.execute(delete(model))
        if self.engine.dialect.name == "sqlite":  # also wipe the freed pages from the file
            with self._errors(), self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM")


# -- helpers ----------------------------------------------------------------------------------
def summary(analysis: Analysis) -> dict[str, float | None]:
    """The history's summary columns of an analysis (a block not measured, or a number that is
    ``None`` or not finite → ``None``)."""
    smile, shake, twitches = analysis.smile, analysis.shake, analysis.twitches
    excursion = smile.excursion_mm if smile is not None else {}  # per side: {"left": mm, "right": mm}
    tremor = shake.tremor if shake is not None else None
    return {
        "excursion_left_mm": _number(excursion.get("left")),
        "excursion_right_mm": _number(excursion.get("right")),
        "asymmetry_pct": _number(smile.asymmetry_pct) if smile is not None else None,
        "tremor_amplitude_mm": _number(tremor.amplitude_mm) if tremor is not None else None,
        "tremor_frequency_hz": _number(tremor.frequency_hz) if tremor is not None else None,
        "twitch_rate_per_min": _number(twitches.twitch_rate_per_min.total) if twitches is not None else None,
    }


def _number(x: Any) -> float | None:
    """A finite number as a float; anything else (None, NaN, a bool) → ``None``."""
    if isinstance(x, Real) and not isinstance(x, bool) and math.isfinite(x):
        return float(x)
    return None


def check_diary(names: Mapping[str, str] | None = None, **values: float | None) -> dict[str, float]:
    """Validate diary numbers against :data:`RANGES`; the given (non-None) ones as floats.

    ``names`` maps a column to the name the user knows it by (e.g. a command-line option).
    """
    checked = {}
    for name, value in values.items():
        if value is None:
            continue
        low, high = RANGES[name]
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = math.nan
        if not (low <= v <= high):
            span = f"between {low:g} and {high:g}" if math.isfinite(high) else f"{low:g} or more"
            raise BadInputError(f"Invalid value for {(names or {}).get(name, name)}: expected a number {span}, got {value!r}.",
                                "Correct it and add the entry again.")
        checked[name] = v
    return checked


def _clean_doc(doc: Any, what: str) -> dict:

    if not isinstance(doc, Mapping):
        raise BadInputError(f"The {what} must be a JSON object (dict), got {type(doc).__name__}.")
    try:
        return json.loads(dumps(dict(doc), indent=None))
    except (TypeError, ValueError) as e:
        raise BadInputError(f"The {what} cannot be stored as JSON: {e}.") from e


def _day(day: date | str) -> date:
    if isinstance(day, datetime):
        return day.date()
    if isinstance(day, date):
        return day
    try:
        return date.fromisoformat(str(day))
    except ValueError as e:
        raise BadInputError(f"Not a date: {day!r}.", "Write it as YYYY-MM-DD, e.g. 2024-05-31.") from e


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
    if "full" in low:
        return BadInputError(f"The disk is full: could not write to {where}; nothing was half-written.",
                             f"Free some space and try again. {_WHERE}")
    if "unable to open" in low or "readonly" in low or "read-only" in low:
        return BadInputError(f"Cannot open or write the database {where} ({msg}).",
                             f"Check that its folder exists and is writable. {_WHERE}")
    return BadInputError(f"Cannot use the database {where}: {msg}.", f"Check that it is running and reachable. {_WHERE}")
