"""Rule action parameters in the expression language: the namespaces a rule reads, errors
that name the parameter, and keystore references that only a rule's own text may hold."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from attune.commands import models as m
from attune.domain.definitions import FROM_LOG, RuleDefinition
from attune.domain.expressions import Limits
from attune.infra.pack_loader import load_pack
from attune.streams.rule_engine import RuleEngine
from tests.streams.events import action_registered, at, fired, rule_registered


def enforce(action_params: dict[str, Any], payload: dict[str, Any]) -> list[m.Command]:
    engine = RuleEngine()
    for event in (
        action_registered("core.echo", parameters={"message": {"type": "object"}}),
        rule_registered(action_params=action_params),
    ):
        engine.handle(event, at(0))
    return engine.handle(fired(payload, seconds=5), at(9))


def test_a_rule_reads_the_event_the_rule_and_the_event_time_as_system_timestamp() -> None:
    event = fired({"host": "db1", "port": 5432}, seconds=5)
    [create] = enforce(
        {
            "message": {
                "where": "{{ upper(trigger.host) + ':' + string(trigger.port + 1) }}",
                "alias": "{{ event.payload.host == trigger.host }}",
                "id": "{{ event.id }}",
                "trigger": "{{ event.trigger }}",
                "at": "{{ event.occurred_at }}",
                "now": "{{ system.timestamp }}",
                "rule": "{{ rule.ref }}",
                "config": "{{ [config, pack.config] }}",
            }
        },
        {"host": "db1", "port": 5432},
    )

    assert isinstance(create, m.CreateEnforcement)
    assert create.config == {
        "message": {
            "where": "DB1:5433",
            "alias": True,
            "id": str(event.originator_id),
            "trigger": "monitoring.alert",
            "at": at(5).isoformat(),
            "now": at(5).isoformat(),  # the event's time, not the clock's (at(9))
            "rule": "examples.on_alert",
            "config": [{}, {}],
        }
    }


def test_a_parameter_that_does_not_render_fails_the_enforcement_naming_it() -> None:
    create, fail = enforce({"message": "{{ trigger.host + 1 }}"}, {"host": "db1"})

    assert isinstance(fail, m.FailEnforcement) and isinstance(create, m.CreateEnforcement)
    assert create.config is None
    assert fail.reason.startswith("rule examples.on_alert: action_params.message: ")
    assert "cannot add string and integer" in fail.reason


def test_a_keystore_reference_is_deferred_but_one_from_the_event_fails_the_enforcement() -> None:
    [create] = enforce({"message": "{{ trigger.user }}:{{ keystore.token }}"}, {"user": "ops"})
    assert isinstance(create, m.CreateEnforcement)
    assert create.config == {"message": "ops:{{ keystore.token }}"}

    smuggled = {"user": "{{ keystore.admin_password }}"}
    create, fail = enforce({"message": "{{ trigger.user }}"}, smuggled)
    assert isinstance(fail, m.FailEnforcement) and isinstance(create, m.CreateEnforcement)
    assert create.config is None
    assert "only a rule's own text may refer to the keystore" in fail.reason


def rule(**fields: object) -> RuleDefinition:
    spec = {"trigger": "monitoring.alert", "action": "core.echo", **fields}
    return RuleDefinition.model_validate({"ref": "ops.r", "pack": "ops", "name": "r", **spec})


def test_a_rule_whose_template_does_not_parse_is_refused_naming_parameter_and_position() -> None:
    with pytest.raises(ValidationError) as refused:
        rule(action_params={"target": {"hosts": ["a", "{{ lenght(trigger.hosts) }}"]}})

    [error] = refused.value.errors()
    assert error["loc"] == ("action_params", "target")
    assert error["msg"].startswith("Value error, hosts[1]: ")
    assert "unknown function 'lenght' at 1:4 — did you mean 'length'?" in error["msg"]


def test_a_keystore_block_may_read_nothing_else_and_criteria_may_not_read_it() -> None:
    with pytest.raises(ValidationError, match="reads the keystore and trigger"):
        rule(action_params={"token": "{{ keystore.token + trigger.suffix }}"})
    with pytest.raises(ValidationError, match="criteria 'keystore.token': a criterion cannot"):
        rule(criteria={"keystore.token": {"type": "exists"}})
    with pytest.raises(ValidationError, match="criteria 'trigger.token': the pattern reads"):
        rule(criteria={"trigger.token": {"type": "equals", "pattern": "{{ keystore.token }}"}})


def test_a_definition_read_back_from_the_log_is_not_checked_again() -> None:
    stored = {
        "ref": "ops.r",
        "pack": "ops",
        "name": "r",
        "trigger": "monitoring.alert",
        "action": "core.echo",
        "action_params": {"message": "{{ keystore.db-name.prod }}"},  # an older syntax
    }
    with pytest.raises(ValidationError):
        RuleDefinition.model_validate(stored)
    assert RuleDefinition.model_validate(stored, context=FROM_LOG).action_params == {
        "message": "{{ keystore.db-name.prod }}"
    }


def test_the_expression_limits_setting_bounds_rendering_and_registration(tmp_path: Path) -> None:
    engine = RuleEngine(Limits(max_steps=50))
    engine.handle(action_registered(parameters={"message": {"type": "object"}}), at(0))
    engine.handle(rule_registered(action_params={"message": "{{ sum(range(1000)) }}"}), at(0))
    create, fail = engine.handle(fired({}), at(2))
    assert isinstance(fail, m.FailEnforcement)
    assert "action_params.message: evaluation exceeds the limit of 50 steps" in fail.reason

    pack = tmp_path / "ops"
    (pack / "rules").mkdir(parents=True)
    (pack / "pack.yaml").write_text("ref: ops\n")
    (pack / "rules" / "long.yaml").write_text(
        "trigger: core.intervaltimer\naction: core.echo\n"
        "action_params:\n  message: '{{ 1 + 1 + 1 + 1 + 1 + 1 }}'\n"
    )
    assert load_pack(pack).problems == []
    [problem] = load_pack(pack, Limits(max_expression_length=10)).problems
    assert problem.line == 4 and "exceeds the limit of 10" in str(problem)
