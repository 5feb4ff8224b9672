"""Rebuilding the projections from the log, and dumping them for comparison.

`rebuild` is what `attune replay projections` runs: drop every projection table, create
it again and replay the whole log. `dump_tables` reads every table into plain Python data
in a stable order, so "the rebuild equals the live tables" is one `==`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select

from attune.projections.projector import DEFAULT_NAME, EventSource, Projector
from attune.projections.schema import metadata


def rebuild(
    source: EventSource, engine: Engine, batch_size: int = 1000, name: str = DEFAULT_NAME
) -> int:
    """Drop and recreate the projection tables, replay the log; return the position reached.

    Stop live projectors on `engine` first: the tables are empty until the replay is done.
    """
    metadata.drop_all(engine)
    return Projector(engine, name=name).catch_up(source, batch_size)


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
