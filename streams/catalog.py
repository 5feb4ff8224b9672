"""Processor state folded from configuration events: actions and rules by ref."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from attune.domain.configuration import Rule
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


class RuleIndex:
    """Rules by the trigger type they listen to; the latest definition of each wins."""

    def __init__(self) -> None:
        self._by_ref: dict[str, RuleDefinition] = {}
        self._by_trigger: dict[str, dict[str, RuleDefinition]] = defaultdict(dict)

    def observe(self, event: AttuneEvent) -> bool:
        """Fold a rule event in; True if the event was one."""
        if isinstance(event, Rule.Unregistered):
            previous = self._by_ref.pop(event.ref, None)
            if previous is not None:
                self._by_trigger[previous.trigger].pop(previous.ref, None)
            return True
        if not isinstance(event, (Rule.Registered, Rule.Updated, Rule.Restored)):
            return False
        rule = RuleDefinition.model_validate(event.definition, context=FROM_LOG)
        previous = self._by_ref.get(rule.ref)
        if previous is not None:
            self._by_trigger[previous.trigger].pop(rule.ref, None)
        self._by_ref[rule.ref] = rule
        self._by_trigger[rule.trigger][rule.ref] = rule
        return True

    def get(self, ref: str) -> RuleDefinition | None:
        return self._by_ref.get(ref)

    def listening_to(self, trigger: str) -> list[RuleDefinition]:
        """Enabled rules on this trigger type, in ref order (a stable order for replays)."""
        rules = self._by_trigger.get(trigger, {})
        return [rules[ref] for ref in sorted(rules) if rules[ref].enabled]

    def all(self) -> list[RuleDefinition]:
        return [self._by_ref[ref] for ref in sorted(self._by_ref)]
