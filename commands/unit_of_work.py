"""A unit of work: the aggregates one batch of commands touches, saved in one transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar
from uuid import UUID

from attune.commands.store import EventStore
from attune.domain.events import AttuneAggregate

A = TypeVar("A", bound=AttuneAggregate)


class UnitOfWork:
    """Identity map over the store: a second command on an aggregate sees the first's effect."""

    def __init__(self, store: EventStore) -> None:
        self._store = store
        self._aggregates: dict[UUID, AttuneAggregate | None] = {}

    def preload(self, aggregate_ids: Iterable[UUID]) -> None:
        """Load these aggregates together (one query on PostgreSQL) before handlers ask."""
        missing = [i for i in dict.fromkeys(aggregate_ids) if i not in self._aggregates]
        if missing:
            self._aggregates.update(self._store.load_many(missing))

    def get(self, kind: type[A], aggregate_id: UUID) -> A | None:
        if aggregate_id not in self._aggregates:
            self._aggregates[aggregate_id] = self._store.load(aggregate_id)
        found = self._aggregates[aggregate_id]
        if found is not None and not isinstance(found, kind):
            raise TypeError(f"{aggregate_id} is a {type(found).TOPIC}, not a {kind.TOPIC}")
        return found

    def add(self, aggregate: AttuneAggregate) -> None:
        self._aggregates[aggregate.id] = aggregate

    def changed(self) -> list[AttuneAggregate]:
        return [a for a in self._aggregates.values() if a is not None and a.pending_events]
