"""Add the journal of positive moments, and analyses.twitch_rate_per_min (filled from the
stored documents, so analyses recorded before this revision keep their twitch rate).

Each step skips what exists: older versions could leave this migration half-done (see
:mod:`smilescope.store.ddl`), and the next open completes it.

Revision ID: 0002
Revises: 0001
"""

import math

import sqlalchemy as sa
from alembic import context, op

from smilescope.store.ddl import has_column, has_index, has_table

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# A lightweight view of the table as it is at this revision (never import the app's models
# into a migration: they describe the newest schema, not this one).
_analyses = sa.table("analyses", sa.column("id", sa.Integer), sa.column("doc", sa.JSON),
                     sa.column("twitch_rate_per_min", sa.Float))


def _twitch_rate(doc) -> float | None:
    rate = ((doc or {}).get("shake") or {}).get("twitch_rate_per_min")
    value = rate.get("total") if isinstance(rate, dict) else rate
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def upgrade() -> None:
    if not has_column("analyses", "twitch_rate_per_min"):
        op.add_column("analyses", sa.Column("twitch_rate_per_min", sa.Float))
    if not has_table("journal"):
        op.create_table(
            "journal",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("text", sa.Text, nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_journal"),
        )
    if not has_index("journal", "ix_journal_day"):
        op.create_index("ix_journal_day", "journal", ["day"])
    if context.is_offline_mode():  # no rows to read when only writing SQL
        return
    bind = op.get_bind()
    for row_id, doc in bind.execute(sa.select(_analyses.c.id, _analyses.c.doc)).all():
        rate = _twitch_rate(doc)
        if rate is not None:
            bind.execute(_analyses.update().where(_analyses.c.id == row_id).values(twitch_rate_per_min=rate))


def downgrade() -> None:
    # Going back discards the journal and the twitch-rate column (still inside each doc).
    op.drop_index("ix_journal_day", table_name="journal")
    op.drop_table("journal")
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("twitch_rate_per_min")
