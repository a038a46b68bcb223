"""The coach's practice: practice_sessions and their scored repetitions, practice_reps.

Runs in the one transaction of the upgrade (see :mod:`smilescope.store.core`); each step skips
what exists, like the earlier migrations.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from smilescope.store.ddl import has_index, has_table

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not has_table("practice_sessions"):
        op.create_table(
            "practice_sessions",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("ended_at", sa.DateTime(timezone=True)),
            sa.PrimaryKeyConstraint("id", name="pk_practice_sessions"),
        )
    if not has_index("practice_sessions", "ix_practice_sessions_started_at"):
        op.create_index("ix_practice_sessions_started_at", "practice_sessions", ["started_at"])
    if not has_table("practice_reps"):
        op.create_table(
            "practice_reps",
            sa.Column("id", sa.Integer, primary_key=True),
            sa.Column("session_id", sa.Integer, sa.ForeignKey("practice_sessions.id", ondelete="CASCADE",
                                                              name="fk_practice_reps_session_id_practice_sessions"),
                      nullable=False),
            sa.Column("exercise", sa.String(32), nullable=False),
            sa.Column("number", sa.Integer, nullable=False),
            sa.Column("start_s", sa.Float, nullable=False),
            sa.Column("hold_s", sa.Float, nullable=False),
            sa.Column("hold_right_mm", sa.Float),
            sa.Column("hold_left_mm", sa.Float),
            sa.Column("balance", sa.Float),
            sa.Column("steadiness_mm", sa.Float),
            sa.Column("score", sa.Integer, nullable=False),
            sa.Column("forced", sa.Boolean, nullable=False),
            sa.Column("detail", sa.JSON, nullable=False),
            sa.PrimaryKeyConstraint("id", name="pk_practice_reps"),
        )
    if not has_index("practice_reps", "ix_practice_reps_session_id"):
        op.create_index("ix_practice_reps_session_id", "practice_reps", ["session_id"])


def downgrade() -> None:
    op.drop_table("practice_reps")
    op.drop_table("practice_sessions")
