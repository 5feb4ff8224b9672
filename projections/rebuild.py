"""Rebuilding the projections from the log, and dumping them for comparison.

`rebuild` is what `attune replay projections` runs: drop every projection table (and the
continuous aggregates on TimescaleDB), create them again and replay the whole log.
`dump_tables` reads every table into plain Python data in a stable order, so "the rebuild
equals the live tables" is one `==`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from attune.projections.projector import DEFAULT_NAME, EventSource, Projector
from attune.projections.schema import metadata
from attune.projections.storage import DEFAULT_RETENTION_DAYS, drop_read_models


def rebuild(
    source: EventSource,
    engine: Engine,
    batch_size: int = 1000,
    name: str = DEFAULT_NAME,
    *,
    retention_days: int = DEFAULT_RETENTION_DAYS,
) -> int:
    """Drop and recreate the projection tables, replay the log; return the position reached.

    Stop live projectors on `engine` first: the tables are empty until the replay is done.
    The replay writes rows older than the retention too; TimescaleDB's retention policy
    drops them again at its next run.
    """
    drop_read_models(engine)
    projector = Projector(engine, name=name, retention_days=retention_days)
    return projector.catch_up(source, batch_size)


def dump_tables(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every projection table's rows (as dicts), ordered by primary key."""
    with engine.connect() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in metadata.sorted_tables
        }
