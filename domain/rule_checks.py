"""What a rule must fit before it is registered: the catalogue it refers to.

A rule names a trigger type and an action. It is refused, naming the field, when either is
unknown, when its trigger parameters do not fit the trigger type's schema, or when its
action parameters do not fit the action's: a parameter given as a template is checked only
for being known (its type shows when it renders), every other one as a manual run's would
be. The pack loader and the `RegisterRule` handler ask the same question, so a bad rule is
a pack problem with its file and line at start-up and a refusal anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from attune.domain.config_secrets import misplaced_secrets
from attune.domain.definitions import (
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.errors import DomainError, InvalidParameters
from attune.domain.parameters import validate_parameters
from attune.domain.schedules import TIMER_TRIGGERS, ScheduleProblem, schedule_of
from attune.domain.templates import is_template


@dataclass(frozen=True)
class RuleProblem:
    """One reason a rule cannot be registered: the field (a path) and what is wrong."""

    field: tuple[str, ...]
    message: str

    def __str__(self) -> str:
        return f"field '{'.'.join(self.field)}': {self.message}"


class RuleRefused(DomainError):
    """A rule that does not fit the catalogue, with every reason."""

    def __init__(self, ref: str, problems: list[RuleProblem]) -> None:
        self.ref, self.problems = ref, problems
        super().__init__(f"rule {ref}: " + "; ".join(map(str, problems)))


def rule_problems(
    rule: RuleDefinition,
    trigger_type: TriggerTypeDefinition | None,
    action: ActionDefinition | None,
    pack: PackDefinition | None = None,
    now: datetime | None = None,
) -> list[RuleProblem]:
    """Why `rule` does not fit the trigger type and action it names (found or None), nor
    its `pack`'s configuration (a secret field may go only into a secret parameter). A
    timer's parameters must describe a schedule (`schedule_of`; a date after `now`, if
    given: a rule registered anew)."""
    problems: list[RuleProblem] = []
    if trigger_type is None:
        problems.append(RuleProblem(("trigger",), f"unknown trigger type '{rule.trigger}'"))
    else:
        problems += _misfits("trigger_params", trigger_type.ref, trigger_type, rule.trigger_params)
        if not problems and rule.trigger in TIMER_TRIGGERS:
            try:
                schedule_of(
                    rule.trigger, rule.trigger_params, datetime.min.replace(tzinfo=UTC), now
                )
            except ScheduleProblem as problem:
                field = ("trigger_params", problem.field)
                problems.append(RuleProblem(field, problem.message))
    if action is None:
        problems.append(RuleProblem(("action",), f"unknown action '{rule.action}'"))
    else:
        literal = {k: v for k, v in rule.action_params.items() if not is_template(v)}
        templated = {k: None for k in rule.action_params if k not in literal}
        problems += _misfits("action_params", action.ref, action, literal, templated)
        if pack is not None:
            problems += [
                RuleProblem(("action_params", name), message)
                for name, message in misplaced_secrets(rule.action_params, action.parameters, pack)
            ]
    return problems


def _misfits(
    field: str,
    owner: str,
    definition: TriggerTypeDefinition | ActionDefinition,
    given: dict[str, Any],
    rendered_later: dict[str, Any] | None = None,
) -> list[RuleProblem]:
    """The parameters that do not fit `definition`'s schema; those `rendered_later` count as
    given (a required one is there) but their values are not known yet."""
    schema = definition.parameters
    later = rendered_later or {}
    unknown = [
        RuleProblem((field, name), f"is not a parameter of {owner}")
        for name in later
        if name not in schema
    ]
    present = {name: spec for name, spec in schema.items() if name not in later}
    try:
        validate_parameters(owner, present, given)
    except InvalidParameters as refused:
        return unknown + [RuleProblem((field, p.parameter), p.message) for p in refused.problems]
    return unknown
