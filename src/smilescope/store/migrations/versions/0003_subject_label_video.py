"""History for more than one person and video: analyses.subject (who was filmed),
analyses.label (what the recording was, e.g. "week 3") and analyses.video (the video's file
name, filled from the stored documents so analyses recorded before this revision show it too).

Runs in the one transaction of the upgrade (see :mod:`smilescope.store.core`); each step skips
what exists, like the earlier migrations.

Revision ID: 0003
Revises: 0002
"""

import ntpath

import sqlalchemy as sa
from alembic import context, op

from smilescope.store.ddl import has_column, has_index

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The table as it is at this revision (never the app's models: they describe the newest schema).
_analyses = sa.table("analyses", sa.column("id", sa.Integer), sa.column("doc", sa.JSON), sa.column("video", sa.Text))


def _video_name(doc) -> str | None:
    path = ((doc or {}).get("video") or {}).get("path") if isinstance(doc, dict) else None
    if not isinstance(path, str) or not path.strip():
        return None
    return ntpath.basename(path.strip()) or None  # ntpath splits on / and \, whichever system wrote it


def upgrade() -> None:
    for name in ("video", "subject", "label"):
        if not has_column("analyses", name):
            op.add_column("analyses", sa.Column(name, sa.Text))
    if not has_index("analyses", "ix_analyses_subject"):
        op.create_index("ix_analyses_subject", "analyses", ["subject"])
    if context.is_offline_mode():  # no rows to read when only writing SQL
        return
    bind = op.get_bind()
    for row_id, doc in bind.execute(sa.select(_analyses.c.id, _analyses.c.doc).where(_analyses.c.video.is_(None))).all():
        name = _video_name(doc)
        if name is not None:
            bind.execute(_analyses.update().where(_analyses.c.id == row_id).values(video=name))


def downgrade() -> None:
    # Going back discards subject and label (the video name is still inside each doc).
    op.drop_index("ix_analyses_subject", table_name="analyses")
    with op.batch_alter_table("analyses") as batch:
        for name in ("label", "subject", "video"):
            batch.drop_column(name)
