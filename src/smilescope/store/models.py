"""The database tables, as SQLAlchemy 2 models (portable types only: SQLite and PostgreSQL).

The schema itself is made by the Alembic migrations in ``migrations/versions``; these models
describe its head revision, and a test checks that the two agree. No video frames and no
per-frame signals are ever stored: an analysis keeps its summary document only.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints, so that migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "pk": "pk_%(table_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Analysis(Base):
    """One analysed video: summary columns for the history, and the analysis document."""

    __tablename__ = "analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # UTC
    source: Mapped[str | None] = mapped_column(Text)
    video: Mapped[str | None] = mapped_column(Text)  # the video's file name (since revision 0003)
    subject: Mapped[str | None] = mapped_column(Text, index=True)  # who was filmed (since 0003)
    label: Mapped[str | None] = mapped_column(Text)  # what the recording was, e.g. "week 3" (since 0003)
    excursion_left_mm: Mapped[float | None] = mapped_column(Float)
    excursion_right_mm: Mapped[float | None] = mapped_column(Float)
    asymmetry_pct: Mapped[float | None] = mapped_column(Float)
    tremor_amplitude_mm: Mapped[float | None] = mapped_column(Float)
    tremor_frequency_hz: Mapped[float | None] = mapped_column(Float)
    twitch_rate_per_min: Mapped[float | None] = mapped_column(Float)  # since revision 0002
    doc: Mapped[dict] = mapped_column(JSON)


class Triage(Base):
    """One guidance result with the answers it was given."""

    __tablename__ = "triage"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC
    level: Mapped[str] = mapped_column(String(32))
    result: Mapped[dict] = mapped_column(JSON)
    answers: Mapped[dict] = mapped_column(JSON)


class Diary(Base):
    """One diary entry per day: the factors that may go with more or less shaking."""

    __tablename__ = "diary"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    caffeine_cups: Mapped[float | None] = mapped_column(Float)
    sleep_hours: Mapped[float | None] = mapped_column(Float)
    stress_0_10: Mapped[float | None] = mapped_column(Float)
    water_glasses: Mapped[float | None] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC


class Journal(Base):
    """A positive moment, in the user's own words (since revision 0002)."""

    __tablename__ = "journal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # UTC


class PracticeSession(Base):
    """One practice session of the coach (since revision 0004)."""

    __tablename__ = "practice_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)  # UTC
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # UTC; None: not closed


class PracticeRep(Base):
    """One scored repetition of an exercise (since revision 0004); sides are the person's own."""

    __tablename__ = "practice_reps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("practice_sessions.id", ondelete="CASCADE"), index=True)
    exercise: Mapped[str] = mapped_column(String(32))
    number: Mapped[int] = mapped_column(Integer)
    start_s: Mapped[float] = mapped_column(Float)  # seconds into the session
    hold_s: Mapped[float] = mapped_column(Float)
    hold_right_mm: Mapped[float | None] = mapped_column(Float)
    hold_left_mm: Mapped[float | None] = mapped_column(Float)
    balance: Mapped[float | None] = mapped_column(Float)
    steadiness_mm: Mapped[float | None] = mapped_column(Float)
    score: Mapped[int] = mapped_column(Integer)
    forced: Mapped[bool] = mapped_column(Boolean)
    detail: Mapped[dict] = mapped_column(JSON)  # the repetition as scored (scores, eye narrowing, advice)
