"""Parameter validation names the parameter; templates keep types; criteria match."""

from __future__ import annotations

import pytest

from attune.domain.criteria import Condition, matches
from attune.domain.errors import InvalidParameters, TemplateError
from attune.domain.ids import caused_id, config_id, new_runtime_id
from attune.domain.parameters import coerce_text, parse_schema, validate_parameters
from attune.domain.secrets import MASK, masked, sealed
from attune.domain.templates import render
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
    context = {"event": {"payload": {"n": 2, "host": "db", "tags": ["a"]}}}
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
    with pytest.raises(TemplateError, match="'trigger.nope' is not defined"):
        render("{{ trigger.nope }}", context)


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
