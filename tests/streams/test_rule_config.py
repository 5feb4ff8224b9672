"""Rules read their pack's configuration: plain values render, sealed ones stay sealed."""

from __future__ import annotations

from typing import Any

from attune.commands import models as m
from attune.domain.configuration import Pack
from attune.domain.definitions import PackDefinition
from attune.domain.secrets import sealed
from attune.streams.rule_engine import RuleEngine
from tests.streams.events import (
    CAUSE,
    action_registered,
    at,
    fired,
    pending_events,
    rule_registered,
)

TOKEN = sealed("key-1:c2VhbGVk")  # as the command service sealed it


def configured(values: dict[str, Any]) -> Any:
    pack = Pack.register(PackDefinition(ref="examples"), CAUSE)
    pack.configure(values, CAUSE)  # type: ignore[attr-defined]
    return pending_events(pack)[1]


def commands_for(action_params: dict[str, Any]) -> list[Any]:
    engine = RuleEngine()
    action = action_registered(
        parameters={
            "message": {"type": "string", "required": True},
            "token": {"type": "string", "secret": True},
        }
    )
    for event in (action, configured({"url": "https://pd.example", "token": TOKEN})):
        engine.handle(event, at(0))
    engine.handle(rule_registered(action_params=action_params), at(0))
    created = engine.handle(fired({"host": "db1"}), at(1))
    return created


def test_a_rule_renders_its_packs_configuration_and_a_secret_stays_sealed() -> None:
    [create] = commands_for(
        {"message": "{{ trigger.host }} via {{ pack.config.url }}", "token": "{{ config.token }}"}
    )
    assert isinstance(create, m.CreateEnforcement)
    assert create.config == {"message": "db1 via https://pd.example", "token": TOKEN}


def test_a_sealed_value_in_a_plain_parameter_fails_the_enforcement() -> None:
    create, fail = commands_for({"message": "{{ config.token }}"})
    assert isinstance(create, m.CreateEnforcement) and create.config is None
    assert isinstance(fail, m.FailEnforcement)
    assert (
        fail.reason == "action_params.message: a secret value may go only into a secret parameter"
    )
