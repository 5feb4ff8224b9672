"""Creating and dropping the read models: their tables on every backend and, where the
database has the TimescaleDB extension, the hypertables, continuous aggregates and
policies (`timescaledb`). TimescaleDB is detected at each start, never configured.
"""

from __future__ import annotations

import logging

from sqlalchemy import Engine

from attune.projections.schema import metadata
from attune.projections.timescaledb import (
    drop_continuous_aggregates,
    extension_schema,
    use_timescaledb,
)

DEFAULT_RETENTION_DAYS = 90

log = logging.getLogger(__name__)


def create_read_models(engine: Engine, retention_days: int = DEFAULT_RETENTION_DAYS) -> bool:
    """Create whatever is missing; return whether TimescaleDB holds the read models.

    `retention_days` is how long TimescaleDB keeps runtime rows (trigger events,
    enforcements, executions and their history); plain tables keep everything.
    """
    if retention_days < 1:
        raise ValueError(f"the retention must be at least one day, not {retention_days}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        extension = extension_schema(connection)
        if extension is not None:
            use_timescaledb(connection, extension, retention_days)
    log.info(
        "read models on %s%s",
        engine.dialect.name,
        f" with TimescaleDB (retention {retention_days} days)" if extension else "",
    )
    return extension is not None


def drop_read_models(engine: Engine) -> None:
    """Drop every read-model table, and the continuous aggregates that depend on them."""
    with engine.begin() as connection:
        drop_continuous_aggregates(connection)
    metadata.drop_all(engine)
