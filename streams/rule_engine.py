"""The rule engine: trigger events in, enforcements and execution requests out.

On `trigger_event.fired` it creates an enforcement for every enabled rule on that trigger
type whose trigger parameters, criteria and `when` condition match (backstop rules only
when no standard rule did; `RuleIndex.matching` evaluates the criteria of only the rules
an equality criterion does not rule out, and each criterion they share once), with the
rule's action parameters
rendered against the event (`event_scope` and `with_rule`: what its expressions read) and
checked against the action's schema (parameters that do not render or validate fail the
enforcement, with the reason). Rendering depends on the event alone, its time included, so
a replay of the log renders the same values. On `enforcement.created`
it requests the execution, or disables the enforcement if the rule was disabled meanwhile.
Every id it asks for derives from the event it handles.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from attune.commands import models as m
from attune.domain.criteria import matches
from attune.domain.definitions import ActionDefinition, RuleDefinition
from attune.domain.enforcement import Enforcement
from attune.domain.errors import DomainError
from attune.domain.events import AttuneEvent, Cause
from attune.domain.execution import Execution
from attune.domain.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    Limits,
    compile_expression,
)
from attune.domain.parameters import validate_parameters
from attune.domain.secrets import is_sealed
from attune.domain.templates import render
from attune.domain.trigger_event import TriggerEvent
from attune.streams.catalog import ActionCatalog, PackConfigs, RuleIndex
from attune.streams.dispatch import EventDispatch

ACTOR = "rule_engine"
log = logging.getLogger(__name__)


class RuleEngine:
    name = "rule_engine"

    def __init__(self, limits: Limits = DEFAULT_LIMITS) -> None:
        self.limits = limits  # the bounds of every expression it renders
        self.rules = RuleIndex()
        self.actions = ActionCatalog()
        self.configs = PackConfigs()
        self._dispatch = (
            EventDispatch[list[m.Command]](list)
            .on(TriggerEvent.Fired, self._enforce_rules)
            .on(Enforcement.Created, self._request_execution)
        )

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        if self.rules.observe(event) or self.actions.observe(event) or self.configs.observe(event):
            return []
        return self._dispatch(event, now)

    def _enforce_rules(self, fired: TriggerEvent.Fired, now: datetime) -> list[m.Command]:
        base = event_scope(fired)
        timestamp, limits = fired.timestamp, self.limits
        matched = [
            (rule, scope)
            for rule in self.rules.matching(fired.trigger, base, timestamp, limits)
            if (scope := conditions_scope(rule, fired, base, limits, self.configs.of(rule.pack)))
            is not None
        ]
        if not matched:
            return []  # (most events, with many rules: not even a cause to derive)
        cause = Cause.following(fired, ACTOR, now)
        # Backstop rules fire only for an event no standard rule matched.
        standard = [(rule, scope) for rule, scope in matched if rule.type == "standard"]
        commands: list[m.Command] = []
        for rule, scope in standard or matched:
            enforcement_id = Enforcement.id_for(rule.ref, fired.originator_id, fired.timestamp)
            config, failure = enforcement_parameters(
                rule, scope, self.actions.get(rule.action), self.limits
            )
            commands.append(
                m.CreateEnforcement.because(
                    cause,
                    enforcement_id=enforcement_id,
                    rule=rule.ref,
                    trigger_event_id=fired.originator_id,
                    trigger=fired.trigger,
                    action=rule.action,
                    config=config,
                )
            )
            if failure:
                commands.append(
                    m.FailEnforcement.because(cause, enforcement_id=enforcement_id, reason=failure)
                )
        return commands

    def _request_execution(self, created: Enforcement.Created, now: datetime) -> list[m.Command]:
        cause = Cause.following(created, ACTOR, now)
        enforcement_id = created.originator_id
        if created.config is None:
            return []  # its parameters were bad: it was failed as it was created
        rule = self.rules.get(created.rule)
        if rule is None or not rule.enabled:
            return [m.DisableEnforcement.because(cause, enforcement_id=enforcement_id)]
        execution_id = Execution.id_for_enforcement(enforcement_id, created.timestamp)
        return [
            m.RequestExecution.because(
                cause,
                execution_id=execution_id,
                action=created.action,
                parameters=created.config,
                enforcement_id=enforcement_id,
                rule=created.rule,
                trigger_event_id=created.trigger_event_id,
            ),
            m.MarkEnforcementProcessed.because(
                cause, enforcement_id=enforcement_id, execution_id=execution_id
            ),
        ]


def match_scope(
    rule: RuleDefinition,
    fired: TriggerEvent.Fired,
    base: dict[str, Any],
    limits: Limits,
    config: dict[str, Any],
) -> dict[str, Any] | None:
    """The scope the rule's parameters render in if `rule` matches `fired` (whose
    `event_scope` is `base`; `config`: its pack's configuration): its trigger parameters,
    criteria (at the event's time) and `when` hold. None if it does not match.
    """
    if not matches(rule.criteria, base, fired.timestamp, limits):
        return None
    return conditions_scope(rule, fired, base, limits, config)


def conditions_scope(
    rule: RuleDefinition,
    fired: TriggerEvent.Fired,
    base: dict[str, Any],
    limits: Limits,
    config: dict[str, Any],
) -> dict[str, Any] | None:
    """`match_scope` for a rule whose criteria are known to hold: its trigger parameters
    and `when` decide.

    A `when` that cannot be evaluated for this event (a field it lacks, a type it did not
    expect) does not match, as a StackStorm criterion that fails does; it is logged.
    """
    if not listens_to(rule, fired.trigger_params):
        return None
    scope = with_rule(base, rule, config)
    if rule.when is None:
        return scope
    value, problem = evaluate_when(rule.when, scope, limits)
    if problem is not None:
        log.warning("rule %s: when: %s: no match", rule.ref, problem)
    return scope if value else None  # Python's truthiness


def enforcement_parameters(
    rule: RuleDefinition, scope: dict[str, Any], action: ActionDefinition | None, limits: Limits
) -> tuple[dict[str, Any] | None, str | None]:
    """The parameters an enforcement of `rule` carries, or None and why it fails: one that
    does not render, or parameters that do not fit `action` (None: unknown)."""
    config, unrendered = render_parameters(rule, scope, limits)
    if config is None:
        return None, unrendered
    failure = parameter_problem(rule.action, action, config)
    # A failed enforcement records no parameters: they may hold secrets the action would seal.
    return (None, failure) if failure else (config, None)


def evaluate_when(when: str, scope: Mapping[str, Any], limits: Limits) -> tuple[Any, str | None]:
    """A `when` condition's value for this scope, or None and why it cannot be evaluated."""
    try:
        return compile_expression(when, limits).evaluate(scope, None, limits), None
    except ExpressionError as problem:
        return None, str(problem)


def parameter_problem(
    action_ref: str, action: ActionDefinition | None, parameters: dict[str, Any]
) -> str | None:
    """Why rendered parameters cannot run `action` (unknown, disabled, not fitting), or None."""
    if action is None:
        return f"unknown action '{action_ref}'"
    if not action.enabled:
        return f"action '{action_ref}' is disabled"
    # A sealed value (a pack's secret configuration) is checked when the execution is
    # requested, opened; here only its place: a secret parameter.
    sealed_ones = {name for name, value in parameters.items() if is_sealed(value)}
    for name in sorted(sealed_ones):
        spec = action.parameters.get(name)
        if spec is None or not spec.secret:
            return f"action_params.{name}: a secret value may go only into a secret parameter"
    schema = {n: spec for n, spec in action.parameters.items() if n not in sealed_ones}
    plain = {n: value for n, value in parameters.items() if n not in sealed_ones}
    try:
        validate_parameters(action_ref, schema, plain)
    except DomainError as problem:
        return str(problem)
    return None


def listens_to(rule: RuleDefinition, trigger_params: dict[str, Any]) -> bool:
    """A rule that names trigger parameters listens only to the trigger with those params."""
    return not rule.trigger_params or rule.trigger_params == trigger_params


def event_scope(fired: TriggerEvent.Fired) -> dict[str, Any]:
    """What every rule's expressions may read of `fired` (docs/expressions.md#in-rules)."""
    event = {
        "id": str(fired.originator_id),
        "trigger": fired.trigger,
        "occurred_at": fired.timestamp.isoformat(),
        "payload": fired.payload,
    }
    return {"trigger": fired.payload, "event": event, "system": {"timestamp": event["occurred_at"]}}


def with_rule(
    scope: dict[str, Any], rule: RuleDefinition, config: dict[str, Any]
) -> dict[str, Any]:
    """An event's scope completed with what a rule's expressions read of the rule itself
    and of its pack's configuration (`config`: secret values sealed, so a secret reaches
    the action only through a secret parameter)."""
    return {
        **scope,
        "rule": {"ref": rule.ref, "pack": rule.pack, "name": rule.name},
        "config": config,
        "pack": {"ref": rule.pack, "config": config},
    }


def render_parameters(
    rule: RuleDefinition, scope: dict[str, Any], limits: Limits
) -> tuple[dict[str, Any] | None, str]:
    """The rule's action parameters rendered, or None and the first parameter that failed."""
    rendered: dict[str, Any] = {}
    for name, value in rule.action_params.items():
        try:
            rendered[name] = render(value, scope, limits)
        except DomainError as problem:
            return None, f"rule {rule.ref}: action_params.{name}: {problem}"
    return rendered, ""
