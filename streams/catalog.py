"""Processor state folded from configuration events: actions and rules by ref, packs'
configurations.

`RuleIndex.matching` gives the rules whose criteria hold for an event, evaluating only its
`candidates`: a rule whose criteria test a path for equality with a constant
(`equality_keys`) is filed under that path and the constant's `index_key`, so an event
meets only the rules filed under the value it holds there, besides the rules filed under
nothing. The candidates' criteria, compiled together, then decide.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attune.domain.configuration import Pack, Rule
from attune.domain.criteria import MISSING, CriteriaSet, equality_keys, index_key, read_path
from attune.domain.definitions import FROM_LOG, ActionDefinition, RuleDefinition
from attune.domain.events import AttuneEvent, event_name
from attune.domain.expressions import DEFAULT_LIMITS, Limits

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


class PackConfigs:
    """Every pack's configuration values (secret ones sealed), by pack ref."""

    def __init__(self) -> None:
        self._values: dict[str, dict[str, Any]] = {}

    def observe(self, event: AttuneEvent) -> bool:
        """Fold a pack's configuration in; True if the event was one."""
        if not isinstance(event, Pack.Configured):
            return False
        self._values[event.pack] = dict(event.values)
        return True

    def of(self, pack: str) -> dict[str, Any]:
        """The pack's values; none if it was never configured."""
        return self._values.get(pack, {})


class _Plan:
    """The enabled rules on one trigger type, in ref order, filed for `RuleIndex.matching`.

    Each rule with equality criteria is filed under one of its paths: the one the most
    rules on the trigger type test, so that an event's scope is read at as few paths as
    possible (ties: the rule's first such criterion). A rule is filed once, so no rule is a
    candidate twice. Their criteria are compiled together (`CriteriaSet`), so a criterion
    several candidates share is evaluated once per event.
    """

    __slots__ = ("_criteria", "_paths", "_rules", "_unfiled")

    def __init__(self, rules: list[RuleDefinition]) -> None:
        keyed = [(at, equality_keys(rule.criteria)) for at, rule in enumerate(rules)]
        tested = Counter(path for _, keys in keyed for path in keys)
        filed: dict[str, dict[Any, list[int]]] = {}
        unfiled: list[int] = []
        for position, keys in keyed:
            path = max(keys, key=tested.__getitem__, default=None)  # the first of the most tested
            key = MISSING if path is None else index_key(keys[path])
            if path is None or key is MISSING:
                unfiled.append(position)
            else:
                filed.setdefault(path, {}).setdefault(key, []).append(position)
        self._rules = rules
        self._unfiled = unfiled
        self._paths = list(filed.items())
        self._criteria = CriteriaSet([rule.criteria for rule in rules])

    def candidates(self, scope: Mapping[str, Any]) -> list[int]:
        """The positions, in order, of the rules an event with this scope may match."""
        found: list[int] = []
        for path, by_key in self._paths:
            key = index_key(read_path(scope, path))
            if key is not MISSING:
                found += by_key.get(key, ())
        if not found:
            return self._unfiled  # (the caller does not change it)
        return sorted(self._unfiled + found)  # (two sorted runs: a merge)

    def matching(
        self, scope: Mapping[str, Any], now: datetime | None, limits: Limits
    ) -> list[RuleDefinition]:
        rules = self._rules
        held = self._criteria.holding(self.candidates(scope), scope, now, limits)
        return [rules[position] for position in held]

    def rules_at(self, positions: list[int]) -> list[RuleDefinition]:
        return [self._rules[position] for position in positions]


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
        Every rule left out fails that criterion; the others' criteria still decide."""
        plan = self._plan(trigger)
        return plan.rules_at(plan.candidates(scope))

    def matching(
        self,
        trigger: str,
        scope: Mapping[str, Any],
        now: datetime | None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> list[RuleDefinition]:
        """The rules of `listening_to(trigger)`, in the same order, whose criteria hold for
        an event with this scope at time `now` (what `matches` answers for each), found
        among the `candidates` only."""
        return self._plan(trigger).matching(scope, now, limits)

    def _plan(self, trigger: str) -> _Plan:
        plan = self._plans.get(trigger)
        if plan is None:
            plan = self._plans[trigger] = _Plan(self.listening_to(trigger))
        return plan

    def all(self) -> list[RuleDefinition]:
        return [self._by_ref[ref] for ref in sorted(self._by_ref)]
