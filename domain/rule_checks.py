"""What a rule must fit before it is registered: the catalogue it refers to.

A rule names a trigger type and an action. It is refused, naming the field, when either is
unknown, when its trigger parameters do not fit the trigger type's schema, or when its
action parameters do not fit the action's: a parameter given as a template is checked only
for being known (its type shows when it renders), every other one as a manual run's would
be. The pack loader and the `RegisterRule` handler ask the same question, so a bad rule is
a pack problem with its file and line at start-up and a refusal anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from attune.domain.definitions import (
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.errors import DomainError, InvalidParameters
from attune.domain.expressions import ExpressionError, compile_template
from attune.domain.expressions.fields_read import fields_read, reads_one_field
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
            problems += _secret_config_misplaced(rule, action, pack)
    return problems


def _secret_config_misplaced(
    rule: RuleDefinition, action: ActionDefinition, pack: PackDefinition
) -> list[RuleProblem]:
    """The action parameters that would carry a secret config value anywhere but as the
    whole value of a secret parameter, read as it is (so it stays sealed until the action
    runs)."""
    secret = {name for name, spec in pack.config_schema.items() if spec.secret}
    if not secret:
        return []
    problems = []
    for name, value in rule.action_params.items():
        spec = action.parameters.get(name)
        for text, whole in _strings(value):
            read = _secret_fields_read(text, secret)
            as_it_is = whole and spec is not None and spec.secret and _one_field(text)
            if read and not as_it_is:
                field = sorted(read)[0]
                problems.append(
                    RuleProblem(
                        ("action_params", name),
                        f"reads the secret config field '{field}' of pack {pack.ref}: a secret "
                        f"value may go only into a secret parameter, as its whole value "
                        f"('{{{{ config.{field} }}}}')",
                    )
                )
                break
    return problems


def _strings(value: Any, whole: bool = True) -> Iterator[tuple[str, bool]]:
    """Every string of a JSON-like value, and whether it is a template that is the whole
    value (its rendering keeps the value's type: a sealed value stays sealed)."""
    if isinstance(value, str):
        try:
            yield value, whole and compile_template(value).is_whole()
        except ExpressionError:
            return  # (refused when the rule's templates were checked)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item, False)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, False)


def _one_field(text: str) -> bool:
    """The template is one block reading one config field as it is (it stays sealed)."""
    (block,) = compile_template(text).blocks
    return any(reads_one_field(block.text, path) for path in (("config",), ("pack", "config")))


def _secret_fields_read(text: str, secret: set[str]) -> set[str]:
    if not is_template(text):
        return set()
    read: set[str] = set()
    for block in compile_template(text).blocks:
        for path in (("config",), ("pack", "config")):
            fields = fields_read(block.text, path)
            read |= secret if fields is None else secret & fields
    return read


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
