"""The event store: eventsourcing's `Application` over SQLite (embedded) or PostgreSQL.

Stored events are JSON (orjson): topics are the stable public event names, UUIDs are
strings and times are ISO-8601. The store's notification log is the single ordered log of
all domain events; `record()` writes aggregates' new events together with a processor's
tracking position in one transaction.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import cache
from typing import Any, ClassVar
from uuid import UUID

import orjson
from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    ProcessingEvent,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    AggregateRecorder,
    Mapper,
    Notification,
    ProcessRecorder,
    StoredEvent,
    Tracking,
    Transcoder,
)
from eventsourcing.utils import get_topic

from attune.domain.catalogue import EVENT_TYPES  # importing it registers every event topic
from attune.domain.events import AttuneAggregate, AttuneEvent


class OrjsonTranscoder(Transcoder):
    def encode(self, obj: Any) -> bytes:
        return orjson.dumps(obj)

    def decode(self, data: bytes) -> Any:
        return orjson.loads(data)


def _converter(hint: Any) -> Callable[[str], Any] | None:
    options = set(typing.get_args(hint)) or {hint}
    if UUID in options:
        return UUID
    if datetime in options:
        return datetime.fromisoformat
    return None


@cache
def _field_converters(event_class: type) -> tuple[tuple[str, Callable[[str], Any]], ...]:
    hints = typing.get_type_hints(event_class)
    pairs = ((name, _converter(hint)) for name, hint in hints.items())
    return tuple((name, conv) for name, conv in pairs if conv is not None)


# Envelope fields added after events were first stored, with the value older events have.
ENVELOPE_DEFAULTS: dict[str, Any] = {"source": None}  # added with issue #4 (audit)


class JsonEventMapper(Mapper):
    """Decodes UUID and datetime fields back to their types, guided by the event class."""

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = event.__dict__
        for name, value in ENVELOPE_DEFAULTS.items():
            state.setdefault(name, value)
        for name, convert in _field_converters(type(event)):
            value = state.get(name)
            if isinstance(value, str):
                state[name] = convert(value)
        return event


_ENVELOPE_FIELDS = {
    "occurred_at": "timestamp",
    "actor": "actor",
    "correlation_id": "correlation_id",
    "causation_id": "causation_id",
    "source": "source",
}
_mapper = JsonEventMapper(transcoder=OrjsonTranscoder())


class UnreadableEvent(ValueError):
    """A message that is not the public envelope of a domain event we know."""


def decode_envelope(value: bytes | None) -> tuple[int, AttuneEvent]:
    """The store position and domain event of an envelope (as the relay publishes it)."""
    try:
        data = orjson.loads(value or b"")
        cls = EVENT_TYPES[data["type"]]
        state = dict(data["payload"])
        state.update({field: data[name] for name, field in _ENVELOPE_FIELDS.items()})
        if issubclass(cls, Aggregate.Created):
            state["originator_topic"] = data["type"].partition(".")[0]
        if data["schema_version"] > 1:
            state["class_version"] = data["schema_version"]
        stored = StoredEvent(
            originator_id=UUID(data["aggregate_id"]),
            originator_version=data["aggregate_version"],
            topic=data["type"],
            state=orjson.dumps(state),
        )
        event = typing.cast(AttuneEvent, _mapper.to_domain_event(stored))
        return int(data["position"]), event
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError) as problem:
        raise UnreadableEvent(f"not a domain event envelope: {problem!r}") from None


SavedListener = Callable[[int], None]
# Every stored event of some aggregates, in version order per aggregate, in one query.
EventsOf = Callable[[Sequence[UUID]], list[StoredEvent]]
# Builds that query on a recorder that can run it (PostgreSQL), else None.
BulkReader = Callable[[AggregateRecorder], EventsOf | None]


class EventStore(Application):
    """Attune's one event-sourced application. Configure it with eventsourcing's env."""

    name = "attune"
    env: ClassVar[dict[str, str]] = {
        "TRANSCODER_TOPIC": get_topic(OrjsonTranscoder),
        "MAPPER_TOPIC": get_topic(JsonEventMapper),
    }

    def __init__(
        self, env: dict[str, str] | None = None, bulk_reader: BulkReader | None = None
    ) -> None:
        super().__init__(env)
        self._events_of = None if bulk_reader is None else bulk_reader(self.recorder)
        self._listeners: list[SavedListener] = []
        self._listeners_lock = threading.Lock()

    def construct_recorder(self) -> ProcessRecorder:
        return self.factory.process_recorder()

    @property
    def process_recorder(self) -> ProcessRecorder:
        return typing.cast(ProcessRecorder, self.recorder)

    def on_saved(self, listener: SavedListener) -> None:
        """Call `listener(position)` after every successful write (the in-process wake-up)."""
        with self._listeners_lock:
            self._listeners.append(listener)

    def record(
        self, aggregates: Sequence[AttuneAggregate], tracking: Tracking | None = None
    ) -> int:
        """Write the aggregates' pending events (and the tracking) atomically.

        Returns the store position of the last event written (0 when nothing was written).
        """
        processing: ProcessingEvent[UUID] = ProcessingEvent(tracking=tracking)
        processing.collect_events(*aggregates)
        if not processing.events and tracking is None:
            return 0
        recordings = self._record(processing)
        position = max((r.notification.id for r in recordings), default=0)
        if position:
            for listener in list(self._listeners):
                listener(position)
        return position

    def load(self, aggregate_id: UUID) -> AttuneAggregate | None:
        try:
            return typing.cast(AttuneAggregate, self.repository.get(aggregate_id))
        except AggregateNotFoundError:
            return None

    def load_many(self, aggregate_ids: Sequence[UUID]) -> dict[UUID, AttuneAggregate | None]:
        """Like `load` for each id, in one query where the recorder allows (PostgreSQL):
        a batch of commands touching many aggregates makes one round trip, not one each."""
        if self._events_of is None:
            return {i: self.load(i) for i in aggregate_ids}
        stored = self._events_of(aggregate_ids)
        cache = self.repository.cache
        loaded: dict[UUID, AttuneAggregate | None] = {}
        for aggregate_id in aggregate_ids:
            try:
                cached = cache.get(aggregate_id) if cache else None
                loaded[aggregate_id] = typing.cast(AttuneAggregate | None, cached)
            except KeyError:
                loaded[aggregate_id] = None
        for event in map(self.mapper.to_domain_event, stored):
            current = loaded[event.originator_id]
            if current is None or event.originator_version > current.version:
                loaded[event.originator_id] = project_aggregate(current, [event])
        if cache:
            for aggregate_id, aggregate in loaded.items():
                if aggregate is not None:
                    cache.put(aggregate_id, aggregate)
        return loaded

    def forget_cached(self) -> None:
        """Empty the aggregate cache (after another writer changed aggregates we cached)."""
        self._repository = self.construct_repository()

    def read(self, after: int, limit: int) -> list[tuple[int, AttuneEvent]]:
        """Domain events after position `after`, in log order, with their positions."""
        notifications: Sequence[Notification] = self.recorder.select_notifications(
            start=after + 1, limit=limit
        )
        to_event = self.mapper.to_domain_event
        return [(n.id, typing.cast(AttuneEvent, to_event(n))) for n in notifications]

    def position(self) -> int:
        return self.recorder.max_notification_id() or 0

    def record_position(self, name: str, position: int) -> None:
        """Record how far `name` got, for a reader that writes nothing else (the relay)."""
        self.process_recorder.insert_tracking(Tracking(name, position))

    def tracked_position(self, processor: str) -> int:
        return self.process_recorder.max_tracking_id(processor) or 0
