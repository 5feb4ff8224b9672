"""Criteria at registration (`check_criteria`: each refusal with its message), for the rule
tester (`explain`), for the rule engine's index (`equality_keys`, `index_key`), and compiled
once: no regex compiled nor template rendered per event where none is needed."""

from __future__ import annotations

import copy
import math
import pickle
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from attune.domain.criteria import (
    MISSING,
    Condition,
    CriterionOutcome,
    check_criteria,
    engine,
    equality_keys,
    explain,
    index_key,
    matches,
)
from attune.domain.expressions import Limits

NOW = datetime(2024, 7, 1, 12, tzinfo=UTC)


def condition(**fields: Any) -> Condition:
    return Condition.model_validate(fields)


# (key, condition, the message check_criteria gives, as a regex)
REFUSALS: list[tuple[str, dict[str, Any], str]] = [
    (
        "trigger.x",
        {"type": "weird", "pattern": 1},
        r"^criteria 'trigger.x': unknown operator 'weird' \(known: contains, endswith, "
        r"equals \(eq\), exists, .*timediff_lt \(td_lt\)\)$",
    ),
    (
        "trigger.x",
        {"type": "matchregex", "pattern": "("},
        r"^criteria 'trigger.x': matchregex: bad regular expression '\(': missing \), "
        r"unterminated subpattern at position 0$",
    ),
    (
        "trigger.x",
        {"type": "regex", "pattern": "[a-"},
        r"^criteria 'trigger.x': regex: bad regular expression '\[a-': unterminated "
        r"character set",
    ),
    ("trigger.x", {"type": "IREGEX", "pattern": "a{2,1}"}, r"iregex: bad regular expression"),
    ("trigger.x", {"type": "regex", "pattern": 5}, r"regex: the pattern must be a string, not "),
    (
        "trigger.x",
        {"type": "matchwildcard", "pattern": ["*"]},
        r"matchwildcard: the pattern must be a string, not array",
    ),
    ("trigger.x", {"type": "startswith", "pattern": 1}, r"startswith: .* not integer$"),
    ("trigger.x", {"type": "iequals", "pattern": ["a"]}, r"iequals: .* not array$"),
    ("trigger.x", {"type": "icontains", "pattern": True}, r"icontains: .* not boolean$"),
    (
        "trigger.x",
        {"type": "inside", "pattern": 3},
        r"inside: the pattern must be a string, an array or an object, not integer",
    ),
    ("trigger.x", {"type": "lt", "pattern": {"a": 1}}, r"lessthan: .* not object$"),
    (
        "trigger.x",
        {"type": "timediff_lt", "pattern": "soon"},
        r"^criteria 'trigger.x': timediff_lt: the pattern must be a number of seconds, "
        r"not 'soon'$",
    ),
    ("trigger.x", {"type": "td_gt", "pattern": True}, r"timediff_gt: .* number of seconds"),
    ("trigger.x", {"type": "td_gt", "pattern": [1]}, r"timediff_gt: .* number of seconds"),
    ("trigger.x", {"type": "td_gt", "pattern": math.inf}, r"timediff_gt: .* number of seconds"),
    ("trigger.x", {"type": "equals"}, r"^criteria 'trigger.x': equals needs a pattern$"),
    ("trigger.x", {"type": "nequals", "pattern": None}, r"nequals needs a pattern$"),
    ("trigger.x", {"type": "equals", "pattern": b"\xff"}, r"equals: 'utf-8' codec"),
    (
        "trigger.x",
        {"type": "equals", "pattern": "{{ trigger. }}"},
        r"^criteria 'trigger.x': pattern: .* at 1:\d+ in \{\{ trigger. \}\}$",
    ),
    (
        "trigger.x",
        {"type": "inside", "pattern": ["ok", "{{ 1 + }}"]},
        r"^criteria 'trigger.x': pattern\[1\]: ",
    ),
    (
        "trigger.x",
        {"type": "equals", "pattern": {"a": {"b": "{{ nope(1) }}"}}},
        r"^criteria 'trigger.x': pattern.a.b: .*nope",
    ),
    (
        "trigger.x",
        {"type": "equals", "pattern": "{{ trigger.x"},
        r"^criteria 'trigger.x': pattern: '\{\{' is not closed",
    ),
    (
        "trigger.token",
        {"type": "equals", "pattern": "{{ keystore.token }}"},
        r"^criteria 'trigger.token': the pattern reads the keystore: secrets never decide "
        r"which events match, nor enter an event$",
    ),
    (
        "trigger.token",
        {"type": "inside", "pattern": ["a", "x{{ keystore.token }}"]},
        r"the pattern reads the keystore",
    ),
    (
        "keystore.token",
        {"type": "exists"},
        r"^criteria 'keystore.token': a criterion cannot read the keystore \(secrets never "
        r"decide which events match, nor enter an event\)$",
    ),
    ('keystore["token"]', {"type": "exists"}, r"a criterion cannot read the keystore"),
    ("keystore", {"type": "exists"}, r"a criterion cannot read the keystore"),
    (
        "trigger.x",
        {"type": "equals", "pattern": 1, "condition": "any"},
        r"^criteria 'trigger.x': 'condition' belongs to a search, not to equals$",
    ),
    (
        "trigger.list",
        {"type": "search", "pattern": {"item.a": {"type": "exists"}}},
        r"^criteria 'trigger.list': a search needs a condition: any, all, any2any or all2any$",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "some", "pattern": {"item.a": {"type": "exists"}}},
        r"^criteria 'trigger.list': unknown search condition 'some' \(known: any, all, "
        r"any2any, all2any\)$",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {}},
        r"^criteria 'trigger.list': a search's pattern holds its child criteria, at least one",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": "item.a"},
        r"a search's pattern holds its child criteria",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"item.a": "equals"}},
        r"^criteria 'trigger.list' > 'item.a': Input should be a valid dictionary",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"item.a": {"pattern": 1}}},
        r"^criteria 'trigger.list' > 'item.a': type: Field required$",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"item.a": {"type": "eq", "x": 1}}},
        r"^criteria 'trigger.list' > 'item.a': x: Extra inputs are not permitted$",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"item.a": {"type": "weird"}}},
        r"^criteria 'trigger.list' > 'item.a': unknown operator 'weird'",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "all", "pattern": {"item.a": {"type": "regex"}}},
        r"^criteria 'trigger.list' > 'item.a': regex needs a pattern$",
    ),
    (
        "trigger.list",
        {
            "type": "search",
            "condition": "all",
            "pattern": {"item.a": {"type": "regex", "pattern": "("}},
        },
        r"^criteria 'trigger.list' > 'item.a': regex: bad regular expression",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"trigger.a": {"type": "exists"}}},
        r"^criteria 'trigger.list' > 'trigger.a': a search's child criterion reads the list "
        r"item: 'item.<field>', not 'trigger.a'$",
    ),
    (
        "trigger.list",
        {"type": "search", "condition": "any", "pattern": {"item..a": {"type": "exists"}}},
        r"^criteria 'trigger.list' > 'item..a': bad path: a name is expected",
    ),
    (
        "trigger.list",
        {
            "type": "search",
            "condition": "any",
            "pattern": {"item.a": {"type": "eq", "pattern": "{{ keystore.k }}"}},
        },
        r"^criteria 'trigger.list' > 'item.a': the pattern reads the keystore",
    ),
    (
        "trigger.list",
        {
            "type": "search",
            "condition": "any",
            "pattern": {
                "item.b": {
                    "type": "search",
                    "condition": "all",
                    "pattern": {"item.c": {"type": "lt"}},
                }
            },
        },
        r"^criteria 'trigger.list' > 'item.b' > 'item.c': lessthan needs a pattern$",
    ),
]


