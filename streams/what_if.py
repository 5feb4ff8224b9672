"""What-if: which stored trigger events a rule would have matched, executing nothing.

`would_have_matched` runs one rule (registered or not) over trigger events read back from
the read model and yields, for each event it matches, the parameters its enforcement
would have carried (masked as the rule tester masks them) or why that enforcement would
have failed. It decides with the rule engine's own functions (`match_scope`,
`enforcement_parameters`) at each event's own time, so over a window the live engine saw
it reports the events the engine matched, with the parameters it rendered.

A backstop rule fires only for an event no standard rule matched: the caller says, for a
batch of events, which ones a standard rule did enforce (`enforced_by_standard`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from attune.domain.definitions import ActionDefinition, RuleDefinition
from attune.domain.expressions import Limits
from attune.streams.rule_engine import enforcement_parameters, event_scope, match_scope
from attune.streams.rule_tester import masked_parameters, trigger_event


@dataclass(frozen=True)
class StoredEvent:
    """A trigger event as the read model holds it."""

    id: UUID
    trigger: str
    trigger_params: dict[str, Any]
    payload: dict[str, Any]
    occurred_at: datetime


@dataclass(frozen=True)
class WouldMatch:
    """An event the rule would have matched, and what its enforcement would have carried."""

    event: StoredEvent
    parameters: dict[str, Any] | None  # masked; None when the enforcement would have failed
    parameters_error: str | None

    def as_json(self) -> dict[str, Any]:
        return {
            "event": {
                "id": str(self.event.id),
                "trigger_params": self.event.trigger_params,
                "occurred_at": self.event.occurred_at.isoformat(),
            },
            "parameters": self.parameters,
            "parameters_error": self.parameters_error,
        }


def would_have_matched(
    rule: RuleDefinition,
    events: Iterable[StoredEvent],
    action: ActionDefinition | None,
    limits: Limits,
    enforced_by_standard: Callable[[Collection[UUID]], Collection[UUID]],
    config: dict[str, Any] | None = None,
) -> list[WouldMatch]:
    """The events of `events` (a batch, all of `rule`'s trigger type) that `rule` would
    have matched, in their order. `action` is the rule's action (None: unknown);
    `enforced_by_standard` answers which of the given event ids a standard rule other than
    `rule` enforced (asked once per batch, only for a backstop rule); `config` is the
    rule's pack's configuration (secret values sealed)."""
    matched = []
    for stored in events:
        fired = trigger_event(
            stored.id, stored.trigger, stored.trigger_params, stored.payload, stored.occurred_at
        )
        scope = match_scope(rule, fired, event_scope(fired), limits, config or {})
        if scope is not None:
            matched.append((stored, scope))
    if rule.type == "backstop" and matched:
        taken = set(enforced_by_standard([stored.id for stored, _ in matched]))
        matched = [(stored, scope) for stored, scope in matched if stored.id not in taken]
    found = []
    for stored, scope in matched:
        config, failure = enforcement_parameters(rule, scope, action, limits)
        shown = None if config is None else masked_parameters(config, action)
        found.append(WouldMatch(stored, shown, failure))
    return found
