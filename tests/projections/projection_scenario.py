"""The test material of the projection tests: fixed instants, the `core` pack and its
`core.echo` action, and a realistic run of commands from a trigger to a finished run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict
from uuid import UUID

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.domain.definitions import (
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.enforcement import Enforcement
from attune.domain.execution import Execution
from attune.domain.ids import new_runtime_id
from attune.domain.parameters import ParameterSpec

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


@dataclass(frozen=True)
class Scenario:
    trigger_event_id: UUID
    enforcement_id: UUID
    execution_id: UUID


class Trace(TypedDict):
    """The fields every command of one run shares."""

    correlation_id: UUID


CORE = PackDefinition(ref="core", label="Core", version="1.0.0")

ECHO = ActionDefinition(
    ref="core.echo",
    pack="core",
    name="echo",
    description="Print a message",
    runner_type="noop",
    parameters={
        "message": ParameterSpec(type="string", required=True),
        "token": ParameterSpec(type="string", secret=True),
    },
)


def play_scenario(commands: CommandService) -> Scenario:
    """A webhook fires, a rule enforces it, and the execution it requests succeeds."""
    trigger_event_id = new_runtime_id(at(10), bytes(10))
    enforcement_id = Enforcement.id_for("core.on_hook", trigger_event_id, at(10))
    execution_id = Execution.id_for_enforcement(enforcement_id, at(12))
    trace: Trace = {"correlation_id": trigger_event_id}
    for command in [
        m.RegisterPack(definition=CORE, actor="loader", at=at(0)),
        m.RegisterAction(definition=ECHO, actor="loader", at=at(0)),
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(ref="core.webhook", pack="core", name="webhook"),
            actor="loader",
            at=at(0),
        ),
        m.RegisterRule(
            definition=RuleDefinition(
                ref="core.on_hook",
                pack="core",
                name="on_hook",
                trigger="core.webhook",
                action="core.echo",
                action_params={"message": "{{ trigger.msg }}"},
            ),
            actor="loader",
            at=at(0),
        ),
        m.FireTrigger(
            trigger_event_id=trigger_event_id,
            trigger="core.webhook",
            payload={"msg": "hi"},
            actor="sensor",
            at=at(10),
            **trace,
        ),
        m.CreateEnforcement(
            enforcement_id=enforcement_id,
            rule="core.on_hook",
            trigger_event_id=trigger_event_id,
            trigger="core.webhook",
            action="core.echo",
            config={"message": "{{ trigger.msg }}"},
            actor="rule-engine",
            at=at(11),
            **trace,
        ),
        m.RequestExecution(
            execution_id=execution_id,
            action="core.echo",
            parameters={"message": "hi", "token": "s3cret"},
            enforcement_id=enforcement_id,
            rule="core.on_hook",
            trigger_event_id=trigger_event_id,
            actor="rule-engine",
            at=at(12),
            **trace,
        ),
        m.MarkEnforcementProcessed(
            enforcement_id=enforcement_id,
            execution_id=execution_id,
            actor="rule-engine",
            at=at(12),
            **trace,
        ),
        m.ScheduleExecution(
            execution_id=execution_id, pool="default", actor="scheduler", at=at(13), **trace
        ),
        m.ClaimExecution(
            execution_id=execution_id, worker="worker-1", actor="worker-1", at=at(14), **trace
        ),
        m.CompleteExecution(
            execution_id=execution_id,
            worker="worker-1",
            outcome="succeeded",
            result={"stdout": "hi"},
            actor="worker-1",
            at=at(15),
            **trace,
        ),
    ]:
        commands.execute(command)
    return Scenario(trigger_event_id, enforcement_id, execution_id)
