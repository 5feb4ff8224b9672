"""The test material of the analytics tests: executions and trigger events spread over a
few hours, with rows on both sides of hour boundaries, and the counts they make."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal
from uuid import UUID

from projection_scenario import ECHO

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.domain.ids import new_runtime_id

NOON = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return NOON + timedelta(hours=hours)


RunOutcome = Literal["succeeded", "failed", "timeout"]

# (action, requested at, outcome: None while it has not run)
EXECUTIONS: list[tuple[str, datetime, RunOutcome | None]] = [
    ("core.echo", at(0), "succeeded"),
    ("core.echo", at(1) - timedelta(microseconds=1), None),
    ("core.echo", at(1), "failed"),
    ("core.noop", at(1.5), "succeeded"),
    ("core.noop", at(3.25), None),
]
TRIGGER_EVENTS = [
    ("core.webhook", at(-0.01)),
    ("core.webhook", at(0.1)),
    ("core.timer", at(0.5)),
    ("core.webhook", at(0.75)),
    ("core.webhook", at(2)),
]

EXECUTIONS_PER_HOUR = [
    {"hour": at(0), "action": "core.echo", "status": "requested", "executions": 1},
    {"hour": at(0), "action": "core.echo", "status": "succeeded", "executions": 1},
    {"hour": at(1), "action": "core.echo", "status": "failed", "executions": 1},
    {"hour": at(1), "action": "core.noop", "status": "succeeded", "executions": 1},
    {"hour": at(3), "action": "core.noop", "status": "requested", "executions": 1},
]
TRIGGER_EVENTS_PER_HOUR = [
    {"hour": at(-1), "trigger": "core.webhook", "events": 1},
    {"hour": at(0), "trigger": "core.timer", "events": 1},
    {"hour": at(0), "trigger": "core.webhook", "events": 2},
    {"hour": at(2), "trigger": "core.webhook", "events": 1},
]


def execution_id(n: int) -> UUID:
    return new_runtime_id(EXECUTIONS[n][1], bytes([n]) * 10)


def play_analytics(commands: CommandService) -> None:
    """Fire `TRIGGER_EVENTS`; request `EXECUTIONS` and run those with an outcome."""
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=at(-2)))
    for n, (trigger, fired_at) in enumerate(TRIGGER_EVENTS):
        commands.execute(
            m.FireTrigger(
                trigger_event_id=new_runtime_id(fired_at, bytes([n + 100]) * 10),
                trigger=trigger,
                actor="sensor",
                at=fired_at,
            )
        )
    for n, (action, requested_at, outcome) in enumerate(EXECUTIONS):
        run = execution_id(n)
        commands.execute(
            m.RequestExecution(
                execution_id=run,
                action=action,
                parameters={"message": "hi"} if action == "core.echo" else {},
                actor="api",
                at=requested_at,
            )
        )
        if outcome is not None:
            later = requested_at + timedelta(minutes=5)
            for command in [
                m.ScheduleExecution(execution_id=run, pool="p", actor="s", at=later),
                m.ClaimExecution(execution_id=run, worker="w", actor="w", at=later),
                m.CompleteExecution(
                    execution_id=run, worker="w", outcome=outcome, actor="w", at=later
                ),
            ]:
                commands.execute(command)
