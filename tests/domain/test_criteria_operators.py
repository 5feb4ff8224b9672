"""Criteria operators, table-driven: every operator and alias, positive and negative, null and
missing values, bytes against strings, case-insensitive names, the time operators against
an explicit `now`, the four conditions of `search`, and typed template patterns."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from attune.domain.criteria import ALIASES, OPERATORS, Condition, check_criteria, matches

NOW = datetime(2024, 7, 1, 12, 0, 0, tzinfo=UTC)
ABSENT = object()  # the field is not in the payload at all


def holds(operator: str, value: Any, pattern: Any = None, now: datetime = NOW) -> bool:
    """The operator's verdict on `value` (ABSENT: no such field) against `pattern`."""
    payload = {} if value is ABSENT else {"field": value}
    criteria = {"trigger.field": Condition(type=operator, pattern=pattern)}
    check_criteria(criteria)  # every case here is a criterion registration accepts
    return matches(criteria, {"trigger": payload}, now)


# (operator, value, pattern, expected)
CASES: list[tuple[str, Any, Any, bool]] = [
    # equals: Python's ==, as StackStorm's
    ("equals", "v1", "v1", True),
    ("equals", "v1", "v2", False),
    ("equals", "", "", True),
    ("equals", 1, 1, True),
    ("equals", 1, 1.0, True),
    ("equals", True, 1, True),
    ("equals", 0.8, 0.8, True),
    ("equals", "1", 1, False),
    ("equals", [1, "a"], [1, "a"], True),
    ("equals", {"a": 1}, {"a": 1}, True),
    ("equals", {"a": 1}, {"a": 2}, False),
    ("equals", None, "x", False),
    ("equals", ABSENT, "x", False),
    ("equals", b"1", "1", True),
    ("equals", "1", b"1", True),
    ("equals", b"1", b"1", True),
    ("equals", "v1", "V1", False),
    # nequals
    ("nequals", "foo", "bar", True),
    ("nequals", "foo", "FOO", True),
    ("nequals", "True", True, True),
    ("nequals", "True", "True", False),
    ("nequals", b"foo", "foo", False),
    ("nequals", None, "x", True),
    ("nequals", ABSENT, "x", True),  # a missing field differs from any pattern
    # iequals: strings only
    ("iequals", "AbC", "aBc", True),
    ("iequals", "ABC", "BCA", False),
    ("iequals", b"AbC", "aBc", True),
    ("iequals", "AbC", b"aBc", True),
    ("iequals", 1, "1", False),
    ("iequals", ABSENT, "x", False),
    # contains: the value holds the pattern (substring, list item, object key)
    ("contains", "haystack needle haystack", "needle", True),
    ("contains", "needla", "needle", False),
    ("contains", b"haystack needle", "needle", True),
    ("contains", "haystack needle", b"needle", True),
    ("contains", ["a", "b"], "a", True),
    ("contains", ["a", "b"], "c", False),
    ("contains", [1, [2]], [2], True),
    ("contains", {"key": 1}, "key", True),
    ("contains", {"key": 1}, 1, False),
    ("contains", 12, "1", False),
    ("contains", ABSENT, "x", False),
    ("contains", "abc", 1, False),
    # icontains
    ("icontains", "haystack nEEdle haystack", "NEEDLE", True),
    ("icontains", "needla", "needle", False),
    ("icontains", b"haystack needle", "NEEDLE", True),
    ("icontains", ["needle"], "needle", False),  # strings only
    # ncontains: a value that cannot contain anything (null, missing) does not match
    ("ncontains", "haystack needle", "foo", True),
    ("ncontains", "haystack needle", "needle", False),
    ("ncontains", b"haystack needle", b"foo", True),
    ("ncontains", ["a"], "b", True),
    ("ncontains", ["a"], "a", False),
    ("ncontains", ABSENT, "x", False),
    ("ncontains", None, "x", False),
    # incontains
    ("incontains", "haystack needle", "FOO", True),
    ("incontains", "haystack needle", "nEeDle", False),
    ("incontains", ABSENT, "x", False),
    # startswith / istartswith / endswith / iendswith
    ("startswith", "a haystack", "a ", True),
    ("startswith", "a haystack", "haystack", False),
    ("startswith", b"haystack needle", "haystack", True),
    ("startswith", "haystack needle", b"haystack", True),
    ("startswith", ["a"], "a", False),
    ("startswith", ABSENT, "a", False),
    ("istartswith", "HAYSTACK needle", "haystack", True),
    ("istartswith", "needle HAYSTACK", "haystack", False),
    ("endswith", "needle haystackend", "haystackend", True),
    ("endswith", "a haystack", "a", False),
    ("endswith", b"haystack b", "b", True),
    ("iendswith", "needle haystackEND", "HAYstackend", True),
    ("iendswith", "a haystack", "a ", False),
    ("iendswith", 5, "5", False),
    # matchwildcard: fnmatch, case-sensitive, whole value
    ("matchwildcard", "v1", "v1", True),
    ("matchwildcard", "test foo test", "foo", False),
    ("matchwildcard", "test foo test", "*foo*", True),
    ("matchwildcard", "bar", "b?r", True),
    ("matchwildcard", "bar", "b[a-z]r", True),
    ("matchwildcard", "BAR", "b?r", False),
    ("matchwildcard", b"bar", "b?r", True),
    ("matchwildcard", "bar", b"b?r", True),
    ("matchwildcard", 1, "1", False),
    ("matchwildcard", ABSENT, "*", False),
    # matchregex: re.match (anchored at the start) with DOTALL
    ("matchregex", "v1", "v1$", True),
    ("matchregex", "v1_foo", "v1$", False),
    ("matchregex", "foo\r\nponies\nbar", ".*ponies.*", True),
    ("matchregex", "ponies\nmoar\nbar\n", ".*bar.*", True),
    ("matchregex", "a ponies", "ponies", False),  # anchored at the start
    ("matchregex", b"foo ponies bar", ".*ponies.*", True),
    ("matchregex", "foo ponies bar", b".*ponies.*", True),
    ("matchregex", ABSENT, ".*", False),
    # regex: re.search, no flags
    ("regex", "fooponiesbarfooooo", "ponies", True),
    ("regex", "apple unicorns oranges", "(ponies|unicorns)", True),
    ("regex", "v1_foo", "v1$", False),
    ("regex", "fooPONIESbar", "ponies", False),
    ("regex", "line1\nline2", "^line2", False),  # no MULTILINE
    ("regex", b"apples unicorns", "(ponies|unicorns)", True),
    ("regex", "apples unicorns", b"(ponies|unicorns)", True),
    ("regex", 123, "1", False),
    # iregex: re.search, IGNORECASE
    ("iregex", "V1", "v1$", True),
    ("iregex", "fooPONIESbar", "ponies", True),
    ("iregex", "V1_foo", "v1$", False),
    ("iregex", b"fooPONIES", b"ponies", True),
    # lessthan / greaterthan: Python's < and >, no decoding
    ("lessthan", 1, 2, True),
    ("lessthan", 1, 1, False),
    ("lessthan", 1.5, 2, True),
    ("lessthan", "a", "b", True),
    ("lessthan", "aba", "bcb", True),
    ("lessthan", 1, 0, False),
    ("lessthan", "1", 2, False),  # a string and a number do not compare
    ("lessthan", None, 2, False),
    ("lessthan", ABSENT, 2, False),
    ("greaterthan", 2, 1, True),
    ("greaterthan", 2, 3, False),
    ("greaterthan", 1, 0, True),  # a falsy pattern is a pattern
    ("greaterthan", ABSENT, 0, False),
    # exists / nexists: a null exists no more than a missing field, as in StackStorm
    ("exists", "foo", None, True),
    ("exists", False, None, True),
    ("exists", 0, None, True),
    ("exists", "", None, True),
    ("exists", None, None, False),
    ("exists", ABSENT, None, False),
    ("nexists", "foo", None, False),
    ("nexists", False, None, False),
    ("nexists", None, None, True),
    ("nexists", ABSENT, None, True),
    # inside / ninside: the pattern holds the value
    ("inside", "a", "abc", True),
    ("inside", "a", "bcd", False),
    ("inside", b"a", "abc", True),
    ("inside", "a", b"abc", True),
    ("inside", "b", ["a", "b"], True),
    ("inside", "c", ["a", "b"], False),
    ("inside", 2, [1, 2, 3], True),
    ("inside", "key", {"key": 1}, True),
    ("inside", None, ["a"], False),
    ("inside", None, [None], True),
    ("inside", ABSENT, "abc", False),  # null is no substring
    ("inside", 1, "123", False),
    ("ninside", "a", "bcd", True),
    ("ninside", "a", "abc", False),
    ("ninside", "c", ["a", "b"], True),
    ("ninside", ABSENT, ["a", "b"], True),  # null is not in the list
    ("ninside", ABSENT, "abc", False),
]


