"""The rule engine, fed events directly: matching, rendering, enforcement lifecycle."""

from __future__ import annotations

from typing import Any

from attune.commands import models as m
from attune.streams.rule_engine import RuleEngine
from tests.streams.events import (
    action_registered,
    at,
    enforcement_created,
    fired,
    rule_registered,
    rule_updated,
)


def engine_with(*events: Any) -> RuleEngine:
    engine = RuleEngine()
    for event in events:
        assert engine.handle(event, at(0)) == []
    return engine


def test_a_matching_trigger_event_creates_an_enforcement_with_rendered_parameters() -> None:
    engine = engine_with(action_registered(), rule_registered())
    event = fired({"host": "db1"})

    [create] = engine.handle(event, at(2))

    assert isinstance(create, m.CreateEnforcement)
    assert create.rule == "examples.on_alert"
    assert create.trigger_event_id == event.originator_id
    assert create.config == {"message": "db1 is down"}
    assert create.correlation_id == event.originator_id  # the trigger event starts the trace
    assert create.actor == "rule_engine"


def test_a_whole_expression_keeps_its_type_and_trigger_is_an_alias_of_event_payload() -> None:
    params = {"message": "{{ event.payload.count }}", "n": "{{ trigger.count }}"}
    counts = {"message": {"type": "integer"}, "n": {"type": "integer"}}
    engine = engine_with(
        action_registered(parameters=counts), rule_registered(action_params=params)
    )

    [create] = engine.handle(fired({"count": 3}), at(2))

    assert create.config == {"message": 3, "n": 3}  # type: ignore[attr-defined]


def test_criteria_equals_and_exists_select_events() -> None:
    criteria = {
        "trigger.severity": {"type": "equals", "pattern": "critical"},
        "event.payload.host": {"type": "exists"},
    }
    engine = engine_with(action_registered(), rule_registered(criteria=criteria))

    assert engine.handle(fired({"severity": "critical", "host": "a"}), at(2))
    assert engine.handle(fired({"severity": "warning", "host": "a"}, seconds=2), at(2)) == []
    assert engine.handle(fired({"severity": "critical"}, seconds=3), at(2)) == []


def test_rules_on_other_triggers_disabled_rules_and_other_timer_params_do_not_match() -> None:
    engine = engine_with(
        rule_registered("examples.other", trigger="core.webhook"),
        rule_registered("examples.off", enabled=False),
        rule_registered(
            "examples.every_minute",
            trigger="core.intervaltimer",
            trigger_params={"unit": "minutes", "delta": 1},
        ),
    )
    assert engine.handle(fired({"host": "x"}), at(2)) == []
    ten_seconds = fired(
        {}, trigger="core.intervaltimer", trigger_params={"unit": "seconds", "delta": 10}
    )
    assert engine.handle(ten_seconds, at(2)) == []


def test_a_template_that_does_not_render_fails_the_enforcement_with_the_reason() -> None:
    engine = engine_with(action_registered(), rule_registered())

    create, fail = engine.handle(fired({"severity": "x"}), at(2))

    assert isinstance(fail, m.FailEnforcement)
    assert fail.enforcement_id == create.enforcement_id  # type: ignore[attr-defined]
    assert "undefined name 'trigger.host'" in fail.reason


def test_an_enforcement_requests_its_execution_and_is_marked_processed() -> None:
    engine = engine_with(action_registered(), rule_registered())
    [create] = engine.handle(fired({"host": "db1"}), at(2))

    request, processed = engine.handle(enforcement_created(create), at(3))

    assert isinstance(request, m.RequestExecution) and isinstance(
        processed, m.MarkEnforcementProcessed
    )
    assert request.action == "core.echo" and request.parameters == {"message": "db1 is down"}
    assert request.enforcement_id == create.enforcement_id  # type: ignore[attr-defined]
    assert processed.execution_id == request.execution_id
    assert request.correlation_id == create.correlation_id


def test_invalid_parameters_or_unknown_action_fail_the_enforcement_without_its_config() -> None:
    engine = engine_with(rule_registered(action_params={"msg": "hi"}))
    create, fail = engine.handle(fired({"host": "db1"}), at(2))
    assert isinstance(fail, m.FailEnforcement) and "unknown action 'core.echo'" in fail.reason
    assert create.config is None  # type: ignore[attr-defined]
    assert engine.handle(enforcement_created(create), at(3)) == []  # nothing to request

    engine.handle(action_registered(), at(3))
    create, fail = engine.handle(fired({"host": "db1"}, seconds=2), at(3))
    assert "message: is required" in fail.reason  # type: ignore[attr-defined]
    assert "msg: is not a parameter of core.echo" in fail.reason  # type: ignore[attr-defined]


def test_a_rule_disabled_before_its_enforcement_is_processed_disables_it() -> None:
    engine = engine_with(action_registered(), rule_registered())
    [create] = engine.handle(fired({"host": "db1"}), at(2))
    engine.handle(rule_registered(enabled=False), at(3))

    [disable] = engine.handle(enforcement_created(create), at(3))

    assert isinstance(disable, m.DisableEnforcement)


def test_duplicate_delivery_asks_for_the_same_things_again() -> None:
    """Same event twice → identical commands (same deterministic ids): applying is a no-op."""
    engine = engine_with(action_registered(), rule_registered())
    event = fired({"host": "db1"})
    first = engine.handle(event, at(2))
    second = engine.handle(event, at(9))
    assert [c.enforcement_id for c in first] == [c.enforcement_id for c in second]  # type: ignore[attr-defined]

    created = enforcement_created(first[0])
    assert [c.model_dump(exclude={"at"}) for c in engine.handle(created, at(3))] == [
        c.model_dump(exclude={"at"}) for c in engine.handle(created, at(5))
    ]


def test_interleaving_of_different_aggregates_does_not_change_what_is_asked() -> None:
    """Events of different trigger events and rule updates may interleave in any order."""
    a, b = fired({"host": "a"}, seconds=1), fired({"host": "b"}, seconds=2)
    update = rule_updated("examples.on_alert")

    def ids(order: list[Any]) -> set[Any]:
        engine = engine_with(action_registered(), rule_registered())
        return {c.enforcement_id for e in order for c in engine.handle(e, at(5))}  # type: ignore[attr-defined]

    assert ids([a, update, b]) == ids([b, a, update]) == ids([update, b, a])
    assert len(ids([a, b])) == 2
