"""The store: the user's history of analyses, triage results, diary and journal.

One SQL database (SQLite by default, PostgreSQL by URL) whose schema the Alembic migrations in
``migrations/`` create and upgrade on open. No video frames or per-frame signals are stored;
:meth:`Store.export` gives the user everything and :meth:`Store.delete_all` removes it.

The store's modules load SQLAlchemy, Alembic and pandas (about 0.6 s), so they load on the
first use of a name here: ``from smilescope import store`` is free, ``store.Store(...)`` loads
them. Commands that keep nothing (``analyze --no-save``, ``--help``) never pay for them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smilescope.store import figures, models, nof1  # noqa: F401
    from smilescope.store.core import (FACTORS, LIMITS, Store, check_day, check_diary, check_name,  # noqa: F401
                                       check_numbers, default_url, private_folder, record_analysis, store_url)

_FROM_CORE = ("FACTORS", "LIMITS", "Store", "check_day", "check_diary", "check_name", "check_numbers", "default_url",
              "private_folder", "record_analysis", "store_url")
_SUBMODULES = ("core", "figures", "models", "nof1")

__all__ = [*_FROM_CORE, *_SUBMODULES]


def __getattr__(name: str) -> Any:
    if name in _FROM_CORE:
        return getattr(importlib.import_module("smilescope.store.core"), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"smilescope.store.{name}")
    raise AttributeError(f"module 'smilescope.store' has no attribute {name!r}")
