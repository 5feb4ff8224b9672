"""A `CriteriaSet` answers for many rules what `matches` answers for each alone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from attune.domain.criteria import Condition, CriteriaSet, matches

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def criteria(**written: dict[str, Any]) -> dict[str, Condition]:
    return {key.replace("__", "."): Condition(**spec) for key, spec in written.items()}


RULES = [
    criteria(trigger__s={"type": "equals", "pattern": "a"}),
    criteria(trigger__s={"type": "EQ", "pattern": "a"}),  # the same criterion, by alias
    {"trigger.s#again": Condition(type="eq", pattern="a")},  # and by suffix
    criteria(trigger__n={"type": "equals", "pattern": 1}),
    criteria(trigger__n={"type": "equals", "pattern": 1.0}),  # (equal, shared or not)
    criteria(trigger__n={"type": "equals", "pattern": "1"}),  # not the same pattern
    criteria(trigger__s={"type": "equals", "pattern": "{{ trigger.t }}"}),
    criteria(
        trigger__s={"type": "regex", "pattern": "^[ab]$"}, trigger__n={"type": "gt", "pattern": 0}
    ),
    criteria(trigger__at={"type": "td_lt", "pattern": 60}),
    {"trigger.s": Condition.model_construct(type="nosuch", pattern="a")},  # never checked
    {},
]


@pytest.mark.parametrize(
    "payload",
    [
        {"s": "a", "n": 1, "t": "a", "at": "2026-12-02T11:59:30Z"},
        {"s": "b", "n": "1", "t": "a", "at": "2026-12-02T11:58:00Z"},
        {"s": b"a", "n": True},
        {"n": 1.0, "t": "b", "s": "b"},
        {},
    ],
)
def test_the_rules_holding_are_those_whose_criteria_match_alone(payload: dict[str, Any]) -> None:
    scope = {"trigger": payload}
    alone = [n for n, rule in enumerate(RULES) if matches(rule, scope, NOW)]
    together = CriteriaSet(RULES)
    assert together.holding(range(len(RULES)), scope, NOW) == alone
    assert together.holding([8, 0, 10], scope, NOW) == [r for r in (8, 0, 10) if r in alone]
