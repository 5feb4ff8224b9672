"""The rule tester: how one rule fares against one trigger event, in detail, writing nothing.

`examine` answers what the rule engine decides for a trigger event, and why: whether the
rule listens to the event's trigger type and trigger parameters, each criterion with the
value found, the pattern as rendered and the outcome (`attune.domain.criteria.explain`),
the `when` condition with its value (or the error that made it fail), and the action
parameters the enforcement would carry. It reuses the rule engine's own functions
(`event_scope`, `with_rule`, `listens_to`, `render_parameters`), so it decides as the engine does:
criteria against the event's scope at the event's time, `when` and parameters against
that scope completed with the rule.

Parameters are shown as people may see them: the action's secret parameters and every
keystore reference (``{{ keystore.NAME }}``, resolved only by the worker) are ``********``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from attune.domain.criteria import CriterionOutcome, explain
from attune.domain.definitions import ActionDefinition, RuleDefinition
from attune.domain.events import Cause
from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.secrets import MASK, is_sealed
from attune.domain.templates import is_deferred
from attune.domain.trigger_event import TriggerEvent
from attune.streams.rule_engine import (
    evaluate_when,
    event_scope,
    listens_to,
    parameter_problem,
    render_parameters,
    with_rule,
)

ACTOR = "rule_tester"


def trigger_event(
    event_id: UUID,
    trigger: str,
    trigger_params: dict[str, Any],
    payload: dict[str, Any],
    occurred_at: datetime,
) -> TriggerEvent.Fired:
    """A trigger event as the rule engine receives it, built in memory (never stored)."""
    aggregate = TriggerEvent.fire(
        event_id, trigger, trigger_params, payload, Cause(ACTOR, occurred_at)
    )
    (fired,) = aggregate.collect_events()
    assert isinstance(fired, TriggerEvent.Fired)
    return fired


@dataclass(frozen=True)
class TriggerMatch:
    """Whether the rule listens to the event: its trigger type and its trigger parameters."""

    expected: str
    got: str
    params_expected: dict[str, Any]
    params_got: dict[str, Any]
    params_matched: bool  # the rule names no trigger parameters, or exactly the event's

    @property
    def matched(self) -> bool:
        return self.expected == self.got and self.params_matched

    def as_json(self) -> dict[str, Any]:
        return {
            "expected": self.expected,
            "got": self.got,
            "params_expected": self.params_expected,
            "params_got": self.params_got,
            "matched": self.matched,
        }


@dataclass(frozen=True)
class WhenOutcome:
    """The rule's `when` condition: its value (truthiness decides) or why it failed."""

    expression: str
    value: Any
    error: str | None

    @property
    def matched(self) -> bool:
        return self.error is None and bool(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "value": json_safe(self.value),
            "matched": self.matched,
            "error": self.error,
        }


@dataclass(frozen=True)
class RuleTest:
    """How a rule fares against a trigger event."""

    rule: RuleDefinition
    event: TriggerEvent.Fired
    trigger: TriggerMatch
    criteria: list[CriterionOutcome]
    when: WhenOutcome | None
    parameters: dict[str, Any] | None  # masked; None when they did not render or fit
    parameters_error: str | None
    notes: list[str] = field(default_factory=list)

    @property
    def matched(self) -> bool:
        """The rule's conditions hold: trigger type and parameters, criteria and `when`."""
        return (
            self.trigger.matched
            and all(outcome.matched for outcome in self.criteria)
            and (self.when is None or self.when.matched)
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule.ref,
            "enabled": self.rule.enabled,
            "type": self.rule.type,
            "action": self.rule.action,
            "event": {
                "id": str(self.event.originator_id),
                "trigger": self.event.trigger,
                "trigger_params": self.event.trigger_params,
                "occurred_at": self.event.timestamp.isoformat(),
            },
            "trigger": self.trigger.as_json(),
            "criteria": [json_safe(outcome.as_json()) for outcome in self.criteria],
            "when": None if self.when is None else self.when.as_json(),
            "matched": self.matched,
            "parameters": self.parameters,
            "parameters_error": self.parameters_error,
            "notes": self.notes,
        }


def examine(
    rule: RuleDefinition,
    fired: TriggerEvent.Fired,
    action: ActionDefinition | None,
    limits: Limits = DEFAULT_LIMITS,
    config: dict[str, Any] | None = None,
) -> RuleTest:
    """How `rule` fares against `fired` (`action`: the rule's action, None if unknown;
    `config`: its pack's configuration, secret values sealed)."""
    base = event_scope(fired)
    scope = with_rule(base, rule, config or {})
    trigger = TriggerMatch(
        rule.trigger,
        fired.trigger,
        rule.trigger_params,
        fired.trigger_params,
        listens_to(rule, fired.trigger_params),
    )
    criteria = explain(rule.criteria, base, fired.timestamp, limits)
    when = None if rule.when is None else when_outcome(rule.when, scope, limits)
    parameters, problem = rendered_parameters(rule, scope, action, limits)
    notes = []
    if not rule.enabled:
        notes.append("the rule is disabled: the rule engine does not evaluate it")
    if rule.type == "backstop":
        notes.append("a backstop rule fires only for an event that no standard rule matched")
    return RuleTest(rule, fired, trigger, criteria, when, parameters, problem, notes)


def when_outcome(when: str, scope: Mapping[str, Any], limits: Limits) -> WhenOutcome:
    """The `when` condition's value for this scope, as the rule engine evaluates it."""
    value, problem = evaluate_when(when, scope, limits)
    return WhenOutcome(when, value, problem)


def rendered_parameters(
    rule: RuleDefinition,
    scope: dict[str, Any],
    action: ActionDefinition | None,
    limits: Limits,
) -> tuple[dict[str, Any] | None, str | None]:
    """The action parameters the enforcement would carry, masked, or why it would fail."""
    rendered, failure = render_parameters(rule, scope, limits)
    if rendered is None:
        return None, failure
    return masked_parameters(rendered, action), parameter_problem(rule.action, action, rendered)


def masked_parameters(
    parameters: dict[str, Any], action: ActionDefinition | None
) -> dict[str, Any]:
    """`parameters` as people may see them: `action`'s secret ones and every keystore
    reference as ``********``."""
    secret = set() if action is None else {n for n, s in action.parameters.items() if s.secret}
    return {
        name: MASK if name in secret else _mask_references(value)
        for name, value in parameters.items()
    }


def _mask_references(value: Any) -> Any:
    """`value` with every keystore reference (and sealed value) shown as ``********``."""
    if is_deferred(value) or is_sealed(value):
        return MASK
    if isinstance(value, dict):
        return {key: _mask_references(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask_references(item) for item in value]
    return json_safe(value)


def json_safe(value: Any) -> Any:
    """`value` as JSON can carry it: bytes decoded, non-finite numbers and other objects as
    text (a value found or computed is shown, never refused)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_safe(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)
