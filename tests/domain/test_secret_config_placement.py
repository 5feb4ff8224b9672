"""A pack's secret configuration may go only into a secret parameter, as its whole value:
which fields an expression reads, and the registration check built on it."""

from __future__ import annotations

from typing import Any

import pytest

from attune.domain.definitions import ActionDefinition, PackDefinition, RuleDefinition
from attune.domain.expressions.fields_read import fields_read
from attune.domain.parameters import ParameterSpec
from attune.domain.rule_checks import rule_problems


@pytest.mark.parametrize(
    ("text", "config", "pack_config"),
    [
        ("config.token", {"token"}, set()),
        ('config["token"]', {"token"}, set()),
        ("upper(config.url) + config.x", {"url", "x"}, set()),
        ("pack.config.token", set(), {"token"}),
        ('{"a": [config.b]}', {"b"}, set()),
        ("trigger.config.token", set(), set()),  # another root's field
        ("pack.ref", set(), set()),
        ("config", None, set()),  # the whole of it
        ("config[trigger.key]", None, set()),  # a field chosen at run time
        ("pack.config", set(), None),
    ],
)
def test_the_fields_an_expression_reads_below_a_path(
    text: str, config: set[str] | None, pack_config: set[str] | None
) -> None:
    assert fields_read(text, ("config",)) == (None if config is None else frozenset(config))
    expected = None if pack_config is None else frozenset(pack_config)
    assert fields_read(text, ("pack", "config")) == expected


PACK = PackDefinition(
    ref="ops",
    config_schema={"url": ParameterSpec(), "token": ParameterSpec(secret=True)},
)
ACTION = ActionDefinition(
    ref="ops.call",
    pack="ops",
    name="call",
    runner_type="noop",
    parameters={"message": ParameterSpec(), "token": ParameterSpec(secret=True)},
)


def problems(**action_params: Any) -> list[str]:
    rule = RuleDefinition(
        ref="ops.r",
        pack="ops",
        name="r",
        trigger="core.webhook",
        action="ops.call",
        action_params=action_params,
    )
    return [str(p) for p in rule_problems(rule, None, ACTION, PACK) if p.field != ("trigger",)]


def test_a_secret_field_as_a_secret_parameters_whole_value_is_allowed() -> None:
    assert problems(token="{{ config.token }}", message="{{ config.url }}") == []
    assert problems(token="{{ pack.config.token }}", message="at {{ config.url }}") == []


@pytest.mark.parametrize(
    "params",
    [
        {"message": "{{ config.token }}"},  # a plain parameter
        {"message": "{{ config }}"},  # all of it, secrets included
        {"token": "Bearer {{ config.token }}"},  # not the whole value: it would not stay sealed
        {"token": "{{ lower(pack.config.token) }}"},  # computed from: it would not open
        {"message": "{{ config[trigger.k] }}"},  # perhaps the secret one
        {"message": {"nested": "{{ config.token }}"}},
    ],
)
def test_a_secret_field_anywhere_else_is_refused_naming_the_parameter(
    params: dict[str, Any],
) -> None:
    found = [p for p in problems(**params) if "secret" in p]
    [name] = params
    assert found == [
        f"field 'action_params.{name}': reads the secret config field 'token' of pack ops: "
        "a secret value may go only into a secret parameter, as its whole value "
        "('{{ config.token }}')"
    ]
