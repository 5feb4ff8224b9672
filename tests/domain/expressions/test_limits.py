"""Every bound of `Limits` holds, is reported as `LimitExceeded` with a position, and is
checked before the value it guards is built: no input makes an expression hang, exhaust
memory or Python's stack."""

from __future__ import annotations

import contextlib
import tracemalloc
from collections.abc import Callable
from typing import Any

import pytest

from attune.domain.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    LimitExceeded,
    Limits,
    compile_expression,
)

BIG = "x" * 600_000
SCOPE: dict[str, Any] = {"trigger": {"big": BIG, "list": list(range(60_000)), "n": 2**200}}


def exceeded(text: str, limits: Limits = DEFAULT_LIMITS, scope: Any = None) -> LimitExceeded:
    with pytest.raises(LimitExceeded) as raised:
        compile_expression(text, limits).evaluate(SCOPE if scope is None else scope, None, limits)
    return raised.value


def peak_bytes(action: Callable[[], object]) -> int:
    tracemalloc.start()
    with contextlib.suppress(ExpressionError):
        action()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def test_the_defaults() -> None:
    assert (
        Limits(
            max_steps=100_000,
            max_string_length=1_000_000,
            max_collection_length=100_000,
            max_depth=64,
            max_expression_length=10_000,
            max_integer_bits=256,
            max_pattern_length=1_000,
        )
        == DEFAULT_LIMITS
    )


@pytest.mark.parametrize("field", ["max_steps", "max_depth", "max_integer_bits"])
def test_limits_must_be_positive_integers(field: str) -> None:
    with pytest.raises(ValueError, match=f"Limits.{field} must be a positive integer"):
        Limits(**{field: 0})
    not_an_integer: Any = 1.5
    with pytest.raises(ValueError):
        Limits(**{field: not_an_integer})


# --- steps -------------------------------------------------------------------------------


def test_steps_count_nodes_and_the_elements_functions_visit() -> None:
    assert compile_expression("1").measure({}) == (1, 1)
    assert compile_expression("1 + 2").measure({}) == (3, 3)
    _, steps = compile_expression("sum(range(1000))").measure({})
    assert 2000 <= steps <= 2100  # 1,000 items built, then 1,000 added up


def test_a_skipped_operand_is_not_charged() -> None:
    _, short = compile_expression("false and sum(range(1000)) > 1").measure({})
    _, taken = compile_expression("true and sum(range(1000)) > 1").measure({})
    assert short < 10 < 2000 < taken


def test_the_step_budget_stops_an_evaluation() -> None:
    error = exceeded("length(range(60000)) + length(range(60000))")
    assert error.reason == "evaluation exceeds the limit of 100000 steps"
    assert error.column == 31  # the call that went over: the second range()
    exceeded("1 + 1 + 1 + 1 + 1 + 1", Limits(max_steps=10))
    exceeded("sort(trigger.list)")
    exceeded("unique(trigger.list + trigger.list)", Limits(max_collection_length=200_000))
    exceeded("trigger.list == trigger.list and trigger.list == trigger.list")


def test_a_small_budget_holds_for_every_kind_of_work() -> None:
    limits = Limits(max_steps=50)
    scope = {"trigger": {"list": list(range(100)), "text": "a" * 10_000}}
    for text in [
        "sum(trigger.list)",
        "string(trigger.list)",
        "trigger.list == trigger.list",
        "99 in trigger.list",
        "index_of(trigger.list, 99)",
        "count(trigger.list, 1)",
        "join(split(trigger.text, 'a'), '')",
        "upper(trigger.text)",
        "json(string(trigger.list))",
        "true and true and true and true and " * 15 + "true",
    ]:
        with pytest.raises(LimitExceeded, match="50 steps"):
            compile_expression(text).evaluate(scope, None, limits)


# --- sizes -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "trigger.big + trigger.big",
        "replace(trigger.big, 'x', 'yy')",
        "join([trigger.big, trigger.big], '')",
        "string([trigger.big, trigger.big])",
        "upper(trigger.big) + trigger.big",
    ],
)
def test_strings_are_bounded_before_they_are_built(text: str) -> None:
    error = exceeded(text)
    assert error.reason.startswith("a string of ") or "string" in error.reason
    assert "exceeds the limit of 1000000" in error.reason
    assert peak_bytes(lambda: compile_expression(text).evaluate(SCOPE)) < 2 * len(BIG)


@pytest.mark.parametrize(
    "text",
    [
        "range(1000000000)",
        "range(-1000000000, 1000000000, 1)",
        "trigger.list + trigger.list",
        "split(trigger.big, 'x')",
        "flat([trigger.list, trigger.list])",
        "zip(trigger.list, trigger.list)",
        "chunks(trigger.list + [], 1)",
    ],
)
def test_collections_are_bounded_before_they_are_built(text: str) -> None:
    error = exceeded(text, Limits(max_collection_length=50_000, max_steps=10**9))
    assert "exceeds the limit of 50000" in error.reason
    # Refused without allocating: far less than the 10**9 items of the first case.
    assert peak_bytes(lambda: compile_expression(text).evaluate(SCOPE)) < 8 * len(BIG)


