"""eventsourcing's SQLite persistence with Attune's connection settings.

Selected with ``PERSISTENCE_MODULE=attune.infra.storage.sqlite_event_store``. It adds one setting,
``SQLITE_SYNCHRONOUS`` (SQLite's ``PRAGMA synchronous``): ``FULL`` syncs the write-ahead log
on every commit, surviving power loss; ``NORMAL`` syncs at checkpoints, surviving any crash
of Attune itself (a SIGKILL, say) but possibly losing the last commits on power loss.
The database file (with its write-ahead log) is made readable by its owner only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

# Imported as a module: eventsourcing wants exactly one factory class in this module.
from eventsourcing import sqlite

from attune.infra.security.private_files import private_sqlite_database

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")


class Factory(sqlite.SQLiteFactory):
    def __init__(self, env: Any) -> None:
        super().__init__(env)
        mode = (self.env.get("SQLITE_SYNCHRONOUS") or "FULL").upper()
        if mode not in SYNCHRONOUS_MODES:
            raise ValueError(f"SQLITE_SYNCHRONOUS must be one of {SYNCHRONOUS_MODES}, not {mode!r}")
        pool = self.datastore.pool
        if not pool.is_sqlite_memory_mode and not pool.db_name.startswith("file:"):
            private_sqlite_database(Path(pool.db_name))  # before the first connection makes it
        create = pool._create_connection  # eventsourcing offers no hook for connection pragmas

        def create_with_pragmas() -> sqlite.SQLiteConnection:
            connection = create()
            connection._sqlite_conn.execute(f"PRAGMA synchronous={mode}")
            return connection

        pool._create_connection = create_with_pragmas  # type: ignore[method-assign]
