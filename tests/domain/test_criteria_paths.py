"""Criteria keys: dotted, indexed (negative too) and quoted paths, the `#` suffix, missing
against null, the `event.payload` alias of `trigger`, and bad paths refused."""

from __future__ import annotations

import pickle
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from attune.domain.criteria import (
    MISSING,
    Condition,
    PathError,
    check_criteria,
    is_missing,
    matches,
    read_path,
)

NOW = datetime(2024, 7, 1, tzinfo=UTC)
PAYLOAD: dict[str, Any] = {
    "status": "ok",
    "none": None,
    "a.b": "dotted",
    "a": {"b": "nested"},
    "odd key#1": "spaced",
    'say "hi"': "quoted",
    "hosts": [{"name": "web1"}, {"name": "web2"}, {"name": "web3"}],
    "matrix": [[1, 2], [3, 4]],
    "numbers": {"0": "zero"},
    "deep": {"x": {"y": {"z": 42}}},
}
SCOPE: dict[str, Any] = {"trigger": PAYLOAD, "event": {"payload": PAYLOAD, "id": "e1"}}

READS: list[tuple[str, Any]] = [
    ("trigger", PAYLOAD),
    ("trigger.status", "ok"),
    ("trigger.none", None),
    ("trigger.a.b", "nested"),
    ('trigger."a.b"', "dotted"),
    ("trigger.'a.b'", "dotted"),
    ('trigger["a.b"]', "dotted"),
    ("trigger['a.b']", "dotted"),
    ('trigger."odd key#1"', "spaced"),
    ('trigger."say \\"hi\\""', "quoted"),
    ("trigger.hosts[0].name", "web1"),
    ("trigger.hosts[-1].name", "web3"),
    ("trigger.hosts[-3].name", "web1"),
    ("trigger.hosts.1.name", "web2"),  # a bare number indexes a list, as before
    ("trigger.matrix[1][0]", 3),
    ("trigger.matrix[-1][-1]", 4),
    ("trigger.numbers.0", "zero"),  # and reads an object's key
    ("trigger.deep.x.y.z", 42),
    ("event.payload.status", "ok"),
    ("event.payload.hosts[1].name", "web2"),
    ("event.id", "e1"),
    # the suffix is ignored for the lookup
    ("trigger.status#1", "ok"),
    ("trigger.status#anything at all", "ok"),
    ("trigger.hosts[0].name#2", "web1"),
    ('trigger."a.b"#x', "dotted"),
    ("trigger.status#", "ok"),
]


@pytest.mark.parametrize(("key", "expected"), READS)
def test_read_path(key: str, expected: Any) -> None:
    assert read_path(SCOPE, key) == expected


ABSENT: list[str] = [
    "trigger.nope",
    "trigger.status.deeper",  # a string has no fields
    "trigger.a.c",
    "trigger.hosts[3]",
    "trigger.hosts[-4]",
    "trigger.hosts.3",
    "trigger.hosts.name",
    "trigger.a[0]",  # an object has no index
    "trigger.none.x",
    "trigger.status[0]",
    "trigger.deep.x.y.z.w",
    "nope.status",
    "event.payload.nope",
    "trigger.nope#status",  # the suffix is not read
]


@pytest.mark.parametrize("key", ABSENT)
def test_a_path_that_leads_nowhere_is_missing_not_null(key: str) -> None:
    assert read_path(SCOPE, key) is MISSING
    assert is_missing(read_path(SCOPE, key))


def test_missing_is_distinct_from_null_and_survives_pickling() -> None:
    assert read_path(SCOPE, "trigger.none") is None
    assert not is_missing(None)
    assert repr(MISSING) == "<missing>"
    assert not MISSING
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING


def test_a_suffix_lets_one_field_be_tested_twice() -> None:
    criteria = {
        "trigger.count": Condition(type="gt", pattern=0),
        "trigger.count#2": Condition(type="lt", pattern=2),
    }
    check_criteria(criteria)
    assert matches(criteria, {"trigger": {"count": 1}}, NOW)
    assert not matches(criteria, {"trigger": {"count": 2}}, NOW)
    assert not matches(criteria, {"trigger": {"count": 0}}, NOW)


def test_quoted_and_indexed_keys_in_criteria() -> None:
    criteria = {
        'trigger."a.b"': Condition(type="equals", pattern="dotted"),
        "trigger.hosts[-1].name": Condition(type="equals", pattern="web3"),
        "trigger.matrix[0][1]": Condition(type="equals", pattern=2),
    }
    check_criteria(criteria)
    assert matches(criteria, SCOPE, NOW)
    assert not matches(criteria, {"trigger": {**PAYLOAD, "a.b": "other"}}, NOW)


def test_event_payload_and_trigger_read_the_same_payload() -> None:
    both = {
        "trigger.status": Condition(type="equals", pattern="ok"),
        "event.payload.status#2": Condition(type="equals", pattern="ok"),
    }
    assert matches(both, SCOPE, NOW)
    # A caller that gives only `event` has `trigger` read from event.payload.
    assert matches(both, {"event": {"payload": {"status": "ok"}}}, NOW)
    assert not matches(both, {"event": {"payload": {"status": "ko"}}}, NOW)


BAD_KEYS: list[tuple[str, str]] = [
    ("", "the key is empty"),
    ("trigger.", "a name is expected at character 9"),
    (".trigger", "a name is expected at character 1"),
    ("trigger..a", "a name is expected at character 9"),
    ("trigger.a b", "unexpected ' ' at character 10"),
    ("trigger[0", "the bracket is not closed"),
    ('trigger["a"', "the bracket is not closed"),
    ("trigger[x]", "a bracket holds an integer or a quoted name"),
    ("trigger[]", "a bracket holds an integer or a quoted name"),
    ("trigger[1.5]", "a bracket holds an integer or a quoted name"),
    ('trigger."a', 'the quote " is not closed'),
    ("trigger.'a", "the quote ' is not closed"),
    ("trigger.a]", "unexpected ']'"),
    ('trigger.a"b"', "unexpected '\"'"),
    ("trigger.#1", "a name is expected"),
    ("[0].a", "a name is expected at character 1"),
]


@pytest.mark.parametrize(("key", "problem"), BAD_KEYS)
def test_a_bad_path_is_refused(key: str, problem: str) -> None:
    with pytest.raises(PathError, match="bad path: " + _escaped(problem)):
        read_path(SCOPE, key)
    with pytest.raises(ValueError, match=f"criteria '{_escaped(key)}': bad path: "):
        check_criteria({key: Condition(type="exists")})


def _escaped(text: str) -> str:
    return re.escape(text)


def test_a_bad_path_that_was_never_checked_matches_nothing() -> None:
    assert not matches({"trigger..a": Condition(type="nexists")}, SCOPE, NOW)