def test_literal_collections_and_objects_obey_the_collection_limit() -> None:
    limits = Limits(max_collection_length=3)
    exceeded("[1, 2, 3, 4]", limits)
    exceeded("{'a': 1, 'b': 2, 'c': 3, 'd': 4}", limits)
    exceeded("merge({'a': 1, 'b': 2}, {'c': 3, 'd': 4})", limits)
    exceeded("keys(trigger)", limits, {"trigger": dict.fromkeys("abcd", 1)})
    assert compile_expression("[1, 2, 3]").evaluate({}, None, limits) == [1, 2, 3]


def test_an_expression_s_length_is_bounded() -> None:
    with pytest.raises(LimitExceeded) as raised:
        compile_expression("1" + " + 1" * 3000)
    assert raised.value.reason == "an expression of 12001 characters exceeds the limit of 10000"
    compile_expression("1" + " + 1" * 2000)  # 8,001 characters: fine, and flat


# --- nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100 + "1" + ")" * 100,
        "[" * 100 + "]" * 100,
        "{'a': " * 100 + "1" + "}" * 100,
        "-" * 100 + "1",
        "not " * 100 + "true",
        "x" + "[x" * 100 + "]" * 100,
        "length(" * 100 + "x" + ")" * 100,
        "(" * 5000,
    ],
)
def test_nesting_is_bounded_when_compiling(text: str) -> None:
    with pytest.raises(LimitExceeded, match="nested deeper than the limit of 64"):
        compile_expression(text)


def test_a_generous_depth_limit_still_cannot_exhaust_the_stack() -> None:
    limits = Limits(max_depth=1_000_000)
    with pytest.raises(LimitExceeded):
        compile_expression("(" * 4000 + "1" + ")" * 4000, limits)


def test_long_flat_chains_are_not_nesting() -> None:
    assert compile_expression(" + ".join(["1"] * 2000)).evaluate({}) == 2000
    assert compile_expression("x" + ".a" * 3000).roots() == {"x"}
    assert compile_expression(" or ".join(["false"] * 1000) + " or true").evaluate({}) is True


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "text", ["trigger.deep == trigger.deep", "string(trigger.deep)", "unique([trigger.deep])"]
)
def test_walking_a_deep_value_is_bounded(text: str) -> None:
    scope = {"trigger": {"deep": nested(5000)}}
    error = exceeded(text, scope=scope)
    assert error.reason == "a value is nested deeper than the limit of 64"


def test_json_is_bounded_in_depth() -> None:
    exceeded("json(trigger.text)", scope={"trigger": {"text": "[" * 100 + "]" * 100}})
    exceeded("json(trigger.text)", scope={"trigger": {"text": "[" * 200_000}})
    assert compile_expression("json(trigger.t)").evaluate({"trigger": {"t": "[[[]]]"}}) == [[[]]]


# --- numbers -----------------------------------------------------------------------------


def test_integers_are_bounded_in_width() -> None:
    with pytest.raises(LimitExceeded, match="integer literal too large"):
        compile_expression("9" * 100)
    error = exceeded("trigger.n * trigger.n")
    assert error.reason == "an integer exceeds the limit of 256 bits"
    assert error.column == 11
    exceeded("x * x * x * x * x * x", scope={"workflow": {"x": 2**60}})
    exceeded("int('" + "9" * 5000 + "')")
    assert compile_expression("trigger.n + 1").evaluate(SCOPE) == 2**200 + 1


def test_floats_stay_finite() -> None:
    with pytest.raises(LimitExceeded, match="number literal too large"):
        compile_expression("1e999")
    for text in ["1e308 * 10", "1e308 + 1e308", "-1e308 - 1e308", "1e308 / 1e-10"]:
        error = exceeded(text)
        assert error.reason == "a number is too large (not a finite float)"


def test_a_huge_integer_from_the_scope_is_a_limit_not_an_overflow() -> None:
    scope = {"trigger": {"huge": 10**400}}
    assert isinstance(exceeded("trigger.huge + 0.5", scope=scope), LimitExceeded)
    assert isinstance(exceeded("trigger.huge / 3", scope=scope), LimitExceeded)
    assert isinstance(exceeded("string(trigger.huge)", scope=scope), LimitExceeded)
    assert isinstance(exceeded("sum([trigger.huge, 0.5])", scope=scope), LimitExceeded)
    assert isinstance(exceeded("floor(trigger.huge)", scope=scope), LimitExceeded)


def test_a_range_too_long_for_python_s_own_sizes_is_a_limit() -> None:
    error = exceeded("range(1000000000000000000000000000000)")
    assert error.reason == (
        "a collection of 1000000000000000000000000000000 items exceeds the limit of 100000"
    )
    assert compile_expression("chunks([1, 2], 1000000000000000000000000000000)").evaluate({}) == [
        [1, 2]
    ]
