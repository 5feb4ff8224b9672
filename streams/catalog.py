"""Processor state folded from configuration events: actions and rules by ref.

`RuleIndex.candidates` narrows the rules an event is evaluated against: a rule whose
criteria test a path for equality with a constant (`equality_keys`) is filed under that
path and the constant's `index_key`, so an event meets only the rules filed under the value
it holds there, besides the rules filed under nothing. The criteria still decide.
"""

from __future__ import annotations

from bisect import bisect
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

from attune.domain.configuration import Rule
from attune.domain.criteria import MISSING, equality_keys, index_key, read_path
from attune.domain.definitions import FROM_LOG, ActionDefinition, RuleDefinition
from attune.domain.events import AttuneEvent, event_name

ACTION_EVENTS = frozenset({"action.registered", "action.updated"})


def _definition(event: AttuneEvent) -> dict[str, Any]:
    return event.definition  # type: ignore[attr-defined,no-any-return]


class ActionCatalog:
    """The current definition of every action, by ref."""

    def __init__(self) -> None:
        self._actions: dict[str, ActionDefinition] = {}

    def observe(self, event: AttuneEvent) -> bool:
        """Fold an action event in; True if the event was one."""
        if event_name(event) not in ACTION_EVENTS:
            return False
        definition = ActionDefinition.model_validate(_definition(event), context=FROM_LOG)
        self._actions[definition.ref] = definition
        return True

    def get(self, ref: str) -> ActionDefinition | None:
        return self._actions.get(ref)


# Beyond this many rules filed under an event's values, sort the candidates at once rather
# than insert each in its place.
_INSERTS = 16


class _Plan:
    """The enabled rules on one trigger type, in ref order, filed for `RuleIndex.candidates`.

    Each rule with equality criteria is filed under one of its paths: the one the most
    rules on the trigger type test, so that an event's scope is read at as few paths as
    possible (ties: the rule's first such criterion). A rule is filed once, so no rule is a
    candidate twice.
    """

    __slots__ = ("_paths", "_positions", "_unfiled")

    def __init__(self, rules: list[RuleDefinition]) -> None:
        keyed = [(at, rule, equality_keys(rule.criteria)) for at, rule in enumerate(rules)]
        tested = Counter(path for _, _, keys in keyed for path in keys)
        filed: dict[str, dict[Any, list[tuple[int, RuleDefinition]]]] = {}
        unfiled: list[tuple[int, RuleDefinition]] = []
        for position, rule, keys in keyed:
            path = max(keys, key=tested.__getitem__, default=None)  # the first of the most tested
            key = MISSING if path is None else index_key(keys[path])
            if path is None or key is MISSING:
                unfiled.append((position, rule))
            else:
                filed.setdefault(path, {}).setdefault(key, []).append((position, rule))
        self._positions = [position for position, _ in unfiled]
        self._unfiled = [rule for _, rule in unfiled]
        self._paths = list(filed.items())

    def candidates(self, scope: Mapping[str, Any]) -> list[RuleDefinition]:
        found: list[tuple[int, RuleDefinition]] = []
        for path, by_key in self._paths:
            key = index_key(read_path(scope, path))
            if key is not MISSING:
                found += by_key.get(key, ())
        if not found:
            return self._unfiled  # (the caller does not change it)
        if len(found) > _INSERTS:
            found += zip(self._positions, self._unfiled, strict=True)
            found.sort(key=_position)
            return [rule for _, rule in found]
        positions, rules = self._positions.copy(), self._unfiled.copy()
        for position, rule in found:
            at = bisect(positions, position)
            positions.insert(at, position)
            rules.insert(at, rule)
        return rules


def _position(filed: tuple[int, RuleDefinition]) -> int:
    return filed[0]


class RuleIndex:
    """Rules by the trigger type they listen to; the latest definition of each wins."""

    def __init__(self) -> None:
        self._by_ref: dict[str, RuleDefinition] = {}
        self._by_trigger: dict[str, dict[str, RuleDefinition]] = defaultdict(dict)
        self._plans: dict[str, _Plan] = {}  # by trigger type, built when an event needs one

    def observe(self, event: AttuneEvent) -> bool:
        """Fold a rule event in; True if the event was one."""
        if isinstance(event, Rule.Unregistered):
            previous = self._by_ref.pop(event.ref, None)
            if previous is not None:
                self._by_trigger[previous.trigger].pop(previous.ref, None)
                self._plans.pop(previous.trigger, None)
            return True
        if not isinstance(event, (Rule.Registered, Rule.Updated, Rule.Restored)):
            return False
        rule = RuleDefinition.model_validate(event.definition, context=FROM_LOG)
        previous = self._by_ref.get(rule.ref)
        if previous is not None:
            self._by_trigger[previous.trigger].pop(rule.ref, None)
            self._plans.pop(previous.trigger, None)
        self._by_ref[rule.ref] = rule
        self._by_trigger[rule.trigger][rule.ref] = rule
        self._plans.pop(rule.trigger, None)
        return True

    def get(self, ref: str) -> RuleDefinition | None:
        return self._by_ref.get(ref)

    def listening_to(self, trigger: str) -> list[RuleDefinition]:
        """Enabled rules on this trigger type, in ref order (a stable order for replays)."""
        rules = self._by_trigger.get(trigger, {})
        return [rules[ref] for ref in sorted(rules) if rules[ref].enabled]

    def candidates(self, trigger: str, scope: Mapping[str, Any]) -> list[RuleDefinition]:
        """The rules of `listening_to(trigger)`, in the same order, that an event with this
        scope (`event_scope`) may match: those without equality criteria, and those filed
        (by one of their equality criteria) under the value the event holds at that path.
        Every rule left out fails that criterion; the others' criteria still decide. Do not
        change the list returned."""
        plan = self._plans.get(trigger)
        if plan is None:
            plan = self._plans[trigger] = _Plan(self.listening_to(trigger))
        return plan.candidates(scope)

    def all(self) -> list[RuleDefinition]:
        return [self._by_ref[ref] for ref in sorted(self._by_ref)]
