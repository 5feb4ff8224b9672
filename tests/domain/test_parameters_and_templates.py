"""Parameter validation names the parameter; templates keep types (keystore ones until run
time); criteria match."""

from __future__ import annotations

from typing import Any

import pytest

from attune.domain.criteria import Condition, matches
from attune.domain.errors import InvalidParameters
from attune.domain.expressions import ExpressionError
from attune.domain.ids import caused_id, config_id, new_runtime_id
from attune.domain.parameters import coerce_text, parse_schema, validate_parameters
from attune.domain.secrets import MASK, masked, sealed
from attune.domain.templates import is_deferred, render, render_keystore
from tests.streams.events import T0

SCHEMA = parse_schema(
    {
        "message": {"type": "string", "required": True},
        "count": {"type": "integer", "default": 1},
        "mode": {"enum": ["a", "b"]},
    }
)


def test_defaults_are_filled_and_valid_values_pass() -> None:
    assert validate_parameters("x.y", SCHEMA, {"message": "hi"}) == {"message": "hi", "count": 1}


def test_every_problem_names_its_parameter() -> None:
    with pytest.raises(InvalidParameters) as refused:
        validate_parameters("x.y", SCHEMA, {"count": "3", "mode": "c", "extra": 1})
    problems = {p.parameter: p.message for p in refused.value.problems}
    assert problems == {
        "message": "is required",
        "count": "must be of type integer, got str",
        "mode": "must be one of ['a', 'b']",
        "extra": "is not a parameter of x.y",
    }


def test_booleans_are_not_integers() -> None:
    with pytest.raises(InvalidParameters, match="count: must be of type integer, got bool"):
        validate_parameters("x.y", SCHEMA, {"message": "m", "count": True})


def test_command_line_text_takes_the_declared_type() -> None:
    assert coerce_text(SCHEMA, "count", "3") == 3
    assert coerce_text(SCHEMA, "message", "3") == "3"


def test_templates_render_whole_values_typed_and_embedded_values_as_text() -> None:
    payload: dict[str, Any] = {"n": 2, "host": "db", "tags": ["a"]}
    context = {"event": {"payload": payload}, "trigger": payload}
    rendered = render(
        {
            "n": "{{ trigger.n }}",
            "s": "{{event.payload.host}}-{{ trigger.n }}",
            "l": ["{{ trigger.tags }}"],
            "plain": 5,
        },
        context,
    )
    assert rendered == {"n": 2, "s": "db-2", "l": [["a"]], "plain": 5}
    with pytest.raises(ExpressionError, match="undefined name 'trigger.nope'"):
        render("{{ trigger.nope }}", {"trigger": payload})


def test_keystore_references_stay_templates_when_rendered() -> None:
    context = {"trigger": {"host": "db"}}
    rendered = render(
        {
            "password": "{{ keystore.db_password }}",
            "dsn": "pg://{{ trigger.host }}/{{keystore['db-name.prod']}}",
            "headers": {"auth": ["Bearer {{ keystore.token }}"]},
        },
        context,
    )
    assert rendered == {
        "password": "{{ keystore.db_password }}",
        "dsn": "pg://db/{{keystore['db-name.prod']}}",
        "headers": {"auth": ["Bearer {{ keystore.token }}"]},
    }


def test_rendering_keystore_references_keeps_types_and_touches_nothing_else() -> None:
    keys = {"port": 5432, "db-name.prod": "orders", "hosts": ["a", "b"]}
    rendered = render_keystore(
        {
            "port": " {{ keystore.port }} ",
            "dsn": "pg://{{ trigger.host }}/{{ keystore['db-name.prod'] }}:{{keystore.port}}",
            "nested": [{"hosts": "{{ keystore.hosts }}"}],
            "plain": 5,
        },
        keys.__getitem__,
    )
    assert rendered == {
        "port": 5432,
        "dsn": "pg://{{ trigger.host }}/orders:5432",
        "nested": [{"hosts": ["a", "b"]}],
        "plain": 5,
    }


def test_a_keystore_reference_passes_validation_whatever_the_declared_type() -> None:
    schema = parse_schema({"port": {"type": "integer"}, "mode": {"enum": ["a", "b"]}})
    given = {"port": "{{ keystore.port }}", "mode": "{{ keystore.mode }}"}
    assert validate_parameters("x.y", schema, given) == given
    assert is_deferred("x-{{ keystore.k }}") and not is_deferred("{{ trigger.k }}")
    # Text that is no template is no reference: it reaches the action as written.
    go_template = "docker ps --format '{{.Names}}'"
    assert not is_deferred(go_template)
    no_keys: dict[str, Any] = {}
    assert render_keystore({"cmd": go_template}, no_keys.__getitem__) == {"cmd": go_template}
    with pytest.raises(InvalidParameters, match="port: must be of type integer, got str"):
        validate_parameters("x.y", schema, {"port": "{{ trigger.port }}"})


def test_criteria_equals_and_exists() -> None:
    context = {"event": {"payload": {"a": 1}}}
    assert matches({"trigger.a": Condition(type="equals", pattern=1)}, context)
    assert not matches({"trigger.a": Condition(type="equals", pattern="1")}, context)
    assert matches({"event.payload.a": Condition(type="exists")}, context)
    assert not matches({"trigger.b": Condition(type="exists")}, context)


def test_secrets_are_masked() -> None:
    assert masked({"token": sealed("k:abc"), "user": "me"}) == {"token": MASK, "user": "me"}


def test_ids_are_uuid7_time_ordered_and_deterministic_when_caused() -> None:
    first = new_runtime_id(T0, b"\x00" * 10)
    assert first.version == 7 and str(first).startswith("019b")
    assert caused_id(T0, "a", 1) == caused_id(T0, "a", 1) != caused_id(T0, "a", 2)
    assert config_id("action", "core.echo") == config_id("action", "core.echo")
