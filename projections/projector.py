"""The projector: applies the store's log of domain events to the projection tables.

Each batch is applied in one transaction together with the projector's position, so a
crash loses nothing and repeats nothing: events at or below the stored position are
skipped, and applying a batch twice changes nothing. Rows depend only on the events, so a
rebuild from the log equals the live tables.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import Connection, Engine, Select, select

from attune.domain.events import AttuneEvent, event_name
from attune.projections.changes import RowChanges
from attune.projections.handlers import HANDLERS
from attune.projections.schema import audit, projection_position
from attune.projections.security import audit_row
from attune.projections.storage import DEFAULT_RETENTION_DAYS, create_read_models
from attune.projections.watch import PositionWatch

DEFAULT_NAME = "read_model"


def position_query(name: str = DEFAULT_NAME) -> Select[int]:
    """How far the projector `name` got: its row of `projection_position` (one column)."""
    return select(projection_position.c.position).where(projection_position.c.name == name)


class EventSource(Protocol):
    """The ordered log of domain events with their store positions (the event store)."""

    def read(self, after: int, limit: int) -> Sequence[tuple[int, AttuneEvent]]: ...


class Projector:
    """Keeps the projection tables of `engine` up to date and `watch` at their position.

    Creates the tables if they do not exist yet, on TimescaleDB with their hypertables,
    aggregates and policies, keeping runtime rows for `retention_days` (`storage`);
    `timescaledb` tells whether it found the extension. Thread-safe.
    """

    def __init__(
        self,
        engine: Engine,
        watch: PositionWatch | None = None,
        name: str = DEFAULT_NAME,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._engine = engine
        self._name = name
        self._lock = threading.Lock()
        row = projection_position.c.name == name
        # Built once: constructing statements per batch costs more than running them.
        self._lock_row = (
            projection_position.update().where(row).values(position=projection_position.c.position)
        )
        self._read_position = position_query(name)
        self._write_position = projection_position.update().where(row)
        self.timescaledb = create_read_models(engine, retention_days)
        with engine.begin() as connection:
            if self._stored_position(connection) is None:
                connection.execute(projection_position.insert().values(name=name, position=0))
        self.watch = PositionWatch() if watch is None else watch
        self.watch.advance(self.position())

    def position(self) -> int:
        with self._engine.connect() as connection:
            return self._stored_position(connection) or 0

    def apply(self, batch: Sequence[tuple[int, AttuneEvent]]) -> int:
        """Apply the events past the stored position; return the position now stored."""
        with self._lock:
            position = self._apply(batch)
        self.watch.advance(position)
        return position

    def catch_up(self, source: EventSource, batch_size: int = 1000) -> int:
        """Apply everything `source` holds past the stored position; return the new position."""
        position = self.watch.position()  # `apply` re-checks the stored one in its transaction
        while batch := source.read(position, batch_size):
            position = self.apply(batch)
        return position

    def _apply(self, batch: Sequence[tuple[int, AttuneEvent]]) -> int:
        with self._engine.begin() as connection:
            # Taking the row's write lock first serialises projectors sharing the tables
            # (another process, say), so none applies an event another already applied.
            connection.execute(self._lock_row)
            stored = self._stored_position(connection) or 0
            changes = RowChanges()
            position = stored
            for event_position, event in batch:
                if event_position <= stored:
                    continue
                handler = HANDLERS.get(event_name(event))
                if handler is not None:
                    handler(event, event_position, changes)
                changes.insert(audit, str(event_position), audit_row(event, event_position))
                position = max(position, event_position)
            if position == stored:
                return stored
            changes.write(connection)
            connection.execute(self._write_position, {"position": position})
            return position

    def _stored_position(self, connection: Connection) -> int | None:
        return connection.execute(self._read_position).scalar_one_or_none()
