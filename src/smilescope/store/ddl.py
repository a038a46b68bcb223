"""What a migration asks before it changes the schema: does this table, column or index exist?

Each migration runs in one transaction (see :mod:`smilescope.store.core`), so a migration that
is interrupted leaves nothing behind. Older versions of smilescope committed each CREATE/ALTER
on its own, and a kill half-way left some of a migration's changes without its revision; the
migrations therefore skip what is already there, and the next open completes the schema.

Each question is asked of the database as it is now (never of the app's models). When Alembic
only writes SQL (offline mode) there is no database to ask, and everything is written out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op


def _inspector() -> sa.Inspector | None:
    return None if context.is_offline_mode() else sa.inspect(op.get_bind())


def has_table(table: str) -> bool:
    inspector = _inspector()
    return inspector is not None and inspector.has_table(table)


def has_column(table: str, column: str) -> bool:
    inspector = _inspector()
    return (inspector is not None and inspector.has_table(table)
            and column in {c["name"] for c in inspector.get_columns(table)})


def has_index(table: str, index: str) -> bool:
    inspector = _inspector()
    return (inspector is not None and inspector.has_table(table)
            and index in {i["name"] for i in inspector.get_indexes(table)})
