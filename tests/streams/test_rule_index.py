"""The rule index narrows the rules an event is evaluated against, and changes nothing else:
the engine creates the same enforcements as one that evaluates every rule."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from attune.domain.configuration import Rule
from attune.domain.criteria import MISSING, matches
from attune.domain.definitions import RuleDefinition
from attune.domain.events import AttuneEvent
from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.streams.catalog import RuleIndex
from attune.streams.rule_engine import RuleEngine, event_scope
from tests.streams.events import CAUSE, action_registered, at, fired, pending_events

ALERT = "monitoring.alert"
N, S = "trigger.n", "trigger.s"


def eq(path: str, pattern: Any, operator: str = "equals") -> dict[str, Any]:
    return {path: {"type": operator, "pattern": pattern}}


# Rule specs by name: equalities the index files (1, 1.0 and True alike), and criteria it
# cannot file (templates, lists, other operators, none), disabled, backstop, other triggers.
SPECS: dict[str, dict[str, Any]] = {
    "int_1": {"criteria": eq(N, 1)},
    "float_1": {"criteria": eq(N, 1.0)},
    "true": {"criteria": eq(N, True)},
    "false": {"criteria": eq(N, False)},
    "zero": {"criteria": eq(N, 0)},
    "half": {"criteria": eq(N, 0.5)},
    "text_1": {"criteria": eq(N, "1")},
    "a": {"criteria": eq(S, "a")},
    "b_alias": {"criteria": eq(S, "b", "EQ")},
    "a_via_event": {"criteria": eq("event.payload.s", "a")},
    "a_twice": {"criteria": eq(S, "a") | eq(f"{S}#again", "a")},
    "a_and_n_2": {"criteria": eq(S, "a") | eq(N, 2)},
    "n_2_and_a": {"criteria": eq(N, 2) | eq(S, "a")},
    "suffixed_b": {"criteria": eq(f"{S}#x", "b")},
    "never_sent": {"criteria": eq("trigger.absent", "a")},
    "dotted": {"criteria": eq('trigger."a.b"', "x")},
    "first_tag": {"criteria": eq("trigger.tags[0]", "prod")},
    "templated": {"criteria": eq(S, "{{ trigger.t }}")},
    "list_pattern": {"criteria": eq("trigger.l", [1, 2])},
    "case_insensitive": {"criteria": eq(S, "A", "iequals")},
    "not_a": {"criteria": eq(S, "a", "nequals")},
    "regex": {"criteria": eq(S, "^[ab]$", "regex")},
    "n_over_0": {"criteria": eq(N, 0, "gt")},
    "anything": {},
    "off": {"criteria": eq(S, "a"), "enabled": False},
    "backstop_a": {"type": "backstop", "criteria": eq(S, "a")},
    "backstop_any": {"type": "backstop"},
    "with_params": {"criteria": eq(S, "a"), "trigger_params": {"k": 1}},
    "when_n_1": {"criteria": eq(S, "b"), "when": "trigger.n == 1"},
    "elsewhere": {"criteria": eq(S, "a"), "trigger": "core.webhook"},
    "rendered": {"criteria": eq(S, "b"), "action_params": {"message": "{{ trigger.t }}"}},
}

# What a payload's fields may hold: what equals 1, what equals none of the patterns, null,
# a list, an object, bytes, floats that are no key.
VALUES: list[Any] = [
    MISSING,
    None,
    1,
    1.0,
    True,
    False,
    0,
    2,
    0.5,
    "1",
    "a",
    "b",
    "A",
    "x",
    "prod",
    b"a",
    float("nan"),
    float("inf"),
    [1, 2],
    ["prod"],
    {"k": 1},
]
FIELDS = ("n", "s", "t", "l", "tags", "a.b")


def definition(ref: str, spec: str) -> RuleDefinition:
    fields: dict[str, Any] = {"trigger": ALERT, "action": "core.echo"}
    fields["action_params"] = {"message": "hi"}
    fields |= SPECS[spec]
    pack, name = ref.split(".", 1)
    return RuleDefinition(ref=ref, pack=pack, name=name, **fields)


def new_rule(ref: str, spec: str) -> Rule:
    return cast(Rule, Rule.register(definition(ref, spec), CAUSE))


def registered(ref: str, spec: str) -> AttuneEvent:
    return pending_events(new_rule(ref, spec))[0]


def payload(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not MISSING}


class EveryRule(RuleIndex):
    """The index without its narrowing: every enabled rule on the trigger type, each
    evaluated alone (`matches`)."""

    def matching(
        self,
        trigger: str,
        scope: Mapping[str, Any],
        now: datetime | None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> list[RuleDefinition]:
        rules = self.listening_to(trigger)
        return [rule for rule in rules if matches(rule.criteria, scope, now, limits)]


class Pair:
    """An engine with the index and one without, fed the same events."""

    def __init__(self) -> None:
        self.indexed, self.every_rule = RuleEngine(), RuleEngine()
        self.every_rule.rules = EveryRule()
        self.seconds = 0
        self.handle(action_registered())

    def handle(self, event: AttuneEvent) -> list[Any]:
        commands = self.indexed.handle(event, at(0))
        assert commands == self.every_rule.handle(event, at(0))
        return commands

    def fire(self, fields: dict[str, Any], trigger: str = ALERT, **params: Any) -> list[str]:
        """The refs of the rules enforced for an event with this payload; checks the
        candidates against every rule too."""
        self.seconds += 1
        event: Any = fired(fields, trigger, self.seconds, params or None)
        check_candidates(self.indexed.rules, event)
        return [command.rule for command in self.handle(event) if hasattr(command, "rule")]


def check_candidates(index: RuleIndex, event: Any) -> None:
    """The candidates are rules listening to the trigger, in their order, and every one of
    those whose criteria match is among them."""
    scope = event_scope(event)
    every = index.listening_to(event.trigger)
    candidates = index.candidates(event.trigger, scope)
    positions = [every.index(rule) for rule in candidates]
    assert positions == sorted(set(positions))
    matching = [rule for rule in every if matches(rule.criteria, scope, event.timestamp)]
    assert [rule for rule in matching if rule not in candidates] == []


def test_every_payload_meets_the_same_rules_with_the_index_as_without() -> None:
    pair = Pair()
    for copy, (number, spec) in itertools.product(range(3), enumerate(SPECS)):
        # (three of each, interleaved in ref order: more than a dozen rules filed under "a")
        pair.handle(registered(f"test.rule_{number:02d}_{copy}_{spec}", spec))
    enforced = 0
    for n, s in itertools.product(VALUES, VALUES):
        enforced += len(pair.fire(payload(n=n, s=s, t="a")))
    for value in VALUES:
        fields = payload(n=1, s="b", t=value, l=value, tags=value, **{"a.b": value})
        enforced += len(pair.fire(fields))
        enforced += len(pair.fire(payload(s=value), k=1))
        enforced += len(pair.fire(payload(s=value), trigger="core.webhook"))
    assert enforced > 3_000  # (the comparison is not vacuous)


def test_the_index_narrows_to_the_rules_filed_under_the_events_values() -> None:
    pair = Pair()
    for spec in ("a", "b_alias", "int_1", "true", "text_1", "regex", "off"):
        pair.handle(registered(f"test.{spec}", spec))
    index = pair.indexed.rules

    def candidates(**fields: Any) -> list[str]:
        event: Any = fired(fields)
        return [rule.name for rule in index.candidates(ALERT, event_scope(event))]

    assert candidates(s="a", n=1.0) == ["a", "int_1", "regex", "true"]  # in ref order
    assert candidates(s="b", n="1") == ["b_alias", "regex", "text_1"]
    assert candidates(s=["a"], n=None) == ["regex"]
    assert candidates() == ["regex"]
    assert candidates(s=b"a") == ["a", "regex"]


def test_updated_unregistered_and_restored_rules_move_in_the_index() -> None:
    pair = Pair()
    rule = new_rule("test.moving", "a")
    for event in pending_events(rule):
        pair.handle(event)
    assert pair.fire({"s": "a"}) == ["test.moving"]  # (the index is built here)

    def change(spec: str | None) -> None:
        if spec is None:
            rule.unregister("its file is gone", CAUSE)
        else:
            rule.redefine(definition("test.moving", spec), CAUSE)
        for event in pending_events(rule):
            pair.handle(event)

    change("b_alias")
    assert pair.fire({"s": "a"}) == []
    assert pair.fire({"s": "b"}) == ["test.moving"]
    change("off")
    assert pair.fire({"s": "a"}) == pair.fire({"s": "b"}) == []
    change("elsewhere")
    assert pair.fire({"s": "a"}) == []
    assert pair.fire({"s": "a"}, trigger="core.webhook") == ["test.moving"]
    change(None)
    assert pair.fire({"s": "a"}, trigger="core.webhook") == []
    change("int_1")  # restored, with another definition
    assert pair.fire({"n": True}) == ["test.moving"]


def test_backstops_fire_only_when_no_standard_rule_did_among_all_rules() -> None:
    pair = Pair()
    for spec in ("a", "backstop_a", "backstop_any", "b_alias"):
        pair.handle(registered(f"test.{spec}", spec))
    assert pair.fire({"s": "a"}) == ["test.a"]
    assert pair.fire({"s": "b"}) == ["test.b_alias"]
    assert pair.fire({"s": "c"}) == ["test.backstop_any"]


REFS = [f"test.rule_{number}" for number in range(6)]
values = st.sampled_from(VALUES)
payloads = st.fixed_dictionaries({}, optional=dict.fromkeys(FIELDS, values))
steps = st.one_of(
    st.tuples(st.just("fire"), payloads, st.sampled_from([ALERT, "core.webhook"])),
    st.tuples(st.just("define"), st.sampled_from(REFS), st.sampled_from(sorted(SPECS))),
    st.tuples(st.just("unregister"), st.sampled_from(REFS), st.just(None)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(steps, max_size=40))
def test_any_history_of_rules_and_events_gives_what_evaluating_every_rule_gives(
    history: list[tuple[str, Any, Any]],
) -> None:
    pair = Pair()
    rules: dict[str, Rule] = {}
    for step, subject, detail in history:
        if step == "fire":
            pair.fire(subject, detail)
            pair.fire(subject, detail, k=1)
            continue
        rule = rules.get(subject)
        if step == "define" and rule is None:
            rule = rules[subject] = new_rule(subject, detail)
        elif step == "define" and rule is not None:
            rule.redefine(definition(subject, detail), CAUSE)
        elif rule is not None:
            rule.unregister("its file is gone", CAUSE)
        for event in pending_events(rule) if rule is not None else []:
            pair.handle(event)
