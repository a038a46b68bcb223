"""Migrations: an old database keeps all its data when upgraded; the SQL compiles for PostgreSQL."""

from __future__ import annotations

import io
from datetime import date, datetime, timezone

import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from smilescope.store import Store
from smilescope.store.core import alembic_config
from smilescope.store.models import Base

from store_month import analysis, analysis_doc


def _migrate(url: str, revision: str, *, down: bool = False) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)
    engine.dispose()


def test_the_revisions_are_in_a_line():
    script = ScriptDirectory.from_config(alembic_config())
    assert [r.revision for r in script.walk_revisions()] == ["0004", "0003", "0002", "0001"]


def test_upgrade_from_the_first_revision_keeps_every_row(tmp_path):
    url = f"sqlite:///{tmp_path}/old.db"
    _migrate(url, "0001")
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    meta.reflect(engine)
    assert set(meta.tables) == {"alembic_version", "analyses", "triage", "diary"}  # no journal yet
    with_twitches = analysis_doc(tremor_amplitude_mm=0.4, twitch_rate_per_min=3.5)
    old_file = analysis_doc(tremor_amplitude_mm=0.3, twitch_rate_per_min=None)
    when = datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
    with engine.begin() as conn:
        for doc in (with_twitches, old_file):
            conn.execute(meta.tables["analyses"].insert().values(
                created_at=when, source="old.mp4", excursion_left_mm=11.0, excursion_right_mm=10.0,
                asymmetry_pct=9.1, tremor_amplitude_mm=doc["shake"]["tremor"]["amplitude_mm"],
                tremor_frequency_hz=5.0, doc=doc))
        conn.execute(meta.tables["triage"].insert().values(created_at=when, level="info",
                                                          result={"level": "info"}, answers={"a": 1}))
        conn.execute(meta.tables["diary"].insert().values(day=date(2024, 5, 1), caffeine_cups=3.0, sleep_hours=6.5,
                                                         stress_0_10=7.0, water_glasses=4.0, note="before",
                                                         updated_at=when))
    engine.dispose()

    with Store(url) as s:  # opening upgrades to head
        assert s.revision() == "0004"
        h = s.history()
        assert h["tremor_amplitude_mm"].tolist() == [0.4, 0.3]
        assert h["twitch_rate_per_min"].iloc[0] == 3.5  # filled in from the stored document
        assert h["twitch_rate_per_min"].isna().iloc[1]  # unknown stays unknown
        assert (h["source"] == "old.mp4").all() and (h["asymmetry_pct"] == 9.1).all()
        assert h["video"].tolist() == ["clip.mp4", "clip.mp4"]  # 0003 filled it from the documents
        assert h["subject"].isna().all() and h["label"].isna().all()
        exported = s.export()
        assert [a["doc"] for a in exported["analyses"]] == [with_twitches, old_file]
        assert exported["triage"][0]["result"] == {"level": "info"} and exported["triage"][0]["answers"] == {"a": 1}
        entry = s.diary_entry(date(2024, 5, 1))
        assert (entry["caffeine_cups"], entry["sleep_hours"], entry["stress_0_10"], entry["water_glasses"],
                entry["note"]) == (3.0, 6.5, 7.0, 4.0, "before")
        s.add_journal("the new table works")
        assert len(s.journal()) == 1


def test_downgrade_then_upgrade_keeps_the_analyses(tmp_path):
    url = f"sqlite:///{tmp_path}/d.db"
    with Store(url) as s:
        s.add_analysis(analysis(tremor_amplitude_mm=0.4, twitch_rate_per_min=1.5))
    _migrate(url, "0001", down=True)
    with Store(url) as s:
        assert s.history()["twitch_rate_per_min"].tolist() == [1.5]


def test_models_match_the_migrated_schema(tmp_path):
    with Store(f"sqlite:///{tmp_path}/m.db") as s, s.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_migrations_compile_for_postgresql_offline():
    buf = io.StringIO()
    cfg = alembic_config("postgresql://user@localhost/smilescope", output_buffer=buf)
    command.upgrade(cfg, "head", sql=True)
    sql = buf.getvalue()
    for piece in ("CREATE TABLE alembic_version", "CREATE TABLE analyses", "CREATE TABLE triage",
                  "CREATE TABLE diary", "CONSTRAINT uq_diary_day UNIQUE (day)", "doc JSON NOT NULL",
                  "created_at TIMESTAMP WITH TIME ZONE NOT NULL", "CREATE TABLE journal",
                  "ALTER TABLE analyses ADD COLUMN twitch_rate_per_min FLOAT",
                  "UPDATE alembic_version SET version_num='0002'", "ALTER TABLE analyses ADD COLUMN subject TEXT",
                  "CREATE INDEX ix_analyses_subject ON analyses (subject)",
                  "UPDATE alembic_version SET version_num='0003'", "CREATE TABLE practice_sessions",
                  "CREATE TABLE practice_reps", "UPDATE alembic_version SET version_num='0004'"):
        assert piece in sql, piece