@pytest.mark.parametrize(("key", "fields", "message"), REFUSALS)
def test_check_criteria_refuses_with_the_key_and_the_reason(
    key: str, fields: dict[str, Any], message: str
) -> None:
    criteria = {"trigger.ok": condition(type="exists"), key: condition(**fields)}
    with pytest.raises(ValueError, match=message):
        check_criteria(criteria)


def test_a_regex_longer_than_the_limit_is_refused() -> None:
    criteria = {"trigger.x": condition(type="regex", pattern="a" * 11)}
    check_criteria(criteria)
    with pytest.raises(ValueError, match="has 11 characters, more than the limit of 10"):
        check_criteria(criteria, Limits(max_pattern_length=10))


def test_a_template_longer_than_the_limit_is_refused() -> None:
    criteria = {"trigger.x": condition(type="equals", pattern="{{ 1 }}" + " " * 20)}
    check_criteria(criteria)
    with pytest.raises(ValueError, match="criteria 'trigger.x': pattern: .*limit of 10"):
        check_criteria(criteria, Limits(max_string_length=10))


ACCEPTED: list[dict[str, Any]] = [
    {"type": "exists"},
    {"type": "nexists"},
    {"type": "exists", "pattern": ""},  # StackStorm rules carry one: it is ignored
    {"type": "NEXISTS", "pattern": "anything"},
    {"type": "equals", "pattern": 0},
    {"type": "equals", "pattern": False},
    {"type": "equals", "pattern": ""},
    {"type": "equals", "pattern": [1, {"a": None}]},
    {"type": "contains", "pattern": 1},  # an array may hold a number
    {"type": "inside", "pattern": {"a": 1}},
    {"type": "lessthan", "pattern": "b"},
    {"type": "timediff_lt", "pattern": 0},
    {"type": "timediff_lt", "pattern": "1.5"},
    {"type": "regex", "pattern": "{{ trigger.re }}"},  # checked when it renders
    {"type": "timediff_gt", "pattern": "{{ trigger.window }}"},
    {"type": "matchwildcard", "pattern": "*.example.com"},
    {"type": "equals", "pattern": "<b>"},
    {"type": "search", "condition": "any", "pattern": {"item": {"type": "exists"}}},
]