@pytest.mark.parametrize(("operator", "value", "pattern", "expected"), CASES)
def test_each_operator(operator: str, value: Any, pattern: Any, expected: bool) -> None:
    assert holds(operator, value, pattern) is expected


ALIAS_CASES: list[tuple[str, Any, Any, bool]] = [
    ("eq", 1, 1, True),
    ("eq", 1, 2, False),
    ("neq", 1, 2, True),
    ("neq", 1, 1, False),
    ("ieq", "A", "a", True),
    ("ieq", "A", "b", False),
    ("lt", 1, 2, True),
    ("lt", 2, 1, False),
    ("gt", 2, 1, True),
    ("gt", 1, 2, False),
    ("in", "a", ["a"], True),
    ("in", "b", ["a"], False),
    ("nin", "b", ["a"], True),
    ("nin", "a", ["a"], False),
    ("td_lt", (NOW - timedelta(seconds=5)).isoformat(), 10, True),
    ("td_lt", (NOW - timedelta(seconds=50)).isoformat(), 10, False),
    ("td_gt", (NOW - timedelta(seconds=50)).isoformat(), 10, True),
    ("td_gt", (NOW - timedelta(seconds=5)).isoformat(), 10, False),
]


@pytest.mark.parametrize(("alias", "value", "pattern", "expected"), ALIAS_CASES)
def test_each_alias(alias: str, value: Any, pattern: Any, expected: bool) -> None:
    assert holds(alias, value, pattern) is expected


