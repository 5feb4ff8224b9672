"""The catalogue of aggregates and domain events, by stable public name.

`docs/events.md` documents every entry here (a test keeps the two in step).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from attune.domain.configuration import Action, Pack, Role, Rule, TriggerType
from attune.domain.enforcement import Enforcement
from attune.domain.events import AttuneAggregate, AttuneEvent, payload_of
from attune.domain.execution import Execution
from attune.domain.identity import AdminRoster, ApiKey, Identity, Session
from attune.domain.ids import event_id
from attune.domain.keystore import Key
from attune.domain.trigger_event import TriggerEvent
from attune.domain.worker import Worker
from attune.domain.workflow_execution import WorkflowExecution

AGGREGATES: tuple[type[AttuneAggregate], ...] = (
    Pack,
    Action,
    TriggerType,
    Rule,
    TriggerEvent,
    Enforcement,
    Execution,
    WorkflowExecution,
    Identity,
    AdminRoster,
    Role,
    Session,
    ApiKey,
    Key,
    Worker,
)


def _event_classes(aggregate: type[AttuneAggregate]) -> list[type[AttuneEvent]]:
    return [
        value
        for name, value in vars(aggregate).items()
        if isinstance(value, type) and issubclass(value, AttuneEvent) and name != "Event"
    ]


EVENT_TYPES: dict[str, type[AttuneEvent]] = {
    cls.TOPIC: cls  # type: ignore[attr-defined]
    for aggregate in AGGREGATES
    for cls in _event_classes(aggregate)
}


def schema_version(event_class: type[AttuneEvent]) -> int:
    return int(getattr(event_class, "class_version", 1))


def envelope(event: AttuneEvent, position: int | None) -> dict[str, Any]:
    """The public form of a domain event (API, Kafka): envelope fields plus payload."""
    correlation: UUID | None = event.correlation_id
    return {
        "id": event_id(event.originator_id, event.originator_version),
        "type": type(event).TOPIC,  # type: ignore[attr-defined]
        "schema_version": schema_version(type(event)),
        "aggregate_id": event.originator_id,
        "aggregate_version": event.originator_version,
        "occurred_at": event.timestamp,
        "position": position,
        "actor": event.actor,
        "source": event.source,
        "correlation_id": correlation,
        "causation_id": event.causation_id,
        "payload": payload_of(event),
    }
