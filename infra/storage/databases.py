"""Where the event store and the read models live: SQLite files or PostgreSQL.

Embedded Attune keeps both in SQLite files under the state directory. With
`ATTUNE_DATABASE_URL=postgresql://user:password@host:port/dbname` both live in that
PostgreSQL database (optionally in `ATTUNE_DATABASE_SCHEMA`): the event store through
eventsourcing's psycopg 3 recorder, the read models through SQLAlchemy. SQLite files are
readable by their owner only.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy
from sqlalchemy.engine import URL, make_url

from attune.infra.security.private_files import private_sqlite_database
from attune.infra.settings import Settings


def postgres_url(settings: Settings) -> URL | None:
    if not settings.database_url:
        return None
    url = make_url(settings.database_url)
    if not url.drivername.startswith("postgresql"):
        raise ValueError(
            f"ATTUNE_DATABASE_URL must be a postgresql:// URL, not {url.drivername}://"
        )
    return url


def database_address(settings: Settings) -> str:
    """Where the store is, for messages: the PostgreSQL URL without its password."""
    url = postgres_url(settings)
    if url is None:
        return str(settings.events_db)
    return url.render_as_string(hide_password=True)


def store_environment(settings: Settings) -> dict[str, str]:
    """eventsourcing's settings for Attune's event store."""
    common = {
        "AGGREGATE_CACHE_MAXSIZE": str(settings.aggregate_cache_size),
        # Handlers mutate the cached aggregate itself; a failed write empties the cache.
        "DEEPCOPY_FROM_AGGREGATE_CACHE": "n",
    }
    url = postgres_url(settings)
    if url is None:
        return common | {
            "PERSISTENCE_MODULE": "attune.infra.storage.sqlite_event_store",
            "SQLITE_SYNCHRONOUS": settings.sqlite_synchronous,
            "SQLITE_DBNAME": str(settings.events_db),
            "SQLITE_LOCK_TIMEOUT": "30",
            # One process writes the embedded store, so cached aggregates stay current.
            "AGGREGATE_CACHE_FASTFORWARD": "n",
        }
    postgres = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": url.database or "postgres",
        # A Unix-socket server names its socket directory in `?host=` instead.
        "POSTGRES_HOST": url.host or str(url.query.get("host") or "127.0.0.1"),
        "POSTGRES_PORT": str(url.port or 5432),
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_CONNECT_TIMEOUT": "10",
        # Other processes write the same store: a cached aggregate catches up when loaded.
        "AGGREGATE_CACHE_FASTFORWARD": "y",
    }
    if settings.database_schema:
        postgres["POSTGRES_SCHEMA"] = settings.database_schema
    return common | postgres


def read_engine_of(settings: Settings) -> sqlalchemy.Engine:
    """The SQLAlchemy engine of the read models."""
    url = postgres_url(settings)
    if url is None:
        private_sqlite_database(settings.read_db)  # before SQLAlchemy's first connection
        engine = sqlalchemy.create_engine(f"sqlite:///{settings.read_db}")
        sqlalchemy.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    options: dict[str, Any] = {}
    if settings.database_schema:
        options["options"] = f"-csearch_path={settings.database_schema}"
    return sqlalchemy.create_engine(
        url.set(drivername="postgresql+psycopg"), connect_args=options, pool_pre_ping=True
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    # WAL lets the API read while the projector writes.
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
