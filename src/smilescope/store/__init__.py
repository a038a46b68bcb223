"""The store: the user's history of analyses, triage results, diary and journal.

One SQL database (SQLite by default, PostgreSQL by URL) whose schema the Alembic migrations in
``migrations/`` create and upgrade on open. No video frames or per-frame signals are stored;
:meth:`Store.export` gives the user everything and :meth:`Store.delete_all` removes it.
"""

from smilescope.store.core import FACTORS, Store, default_url, record_analysis

__all__ = ["FACTORS", "Store", "default_url", "record_analysis"]