@pytest.mark.parametrize("fields", ACCEPTED)
def test_check_criteria_accepts(fields: dict[str, Any]) -> None:
    check_criteria({"trigger.x": condition(**fields)})


def test_a_search_child_may_be_a_condition_already() -> None:
    child = Condition(type="equals", pattern=1)
    criteria = {"trigger.l": Condition(type="search", condition="any", pattern={"item": child})}
    check_criteria(criteria)
    assert matches(criteria, {"trigger": {"l": [0, 1]}}, NOW)


# --- explain ------------------------------------------------------------------------------


def test_explain_evaluates_every_criterion_in_order() -> None:
    criteria = {
        "trigger.status": condition(type="Eq", pattern="failed"),
        "trigger.count": condition(type="GT", pattern="{{ trigger.limit }}"),
        "trigger.host": condition(type="exists"),
        "trigger.count#2": condition(type="lt", pattern=10),
    }
    scope = {"trigger": {"status": "ok", "count": 5, "limit": 3}}
    outcomes = explain(criteria, scope, NOW)
    assert outcomes == [
        CriterionOutcome("trigger.status", "equals", "ok", "failed", False, None),
        CriterionOutcome("trigger.count", "greaterthan", 5, 3, True, None),
        CriterionOutcome("trigger.host", "exists", MISSING, None, False, None),
        CriterionOutcome("trigger.count#2", "lessthan", 5, 10, True, None),
    ]
    assert not matches(criteria, scope, NOW)
    assert [outcome.found for outcome in outcomes] == [True, True, False, True]
    assert outcomes[2].as_json() == {
        "key": "trigger.host",
        "operator": "exists",
        "found": False,
        "value": None,
        "pattern": None,
        "matched": False,
        "error": None,
    }
    assert outcomes[1].as_json()["value"] == 5


