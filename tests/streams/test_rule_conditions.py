"""A rule's `when` condition and backstop rules, in the rule engine."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from pydantic import ValidationError

from attune.commands import models as m
from attune.domain.configuration import Rule
from attune.domain.definitions import RuleDefinition
from attune.streams.rule_engine import RuleEngine
from tests.streams.events import CAUSE, action_registered, at, fired, pending_events


def registered(ref: str, **fields: Any) -> Any:
    # (not `rule_registered`: its `when` is the time of registration)
    spec = {"trigger": "monitoring.alert", "action": "core.echo", **fields}
    spec.setdefault("action_params", {"message": "{{ trigger.host }}"})
    pack, name = ref.split(".", 1)
    definition = RuleDefinition(ref=ref, pack=pack, name=name, **spec)
    return pending_events(Rule.register(definition, CAUSE))[0]


def enforced(*rules: dict[str, Any], payload: dict[str, Any]) -> list[str]:
    """The refs of the rules whose enforcements one trigger event creates."""
    engine = RuleEngine()
    engine.handle(action_registered(), at(0))
    for fields in rules:
        engine.handle(registered(**fields), at(0))
    commands = engine.handle(fired(payload), at(2))
    return [c.rule for c in commands if isinstance(c, m.CreateEnforcement)]


ALERT = {"status": 503, "tags": ["prod", "db"], "host": "db1"}


def test_when_is_an_expression_combined_with_the_criteria_by_and() -> None:
    when = 'trigger.status >= 500 and "prod" in trigger.tags'
    assert enforced({"ref": "ops.when", "when": when}, payload=ALERT) == ["ops.when"]
    assert enforced({"ref": "ops.when", "when": when}, payload={**ALERT, "status": 404}) == []
    both = {
        "ref": "ops.both",
        "when": when,
        "criteria": {"trigger.host": {"type": "equals", "pattern": "db2"}},
    }
    assert enforced(both, payload=ALERT) == []


def test_a_when_that_cannot_be_evaluated_for_an_event_does_not_match_and_is_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING):
        assert enforced({"ref": "ops.w", "when": "trigger.missing > 1"}, payload=ALERT) == []
    assert "rule ops.w: when: undefined name 'trigger.missing'" in caplog.text


def test_a_backstop_rule_fires_only_when_no_standard_rule_matched() -> None:
    backstop = {"ref": "ops.fallback", "type": "backstop"}
    on_db2 = {"ref": "ops.db2", "criteria": {"trigger.host": {"type": "equals", "pattern": "db2"}}}
    assert enforced(backstop, on_db2, payload=ALERT) == ["ops.fallback"]
    assert enforced(backstop, on_db2, payload={**ALERT, "host": "db2"}) == ["ops.db2"]
    unmet_backstop = {**backstop, "when": "trigger.status < 500"}
    assert enforced(unmet_backstop, on_db2, payload=ALERT) == []


def test_a_when_that_does_not_compile_or_reads_the_keystore_is_refused_at_registration() -> None:
    base = {"ref": "ops.r", "pack": "ops", "name": "r", "trigger": "a.b", "action": "core.echo"}
    with pytest.raises(ValidationError, match="unknown function 'lenght' at 1:1"):
        RuleDefinition.model_validate({**base, "when": "lenght(trigger.tags) > 1"})
    with pytest.raises(ValidationError, match="the condition reads the keystore"):
        RuleDefinition.model_validate({**base, "when": "keystore.flag"})
    with pytest.raises(ValidationError, match="type"):
        RuleDefinition.model_validate({**base, "type": "fallback"})
