"""First schema: analyses, triage results and the diary.

Each step skips what exists: older versions could leave this migration half-done (see
:mod:`smilescope.store.ddl`), and the next open completes it.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from smilescope.store.ddl import has_index, has_table

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not has_table("analyses"):
        _create_analyses()
    if not has_index("analyses", "ix_analyses_created_at"):
        op.create_index("ix_analyses_created_at", "analyses", ["created_at"])
    if not has_table("triage"):
        _create_triage()
    if not has_table("diary"):
        _create_diary()


def _create_analyses() -> None:
    op.create_table(
        "analyses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("excursion_left_mm", sa.Float),
        sa.Column("excursion_right_mm", sa.Float),
        sa.Column("asymmetry_pct", sa.Float),
        sa.Column("tremor_amplitude_mm", sa.Float),
        sa.Column("tremor_frequency_hz", sa.Float),
        sa.Column("doc", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_analyses"),
    )


def _create_triage() -> None:
    op.create_table(
        "triage",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("level", sa.String(32), nullable=False),
        sa.Column("result", sa.JSON, nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_triage"),
    )


def _create_diary() -> None:
    op.create_table(
        "diary",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("caffeine_cups", sa.Float),
        sa.Column("sleep_hours", sa.Float),
        sa.Column("stress_0_10", sa.Float),
        sa.Column("water_glasses", sa.Float),
        sa.Column("note", sa.Text),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_diary"),
        sa.UniqueConstraint("day", name="uq_diary_day"),
    )


def downgrade() -> None:
    op.drop_table("diary")
    op.drop_table("triage")
    op.drop_index("ix_analyses_created_at", table_name="analyses")
    op.drop_table("analyses")