EXPLAINED_ERRORS: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (
        {"type": "equals", "pattern": "{{ trigger.nope }}"},
        {"x": 1},
        r"^the pattern does not render: undefined name 'trigger.nope'",
    ),
    (
        {"type": "equals", "pattern": "{{ trigger.none }}"},
        {"x": None, "none": None},
        r"^the pattern renders to null: equals matches nothing$",
    ),
    (
        {"type": "regex", "pattern": "{{ trigger.re }}"},
        {"x": "a", "re": "("},
        r"^the rendered pattern does not suit regex: bad regular expression '\('",
    ),
    ({"type": "lt", "pattern": 3}, {}, r"^cannot compare null with integer$"),
    ({"type": "lt", "pattern": 3}, {"x": "2"}, r"^cannot compare string with integer$"),
    ({"type": "iequals", "pattern": "a"}, {"x": 1}, r"^the value is integer, not a string$"),
    ({"type": "ncontains", "pattern": "a"}, {}, r"^cannot look for string in null$"),
    ({"type": "inside", "pattern": "abc"}, {"x": 1}, r"^cannot look for integer in string$"),
    (
        {"type": "timediff_lt", "pattern": 1},
        {"x": "yesterday"},
        r"^the value 'yesterday' is not an ISO 8601 date$",
    ),
    ({"type": "timediff_lt", "pattern": 1}, {"x": 5}, r"^the value is integer, not a date$"),
    (
        {"type": "search", "condition": "any", "pattern": {"item": {"type": "exists"}}},
        {"x": 5},
        r"^search looks through an array \(or an object\), not integer$",
    ),
    (
        {"type": "weird", "pattern": 1},
        {"x": 1},
        r"^criteria 'trigger.x': unknown operator 'weird'",
    ),
    ({"type": "regex", "pattern": "("}, {"x": "a"}, r"regex: bad regular expression"),
]


@pytest.mark.parametrize(("fields", "payload", "error"), EXPLAINED_ERRORS)
def test_explain_says_why_a_criterion_could_not_be_evaluated(
    fields: dict[str, Any], payload: dict[str, Any], error: str
) -> None:
    # Never checked (as a definition read back from the log): evaluated all the same.
    criteria = {"trigger.x": condition(**fields)}
    [outcome] = explain(criteria, {"trigger": payload}, NOW)
    assert not outcome.matched
    assert outcome.error is not None and re.search(error, outcome.error), outcome.error
    assert not matches(criteria, {"trigger": payload}, NOW)


def test_explain_without_now_says_the_time_operators_lack_it() -> None:
    [outcome] = explain(
        {"trigger.at": condition(type="td_lt", pattern=10)}, {"trigger": {"at": "2024-01-01"}}
    )
    assert outcome.error == "no time to compare with: the caller gave no `now`"


def test_explain_shows_the_value_as_found_and_the_pattern_as_rendered() -> None:
    criteria = {"trigger.b": condition(type="equals", pattern=["{{ trigger.n }}", "x"])}
    [outcome] = explain(criteria, {"trigger": {"b": b"raw", "n": 2}}, NOW)
    assert (outcome.value, outcome.pattern, outcome.matched) == (b"raw", [2, "x"], False)
    [outcome] = explain({"trigger.none": condition(type="exists")}, {"trigger": {"none": None}})
    assert outcome.value is None and outcome.found and not outcome.matched


# --- the rule engine's index ----------------------------------------------------------------


def test_equality_keys_are_the_constant_case_sensitive_equals() -> None:
    criteria = {
        "trigger.a": condition(type="eq", pattern="x"),
        "trigger.b": condition(type="Equals", pattern=1),
        "trigger.c": condition(type="iequals", pattern="x"),
        "trigger.d": condition(type="equals", pattern="{{ trigger.e }}"),
        "trigger.e": condition(type="equals", pattern=[1]),
        "trigger.f": condition(type="equals", pattern=1.5),
        "trigger.g": condition(type="equals", pattern=math.nan),
        "trigger.h": condition(type="EQ", pattern=True),
        "trigger.a#2": condition(type="equals", pattern="y"),
        "trigger.i": condition(type="nequals", pattern="x"),
        "trigger.j": condition(type="equals", pattern={"k": 1}),
        "trigger.k": condition(type="equals", pattern=b"x"),
        'trigger."l.m"#1': condition(type="equals", pattern="dotted"),
        "trigger..bad": condition(type="equals", pattern="x"),
        "trigger.n": condition(type="exists"),
    }
    assert equality_keys(criteria) == {
        "trigger.a": "x",  # the first of the two on trigger.a
        "trigger.b": 1,
        "trigger.f": 1.5,
        "trigger.h": True,
        'trigger."l.m"': "dotted",
    }
    assert equality_keys({}) == {}