def test_aliases_and_canonical_names_are_stackstorms() -> None:
    assert ALIASES == {
        "eq": "equals",
        "neq": "nequals",
        "ieq": "iequals",
        "lt": "lessthan",
        "gt": "greaterthan",
        "td_lt": "timediff_lt",
        "td_gt": "timediff_gt",
        "in": "inside",
        "nin": "ninside",
    }
    assert set(OPERATORS) == {
        "equals", "nequals", "iequals", "contains", "icontains", "ncontains", "incontains",
        "startswith", "istartswith", "endswith", "iendswith", "matchwildcard", "matchregex",
        "regex", "iregex", "lessthan", "greaterthan", "timediff_lt", "timediff_gt", "exists",
        "nexists", "inside", "ninside", "search",
    }  # fmt: skip


@pytest.mark.parametrize("name", ["Equals", "EQUALS", "eQuAlS", "EQ", "Eq"])
def test_operator_names_are_case_insensitive(name: str) -> None:
    assert holds(name, "v1", "v1")
    assert not holds(name, "v1", "v2")


@pytest.mark.parametrize("name", ["MATCHREGEX", "MatchRegex", "IN", "TD_LT", "Search"])
def test_every_name_is_case_insensitive_at_registration(name: str) -> None:
    pattern: Any = {"item": {"type": "exists"}} if name == "Search" else "x"
    if name == "TD_LT":
        pattern = 10
    condition = "any" if name == "Search" else None
    check_criteria({"trigger.x": Condition(type=name, pattern=pattern, condition=condition)})


