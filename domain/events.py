"""The base of every Attune aggregate and domain event, and the event catalogue.

Every domain event carries, besides eventsourcing's `originator_id`, `originator_version`
and `timestamp`: the `actor` that caused it, the `source` address of the request (user
commands only), the `correlation_id` of the trace it belongs to (the trigger event or API
request that started the chain) and the `causation_id` of the event or command that caused
it. Every event class has a stable public name (its `TOPIC`,
e.g. ``execution.succeeded``) and a schema version (`class_version`, default 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.domain import Aggregate

from attune.domain.ids import event_id

BASE_EVENT_FIELDS = frozenset(
    {"originator_id", "originator_version", "timestamp", "originator_topic"}
    | {"actor", "correlation_id", "causation_id", "source"}
)


@dataclass(frozen=True)
class Cause:
    """Who made a change, when, and in which causal chain. Passed in from the edge."""

    actor: str
    at: datetime
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    source: str | None = None  # the network address a user command came from (for audit)

    @classmethod
    def following(cls, event: AttuneEvent, actor: str, at: datetime) -> Cause:
        """The cause of what `actor` does at `at` because of `event`, in the same trace."""
        return cls(
            actor=actor,
            at=at,
            correlation_id=event.correlation_id or event.originator_id,
            causation_id=event_id(event.originator_id, event.originator_version),
        )  # no source: processors act on events, not on requests from an address


TAgg = TypeVar("TAgg", bound="AttuneAggregate")


class AttuneAggregate(Aggregate):
    """Base aggregate: events are stamped with the cause's time, actor and trace ids.

    As in eventsourcing, annotated attributes of an aggregate class are its constructor's
    parameters, filled from the same-named fields of its creation event.
    """

    TOPIC: ClassVar[str]

    class Event(Aggregate.Event):
        actor: str
        correlation_id: UUID | None
        causation_id: UUID | None
        source: str | None

    @classmethod
    def _begin(
        cls: type[TAgg], event_class: type[Any], id: UUID, cause: Cause, **fields: Any
    ) -> TAgg:  # noqa: A002
        return cls._create(
            event_class,
            id=id,
            timestamp=cause.at,
            actor=cause.actor,
            correlation_id=cause.correlation_id,
            causation_id=cause.causation_id,
            source=cause.source,
            **fields,
        )

    def _happen(self, event_class: type[Any], cause: Cause, **fields: Any) -> None:
        self.trigger_event(
            event_class,
            timestamp=cause.at,
            actor=cause.actor,
            correlation_id=cause.correlation_id,
            causation_id=cause.causation_id,
            source=cause.source,
            **fields,
        )


def abstract_aggregate(cls: type[TAgg]) -> type[TAgg]:
    """Mark an aggregate base class that is never instantiated itself.

    eventsourcing gives every aggregate class without a creation event a default `Created`
    event; ours name their own creation events (`Requested`, `Registered`, ...), each with
    an explicit topic, and explicit-topic subclasses reject an inherited event without one.
    """
    if "Created" in cls.__dict__:
        delattr(cls, "Created")
    return cls


abstract_aggregate(AttuneAggregate)

AttuneEvent = AttuneAggregate.Event


class AttuneCreated(AttuneAggregate.Event, Aggregate.Created):
    """Base of every aggregate's first event."""


def payload_of(event: AttuneEvent) -> dict[str, Any]:
    """The event-specific fields of a domain event (the envelope's `payload`)."""
    return {k: v for k, v in vars(event).items() if k not in BASE_EVENT_FIELDS}


def event_name(event_or_class: object) -> str:
    """The stable public name of a domain event (or event class)."""
    cls = event_or_class if isinstance(event_or_class, type) else type(event_or_class)
    return cls.TOPIC  # type: ignore[attr-defined,no-any-return]