VALUES: list[Any] = [
    1, 1.0, True, 0, 0.0, False, "1", b"1", "x", b"x", b"\xff", 2.5, None, MISSING, [1],
    {"a": 1}, math.nan, math.inf, "",
]  # fmt: skip
PATTERNS: list[Any] = [1, 1.0, True, 0, False, "1", "x", 2.5, "", math.inf]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_index_key_agrees_with_equals(pattern: Any) -> None:
    criteria = {"trigger.v": Condition(type="equals", pattern=pattern)}
    if isinstance(pattern, float) and not math.isfinite(pattern):
        assert equality_keys(criteria) == {}  # not indexed: the rule is always a candidate
        return
    assert equality_keys(criteria) == {"trigger.v": pattern}
    index = {pattern: "rule"}
    for value in VALUES:
        payload = {} if value is MISSING else {"v": value}
        found = index.get(index_key(value)) == "rule"
        assert found is matches(criteria, {"trigger": payload}, NOW), (value, pattern)


# --- compiled once ------------------------------------------------------------------------


def test_a_constant_regex_is_compiled_once(monkeypatch: pytest.MonkeyPatch) -> None:
    criteria = {"trigger.host": Condition(type="regex", pattern=r"^web\d+-unique-7$")}
    check_criteria(criteria)

    def no_compiling(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("compiled again")

    monkeypatch.setattr(re, "compile", no_compiling)
    assert matches(criteria, {"trigger": {"host": "web12-unique-7"}}, NOW)
    assert not matches(criteria, {"trigger": {"host": "db1"}}, NOW)


def test_a_rendered_regex_is_compiled_once_per_text(monkeypatch: pytest.MonkeyPatch) -> None:
    criteria = {"trigger.host": Condition(type="regex", pattern="^{{ trigger.p }}-once$")}
    scope = {"trigger": {"host": "web-once", "p": "web"}}
    assert matches(criteria, scope, NOW)
    compiled: list[str] = []
    original = re.compile

    def counting(pattern: Any, flags: Any = 0) -> Any:
        compiled.append(pattern)
        return original(pattern, flags)

    monkeypatch.setattr(re, "compile", counting)
    assert matches(criteria, scope, NOW)
    assert compiled == []


def test_no_rendering_without_a_template(monkeypatch: pytest.MonkeyPatch) -> None:
    criteria = {
        "trigger.a": Condition(type="equals", pattern="plain"),
        "trigger.b": Condition(type="inside", pattern=["x", {"y": "z"}]),
    }

    def no_rendering(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("rendered")

    monkeypatch.setattr(engine, "render_value", no_rendering)
    assert matches(criteria, {"trigger": {"a": "plain", "b": "x"}}, NOW)


def test_a_condition_evaluated_still_equals_one_that_was_not() -> None:
    evaluated = Condition(type="regex", pattern="a+")
    fresh = Condition(type="regex", pattern="a+")
    assert matches({"trigger.x": evaluated}, {"trigger": {"x": "aa"}}, NOW)
    assert evaluated == fresh and hash(evaluated) == hash(fresh)
    assert evaluated.model_dump() == {"type": "regex", "pattern": "a+", "condition": None}
    for copied in (copy.deepcopy(evaluated), pickle.loads(pickle.dumps(evaluated))):
        assert copied == fresh
        assert matches({"trigger.x": copied}, {"trigger": {"x": "aa"}}, NOW)


def test_one_condition_under_two_keys() -> None:
    shared = Condition(type="equals", pattern=1)
    criteria = {"trigger.a": shared, "trigger.b": shared}
    check_criteria(criteria)
    assert matches(criteria, {"trigger": {"a": 1, "b": 1}}, NOW)
    assert not matches(criteria, {"trigger": {"a": 1, "b": 2}}, NOW)
    assert not matches(criteria, {"trigger": {"a": 2, "b": 1}}, NOW)


def test_no_criteria_match_everything() -> None:
    assert matches({}, {}, NOW)
    assert explain({}, {}, NOW) == []
