"""Properties over generated input: whatever text reaches the compiler, and whatever
well-formed expression is evaluated, the only failures are `ExpressionError`s, and every
bound of `Limits` holds (steps, sizes, integer widths) — nothing hangs, nothing escapes."""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune.domain.expressions import (
    ExpressionError,
    LimitExceeded,
    Limits,
    compile_expression,
    compile_template,
    render_value,
)
from attune.domain.expressions.functions import FUNCTIONS

# 300 examples a test keeps the file under ~10 s; EXPRESSION_EXAMPLES=5000 searches harder.
# No example database: a failure prints its example, to paste into a test.
HUGE = 10**400

PROFILE = settings(
    max_examples=int(os.environ.get("EXPRESSION_EXAMPLES", "300")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)

SCOPE: dict[str, Any] = {
    "trigger": {
        "n": 3,
        "f": 1.5,
        "s": "abc",
        "items": [1, 2, 3],
        "words": ["b", "a"],
        "obj": {"a": 1, "b": [1, 2], "c": {"d": None}},
        "none": None,
        "flag": True,
        "json": '{"a": [1, 2]}',
        "huge": HUGE,  # wider than any integer an expression may build
    },
    "workflow": {"v": 2, "name": "wf"},
    "item": {"k": "v"},
    "index": 0,
}
NAMES = [
    "trigger",
    "trigger.n",
    "trigger.f",
    "trigger.s",
    "trigger.items",
    "trigger.words",
    "trigger.obj",
    "trigger.obj.a",
    "trigger.obj.b[1]",
    "trigger.obj.c.d",
    "trigger.none",
    "trigger.flag",
    "trigger.json",
    "trigger.missing",
    "v",
    "vars.name",
    "missing",
    "item",
    "item.k",
    "index",
    "config",
    "trigger.items.0",
    "trigger.items[-1]",
]
BINARY = ["or", "and", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "+", "-", "*", "/", "%"]


class Run:
    """A run for the workflow functions (a fake: this is a unit test)."""

    def result(self) -> Any:
        return {"code": 200, "items": [1, 2]}

    def status(self) -> str | None:
        return "succeeded"

    def task_status(self, name: str) -> str | None:
        return "failed" if name == "t" else None

    def variables(self) -> Mapping[str, Any]:
        return {"x": 1, "__internal": 2}

    def item(self) -> Any:
        return {"k": 1}


def quoted(text: str) -> str:
    return json.dumps(text)  # JSON's escapes are a subset of the language's


leaves = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.integers(min_value=-5, max_value=50).map(str),
    st.sampled_from(["1000000000000000000000000000000", "-1000000000000000000000000000000"]),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(repr),
    st.text(max_size=8).map(quoted),
    st.sampled_from(["true", "false", "null", "[]", "{}", "''", "1e308", "range(40)"]),
    st.sampled_from(NAMES),
)


def calls(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def call(name: str) -> st.SearchStrategy[str]:
        function = FUNCTIONS[name]
        count = st.integers(function.minimum, function.maximum)
        arguments = count.flatmap(lambda n: st.lists(children, min_size=n, max_size=n))
        return arguments.map(lambda args: f"{name}({', '.join(args)})")

    return st.sampled_from(sorted(FUNCTIONS)).flatmap(call)


def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.tuples(children, st.sampled_from(BINARY), children).map(
            lambda t: f"({t[0]} {t[1]} {t[2]})"
        ),
        children.map(lambda a: f"(-{a})"),
        children.map(lambda a: f"(not {a})"),
        st.lists(children, max_size=4).map(lambda items: f"[{', '.join(items)}]"),
        st.lists(st.tuples(st.text(max_size=3), children), max_size=3).map(
            lambda entries: "{" + ", ".join(f"{quoted(k)}: {v}" for k, v in entries) + "}"
        ),
        st.tuples(children, children).map(lambda t: f"({t[0]})[{t[1]}]"),
        st.tuples(children, st.sampled_from(["a", "b", "k", "0"])).map(
            lambda t: f"({t[0]}).{t[1]}"
        ),
        calls(children),
    )