# --- time -------------------------------------------------------------------------------

TIME_CASES: list[tuple[str, Any, Any, bool]] = [
    ("timediff_lt", "2024-07-01T11:59:55+00:00", 10, True),  # 5 s ago
    ("timediff_lt", "2024-07-01T11:59:55+00:00", 5, False),  # exactly 5 s: not less
    ("timediff_lt", "2024-07-01T11:59:55+00:00", "10", True),  # a numeric string, as st2
    ("timediff_lt", "2024-07-01T11:59:55+00:00", 4.5, False),
    ("timediff_lt", "2024-07-01T11:59:55", 10, True),  # naive: UTC
    ("timediff_lt", "2024-07-01T11:59:55Z", 10, True),
    ("timediff_lt", "2024-07-01T13:59:55+02:00", 10, True),  # the same moment elsewhere
    ("timediff_lt", "2014-07-01T00:01:01.000000", 10, False),
    ("timediff_lt", "2024-07-01T12:00:30+00:00", 10, True),  # a future date: negative age
    ("timediff_gt", "2014-07-01T00:01:01.000000", 1, True),
    ("timediff_gt", "2014-07-01T00:01:01.000000", "1", True),
    ("timediff_gt", "2024-07-01T11:59:55+00:00", 10, False),
    ("timediff_gt", "2024-07-01T11:59:55+00:00", 5, False),  # exactly 5 s: not more
    ("timediff_gt", "2024-07-01", 3600, True),  # a date alone is its midnight
    ("timediff_gt", b"2014-07-01T00:01:01", 1, True),
    ("timediff_lt", datetime(2024, 7, 1, 11, 59, 59, tzinfo=UTC), 10, True),
    ("timediff_lt", "not a date", 10, False),
    ("timediff_gt", "not a date", 10, False),
    ("timediff_lt", 1719835195, 10, False),  # a number is no date
    ("timediff_lt", ABSENT, 10, False),
    ("timediff_gt", ABSENT, 10, False),
    ("timediff_gt", None, 10, False),
]


@pytest.mark.parametrize(("operator", "value", "pattern", "expected"), TIME_CASES)
def test_time_operators_compare_with_the_given_now(
    operator: str, value: Any, pattern: Any, expected: bool
) -> None:
    assert holds(operator, value, pattern) is expected


