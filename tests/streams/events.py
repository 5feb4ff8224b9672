"""Builders of real domain events for processor tests (via the aggregates themselves)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast
from uuid import UUID

from attune.domain.configuration import Action, Rule
from attune.domain.definitions import ActionDefinition, RuleDefinition
from attune.domain.enforcement import Enforcement
from attune.domain.events import AttuneAggregate, AttuneEvent, Cause
from attune.domain.execution import Execution
from attune.domain.ids import caused_id
from attune.domain.trigger_event import TriggerEvent

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CAUSE = Cause("test", T0)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def pending_events(aggregate: AttuneAggregate) -> list[AttuneEvent]:
    """`aggregate.collect_events()` as what they are, our domain events (eventsourcing types
    them as its generic `CanMutateAggregate`)."""
    return cast(list[AttuneEvent], list(aggregate.collect_events()))


def action_registered(ref: str = "core.echo", **fields: Any) -> AttuneEvent:
    pack, name = ref.split(".", 1)
    spec: dict[str, Any] = {"runner_type": "python-script", "entry_point": "echo.py"}
    spec["parameters"] = {"message": {"type": "string", "required": True}}
    spec.update(fields)
    definition = ActionDefinition(ref=ref, pack=pack, name=name, **spec)
    return Action.register(definition, CAUSE).collect_events()[0]  # type: ignore[return-value]


def rule_registered(
    ref: str = "examples.on_alert", when: datetime = T0, **fields: Any
) -> AttuneEvent:
    pack, name = ref.split(".", 1)
    spec: dict[str, Any] = {"trigger": "monitoring.alert", "action": "core.echo"}
    spec["action_params"] = {"message": "{{ trigger.host }} is down"}
    spec.update(fields)
    definition = RuleDefinition(ref=ref, pack=pack, name=name, **spec)
    return Rule.register(definition, Cause("test", when)).collect_events()[0]  # type: ignore[return-value]


def rule_updated(ref: str, **fields: Any) -> AttuneEvent:
    registered: Any = rule_registered(ref, **fields)
    rule = Rule.register(RuleDefinition.model_validate(registered.definition), CAUSE)
    rule.collect_events()
    changed = dict(registered.definition)
    rule.redefine(RuleDefinition.model_validate(changed | {"description": "changed"}), CAUSE)
    return rule.collect_events()[0]  # type: ignore[return-value]


def fired(
    payload: dict[str, Any],
    trigger: str = "monitoring.alert",
    seconds: float = 1,
    trigger_params: dict[str, Any] | None = None,
) -> AttuneEvent:
    when = at(seconds)
    event_id = caused_id(when, "test-fire", trigger, seconds, repr(payload))
    event = TriggerEvent.fire(
        event_id, trigger, trigger_params or {}, payload, Cause("sensor", when)
    )
    return event.collect_events()[0]  # type: ignore[return-value]


def enforcement_created(command: Any) -> AttuneEvent:
    enforcement = Enforcement.create(
        command.enforcement_id,
        command.rule,
        command.trigger_event_id,
        command.trigger,
        command.action,
        command.config,
        command.cause(),
    )
    return enforcement.collect_events()[0]  # type: ignore[return-value]


def execution_lifecycle(
    execution_id: UUID,
    action: str = "core.noop",
    pool: str = "local",
    worker: str = "w1",
    end: str | None = "succeed",
    timeout: float | None = None,
) -> list[AttuneEvent]:
    execution = Execution.request(execution_id, action, {}, CAUSE)
    execution.schedule(pool, CAUSE)
    execution.claim(worker, CAUSE, timeout)
    if end == "succeed":
        execution.succeed({}, worker, CAUSE)
    elif end == "abandon":
        execution.abandon("gone", CAUSE)
    elif end == "cancel":
        execution.cancel("alice", CAUSE)
        execution.confirm_canceled(None, worker, CAUSE)
    return list(execution.collect_events())  # type: ignore[arg-type]