expressions = st.recursive(leaves, extend, max_leaves=25)

TOKENS = [
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ":",
    ".",
    "+",
    "-",
    "*",
    "/",
    "%",
    "==",
    "!=",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "!",
    "$",
    "|",
    "&&",
    " and ",
    " or ",
    " not ",
    " in ",
    "true",
    "null",
    "1",
    "0",
    "2.5",
    "1e400",
    "99999999999999999999999999999999999999999999999999999999999999999999999999999999",
    '"',
    "'",
    "\\",
    "x",
    "trigger",
    "__class__",
    "length",
    "lenght",
    "range",
    "json",
    "result",
    "ctx",
    " ",
    "\n",
    "{{",
    "}}",
    "<%",
    "%>",
    "é",
]
token_soup = st.lists(st.sampled_from(TOKENS), max_size=30).map("".join)
any_text = st.one_of(st.text(max_size=60), token_soup)

SMALL = Limits(
    max_steps=2_000,
    max_string_length=500,
    max_collection_length=50,
    max_depth=16,
    max_integer_bits=64,
)


def within(value: Any, limits: Limits, depth: int = 0) -> bool:
    """A value no larger than the limits allow an evaluation to build."""
    assert depth < 100, "a result nested without bound"
    if isinstance(value, str):
        return len(value) <= limits.max_string_length or value in _SCOPE_STRINGS
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return value.bit_length() <= limits.max_integer_bits or abs(value) == HUGE
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, list | tuple):
        return len(value) <= limits.max_collection_length and all(
            within(v, limits, depth + 1) for v in value
        )
    if isinstance(value, Mapping):
        return len(value) <= limits.max_collection_length and all(
            within(v, limits, depth + 1) for v in value.values()
        )
    raise AssertionError(f"a result of Python type {type(value).__name__}")


_SCOPE_STRINGS = {"abc", "wf", "v", '{"a": [1, 2]}'}


@PROFILE
@given(any_text)
def test_compiling_any_text_raises_only_expression_errors(text: str) -> None:
    with contextlib.suppress(ExpressionError):
        compile_expression(text)


@PROFILE
@given(st.lists(st.one_of(any_text, st.sampled_from(["{{ ", " }}", "<% ", " %>"])), max_size=6))
def test_compiling_and_rendering_any_template_raises_only_expression_errors(
    parts: list[str],
) -> None:
    text = "".join(parts)
    try:
        template = compile_template(text)
        template.render(SCOPE, Run(), keep=lambda block: "keystore" in block.roots())
    except ExpressionError as error:
        assert error.expression == text


@PROFILE
@given(expressions)
def test_well_formed_expressions_evaluate_within_every_bound(text: str) -> None:
    for limits in (SMALL, Limits()):
        try:
            expression = compile_expression(text, limits)
        except ExpressionError as error:
            assert isinstance(error, LimitExceeded), error  # the grammar is well formed
            continue
        for run in (None, Run()):
            try:
                result, steps = expression.measure(SCOPE, run, limits)
            except ExpressionError:
                continue
            assert steps <= limits.max_steps
            assert within(result, limits), (text, result)


@PROFILE
@given(expressions)
def test_a_tiny_step_budget_stops_any_expression(text: str) -> None:
    limits = Limits(max_steps=25)
    try:
        result, steps = compile_expression(text).measure(SCOPE, Run(), limits)
    except ExpressionError:
        return
    assert steps <= 25
    assert within(result, Limits())


@PROFILE
@given(
    st.recursive(
        st.one_of(expressions.map(lambda e: "{{ " + e + " }}"), st.text(max_size=5)),
        lambda children: st.one_of(
            st.lists(children, max_size=3),
            st.dictionaries(st.text(max_size=3), children, max_size=3),
        ),
        max_leaves=8,
    )
)
def test_render_value_raises_only_expression_errors(value: Any) -> None:
    with contextlib.suppress(ExpressionError):
        render_value(value, SCOPE, Run(), SMALL)