def test_the_outcome_follows_now_not_the_clock() -> None:
    criteria = {"trigger.at": Condition(type="timediff_lt", pattern=60)}
    scope = {"trigger": {"at": "2024-07-01T12:00:00+00:00"}}
    assert matches(criteria, scope, NOW + timedelta(seconds=59))
    assert not matches(criteria, scope, NOW + timedelta(seconds=61))
    naive_now = datetime(2024, 7, 1, 12, 0, 30)  # taken as UTC
    assert matches(criteria, scope, naive_now)
    other_zone = datetime(2024, 7, 1, 14, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert matches(criteria, scope, other_zone)


def test_without_now_the_time_operators_match_nothing() -> None:
    recent = {"trigger": {"at": "2024-07-01T12:00:00+00:00"}}
    assert not matches({"trigger.at": Condition(type="timediff_lt", pattern=1e9)}, recent)
    assert not matches({"trigger.at": Condition(type="timediff_gt", pattern=-1e9)}, recent)


# --- templates in patterns ----------------------------------------------------------------


TEMPLATE_CASES: list[tuple[str, Any, dict[str, Any], bool]] = [
    ("gt", "{{ trigger.limit }}", {"field": 5, "limit": 3}, True),  # renders to an int
    ("gt", "{{ trigger.limit }}", {"field": 5, "limit": 7}, False),
    ("lt", "{{ trigger.limit * 2 }}", {"field": 5, "limit": 3}, True),
    ("equals", "{{ trigger.other }}", {"field": "v1", "other": "v1"}, True),
    ("equals", "{{ trigger.other }}", {"field": "v1", "other": "v2"}, False),
    ("equals", "{{ trigger.flag }}", {"field": True, "flag": True}, True),
    ("equals", "{{ trigger.n }}", {"field": 1, "n": 1}, True),
    ("equals", "{{ trigger.n }}", {"field": "1", "n": 1}, False),  # typed, not text
    ("equals", "pre{{ trigger.n }}post", {"field": "pre1post", "n": 1}, True),  # text
    ("inside", ["{{ trigger.a }}", "{{ trigger.b }}"], {"field": "y", "a": "x", "b": "y"}, True),
    ("inside", ["{{ trigger.a }}", "fixed"], {"field": "y", "a": "x"}, False),
    ("equals", {"k": "{{ trigger.a }}"}, {"field": {"k": 1}, "a": 1}, True),
    ("regex", "^{{ trigger.prefix }}-", {"field": "web-1", "prefix": "web"}, True),
    ("regex", "^{{ trigger.prefix }}-", {"field": "db-1", "prefix": "web"}, False),
    ("timediff_lt", "{{ trigger.window }}", {"field": "2024-07-01T11:59:00", "window": 90}, True),
    ("timediff_lt", "{{ trigger.window }}", {"field": "2024-07-01T11:59:00", "window": 30}, False),
    # a pattern that fails to render (an undefined field) does not match
    ("equals", "{{ trigger.nope }}", {"field": "v1"}, False),
    ("nequals", "{{ trigger.nope }}", {"field": "v1"}, False),
    # a pattern rendering to null matches nothing, but nequals compares with it
    ("equals", "{{ trigger.none }}", {"field": None, "none": None}, False),
    ("nequals", "{{ trigger.none }}", {"field": "x", "none": None}, True),
    ("nequals", "{{ trigger.none }}", {"field": None, "none": None}, False),
    # a rendered pattern the operator cannot take does not match
    ("regex", "{{ trigger.bad }}", {"field": "x", "bad": "("}, False),
    ("startswith", "{{ trigger.n }}", {"field": "1x", "n": 1}, False),
    ("timediff_lt", "{{ trigger.w }}", {"field": "2024-07-01T11:59:00", "w": "soon"}, False),
]


@pytest.mark.parametrize(("operator", "pattern", "payload", "expected"), TEMPLATE_CASES)
def test_template_patterns_render_against_the_scope_keeping_their_type(
    operator: str, pattern: Any, payload: dict[str, Any], expected: bool
) -> None:
    criteria = {"trigger.field": Condition(type=operator, pattern=pattern)}
    check_criteria(criteria)
    assert matches(criteria, {"trigger": payload}, NOW) is expected


def test_a_template_pattern_reads_every_root_of_the_scope() -> None:
    criteria = {"trigger.host": Condition(type="equals", pattern="{{ event.expected }}")}
    scope = {"trigger": {"host": "a"}, "event": {"expected": "a"}}
    assert matches(criteria, scope, NOW)
    assert not matches(criteria, {**scope, "event": {"expected": "b"}}, NOW)


# --- search ---------------------------------------------------------------------------------

FIELDS = [
    {"field_name": "Status", "to_value": "Approved"},
    {"field_name": "Signed off by", "to_value": "Stanley"},
]
CHILDREN = {
    "item.field_name": {"type": "equals", "pattern": "Status"},
    "item.to_value": {"type": "equals", "pattern": "Approved"},
}


def search(condition: str, value: Any, children: dict[str, Any] = CHILDREN) -> bool:
    criteria = {"trigger.fields": Condition(type="search", condition=condition, pattern=children)}
    check_criteria(criteria)
    return matches(criteria, {"trigger": {"fields": value}}, NOW)


SEARCH_CASES: list[tuple[str, Any, bool]] = [
    # any: some item matches every child criterion
    ("any", FIELDS, True),
    ("any", [{"field_name": "Status", "to_value": "Denied"}, FIELDS[1]], False),
    # all: every item matches every child criterion
    ("all", FIELDS, False),
    ("all", [FIELDS[0], FIELDS[0]], True),
    # any2any: some item matches some child criterion
    ("any2any", [{"field_name": "Status", "to_value": "Denied"}], True),
    ("any2any", [{"field_name": "Other", "to_value": "Denied"}, FIELDS[1]], False),
    # all2any: every item matches some child criterion
    ("all2any", [{"field_name": "Status", "to_value": "x"}, {"to_value": "Approved"}], True),
    ("all2any", [{"field_name": "Status", "to_value": "x"}, FIELDS[1]], False),
    # one object is searched as a list of one
    ("all", FIELDS[0], True),
    ("any", FIELDS[1], False),
    # an empty list: no item for any, vacuously every item for all (as StackStorm)
    ("any", [], False),
    ("any2any", [], False),
    ("all", [], True),
    ("all2any", [], True),
    # no list to search: no match
    ("any", None, False),
    ("all", "Status", False),
    ("all", 5, False),
]


@pytest.mark.parametrize(("condition", "value", "expected"), SEARCH_CASES)
def test_search_conditions(condition: str, value: Any, expected: bool) -> None:
    assert search(condition, value) is expected


def test_search_on_a_missing_field_does_not_match() -> None:
    criteria = {
        "trigger.nope": Condition(type="search", condition="all", pattern=CHILDREN),
    }
    assert not matches(criteria, {"trigger": {}}, NOW)


def test_search_children_may_test_one_field_twice_with_suffixes() -> None:
    levels = {
        "item.level#1": {"type": "greaterthan", "pattern": 40},
        "item.level#2": {"type": "lessthan", "pattern": 50},
    }
    assert search("all", [{"level": 45}, {"level": 41}], levels)
    assert not search("all", [{"level": 45}, {"level": 30}], levels)
    assert search("any", [{"level": 45}, {"level": 30}], levels)
    assert not search("any", [{"level": 55}, {"level": 30}], levels)


def test_search_children_read_items_that_are_scalars_and_nested_lists() -> None:
    assert search("any", [1, 5, 9], {"item": {"type": "gt", "pattern": 8}})
    assert not search("all", [1, 5, 9], {"item": {"type": "gt", "pattern": 8}})
    assert search("any", [{"tags": ["a", "b"]}], {"item.tags[-1]": {"type": "eq", "pattern": "b"}})


def test_search_child_patterns_render_with_the_item_and_the_outer_scope() -> None:
    children = {"item.host": {"type": "equals", "pattern": "{{ trigger.wanted }}"}}
    criteria = {"trigger.hosts": Condition(type="search", condition="any", pattern=children)}
    check_criteria(criteria)
    scope = {"trigger": {"wanted": "b", "hosts": [{"host": "a"}, {"host": "b"}]}}
    assert matches(criteria, scope, NOW)
    scope["trigger"]["wanted"] = "c"
    assert not matches(criteria, scope, NOW)
    by_item = {"item.max": {"type": "gt", "pattern": "{{ item.min }}"}}
    assert search("all", [{"min": 1, "max": 2}, {"min": 3, "max": 4}], by_item)
    assert not search("all", [{"min": 1, "max": 2}, {"min": 5, "max": 4}], by_item)


def test_a_search_may_nest_a_search() -> None:
    inner = {"item.ok": {"type": "equals", "pattern": True}}
    outer = {"item.checks": {"type": "search", "condition": "all", "pattern": inner}}
    hosts = [{"checks": [{"ok": True}, {"ok": True}]}, {"checks": [{"ok": False}]}]
    assert search("any", hosts, outer)
    assert not search("all", hosts, outer)


@pytest.mark.parametrize("condition", ["ANY", "All", "Any2Any", "ALL2ANY"])
def test_search_conditions_are_case_insensitive(condition: str) -> None:
    assert search(condition, [FIELDS[0]])
