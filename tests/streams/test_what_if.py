"""What-if decides as the live rule engine did: the same events, the same parameters."""

from __future__ import annotations

import random
from collections.abc import Collection
from typing import Any
from uuid import UUID

from attune.commands import models as m
from attune.domain.definitions import ActionDefinition, RuleDefinition
from attune.domain.expressions import DEFAULT_LIMITS
from attune.domain.trigger_event import TriggerEvent
from attune.streams.rule_engine import RuleEngine
from attune.streams.what_if import StoredEvent, WouldMatch, would_have_matched
from tests.streams.events import action_registered, at, fired, rule_registered

RULE: dict[str, Any] = {
    "criteria": {
        "trigger.seen_at": {"type": "td_lt", "pattern": 60},
        "trigger.host": {"type": "startswith", "pattern": "db"},
    },
    "when": "trigger.status >= 500",
    "action_params": {
        "message": "{{ trigger.host }} at {{ system.timestamp }} ({{ trigger.note }})",
    },
}


def payloads(count: int) -> list[tuple[float, dict[str, Any]]]:
    """(seconds, payload): hosts, statuses and ages that match and do not, some without
    the `note` the parameters need (their enforcement fails)."""
    chance = random.Random(20261202)
    events = []
    for n in range(count):
        seconds = 10.0 * n + chance.random()
        payload: dict[str, Any] = {
            "host": chance.choice(["db1", "db2", "web1"]),
            "status": chance.choice([200, 404, 500, 503]),
            "seen_at": at(seconds - chance.choice([5, 59, 61, 3600])).isoformat(),
        }
        if chance.random() < 0.8:
            payload["note"] = f"n{n}"
        events.append((seconds, payload))
    return events


def stored(event: Any) -> StoredEvent:
    assert isinstance(event, TriggerEvent.Fired)
    return StoredEvent(
        event.originator_id, event.trigger, event.trigger_params, event.payload, event.timestamp
    )


def live_outcomes(
    rule: Any, events: list[Any], *others: Any
) -> dict[UUID, tuple[dict[str, Any] | None, str | None]]:
    """What the live engine did for each event it enforced `rule` on: (config, failure)."""
    engine = RuleEngine()
    for configuration in (action_registered(), rule, *others):
        engine.handle(configuration, at(0))
    outcomes: dict[UUID, tuple[dict[str, Any] | None, str | None]] = {}
    for event in events:
        created: dict[UUID, UUID] = {}
        for command in engine.handle(event, event.timestamp):
            if isinstance(command, m.CreateEnforcement) and command.rule == rule.definition["ref"]:
                outcomes[command.trigger_event_id] = (command.config, None)
                created[command.enforcement_id] = command.trigger_event_id
            if isinstance(command, m.FailEnforcement) and command.enforcement_id in created:
                event_id = created[command.enforcement_id]
                outcomes[event_id] = (outcomes[event_id][0], command.reason)
    return outcomes


def what_if(
    rule: Any, events: list[Any], enforced: Collection[UUID] = ()
) -> dict[UUID, WouldMatch]:
    definition = RuleDefinition.model_validate(rule.definition)
    action = ActionDefinition.model_validate(action_registered().definition)  # type: ignore[attr-defined]
    found = would_have_matched(
        definition,
        [stored(event) for event in events],
        action,
        DEFAULT_LIMITS,
        lambda ids: [event_id for event_id in ids if event_id in enforced],
    )
    return {match.event.id: match for match in found}


def test_what_if_reports_the_events_the_live_engine_matched_with_the_same_parameters() -> None:
    rule = rule_registered("ops.db_down", **RULE)
    events = [fired(payload, seconds=seconds) for seconds, payload in payloads(400)]
    live = live_outcomes(rule, events)
    replayed = what_if(rule, events)
    assert 40 < len(live) < 200, "the mix matches some events, not all"
    assert sum(failure is not None for _, failure in live.values()) > 5
    assert set(replayed) == set(live)
    for event_id, (config, failure) in live.items():
        assert (replayed[event_id].parameters, replayed[event_id].parameters_error) == (
            config,
            failure,
        )
    # (the event's own time, not the clock: a what-if long after renders the same stamp)
    stamps = [(m.event, m.parameters) for m in replayed.values() if m.parameters is not None]
    event, parameters = stamps[0]
    assert event.occurred_at.isoformat() in parameters["message"]


def test_a_backstop_rule_would_match_only_events_no_standard_rule_enforced() -> None:
    backstop = rule_registered("ops.fallback", type="backstop", action_params={"message": "x"})
    standard = rule_registered(
        "ops.web", criteria={"trigger.host": {"type": "equals", "pattern": "web1"}}
    )
    events = [fired(payload, seconds=seconds) for seconds, payload in payloads(60)]
    live = live_outcomes(backstop, events, standard)
    web = {stored(e).id for e in events if e.payload["host"] == "web1"}  # type: ignore[attr-defined]
    assert web and live and not set(live) & web
    assert set(what_if(backstop, events, enforced=web)) == set(live)
