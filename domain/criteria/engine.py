"""Criteria compiled and evaluated: `check_criteria` at registration, `matches` and
`explain` when an event arrives, `equality_keys` for the rule engine's index.

A criterion is compiled once: its key parsed, its operator resolved, a constant pattern
prepared (a regular expression compiled). The compiled form is kept beside its `Condition`,
so evaluating a rule's criteria again costs the lookups and the tests only.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr, ValidationError

from attune.domain.criteria.operators import (
    Evaluation,
    OperatorSpec,
    Unsuited,
    canonical_name,
    kind,
    known_operators,
    operator_named,
)
from attune.domain.criteria.paths import MISSING, PathError, Step, is_missing, parse_key, read
from attune.domain.errors import TemplateError
from attune.domain.expressions import DEFAULT_LIMITS, ExpressionError, Limits, render_value
from attune.domain.templates import KEYSTORE, check_templates, reads_keystore

SEARCH_CONDITIONS = ("any", "all", "any2any", "all2any")
ITEM = "item"  # the root a search's child criteria read: the list item

# What an operator, a pattern's rendering or preparing may raise: the criterion does not match.
_FAILURES = (
    Unsuited,
    ExpressionError,
    TypeError,
    ValueError,
    AttributeError,
    OverflowError,
    RecursionError,
)


class _Slot:
    """Where a `Condition` keeps its compiled form. Every slot equals every other, so a
    condition that has been evaluated still equals one that has not."""

    __slots__ = ("compiled",)

    def __init__(self) -> None:
        self.compiled: Criterion | _Broken | None = None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Slot)

    def __hash__(self) -> int:
        return 0

    def __copy__(self) -> _Slot:
        return _Slot()

    def __deepcopy__(self, memo: dict[int, Any]) -> _Slot:
        return _Slot()

    def __reduce__(self) -> tuple[type[_Slot], tuple[()]]:
        return _Slot, ()


class Condition(BaseModel):
    """One criterion's test: ``{type: equals, pattern: failed}``; a search adds its
    `condition` (any, all, any2any, all2any) and its pattern is its child criteria."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    pattern: Any = None
    condition: str | None = None

    _slot: _Slot = PrivateAttr(default_factory=_Slot)


def _slot_of(condition: Condition) -> _Slot:
    # Read from pydantic's dict directly: attribute access to a private goes through a
    # Python-level __getattr__, many times slower, on the path every event takes.
    try:
        slot: _Slot = condition.__pydantic_private__["_slot"]  # type: ignore[index]
    except (TypeError, KeyError):  # built without its private attributes: nothing cached
        return _Slot()
    return slot


@dataclass(frozen=True, slots=True, eq=False)
class Criterion:
    """A criterion ready to evaluate."""

    key: str
    steps: tuple[Step, ...]
    spec: OperatorSpec
    pattern: Any  # as written
    prepared: Any  # a constant pattern ready for the operator; a search's `_Search`
    templated: bool  # the pattern holds templates: rendered, then prepared, each time


@dataclass(frozen=True, slots=True, eq=False)
class _Broken:
    """A criterion that was never checked and does not compile: it matches nothing."""

    key: str
    operator: str
    problem: str


@dataclass(frozen=True, slots=True, eq=False)
class _Search:
    """A search's child criteria over each item, with its condition."""

    condition: str
    children: tuple[Criterion, ...]

    def holds(self, value: Any, ev: Evaluation) -> bool:
        if isinstance(value, Mapping):
            items: Any = (value,)  # one object is searched as a list of one, as StackStorm
        elif isinstance(value, list | tuple):
            items = value
        else:
            raise Unsuited(f"search looks through an array (or an object), not {kind(value)}")
        every_item = all if self.condition in ("all", "all2any") else any
        every_child = all if self.condition in ("all", "any") else any
        return every_item(
            every_child(_holds(child, inner) for child in self.children)
            for inner in (ev.within(item) for item in items)
        )


class _Refused(ValueError):
    pass


def _refuse(where: str, problem: str) -> _Refused:
    return _Refused(f"criteria {where}: {problem}")


def _has_template(value: Any) -> bool:
    if isinstance(value, str):
        return "{{" in value or "<%" in value
    if isinstance(value, Mapping):
        return any(_has_template(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_template(item) for item in value)
    return False


def _compile(
    key: str, condition: Condition, limits: Limits | None, where: str, child: bool = False
) -> Criterion:
    """The compiled criterion, or `_Refused` naming `where`. With `limits` (registration)
    everything is checked; without (a criterion read back unchecked), only what evaluating
    it needs."""
    checking = limits is not None
    try:
        path = parse_key(key)
    except PathError as problem:
        raise _refuse(where, str(problem)) from None
    if checking and path.root == KEYSTORE:
        raise _refuse(
            where,
            "a criterion cannot read the keystore (secrets never decide which events match, "
            "nor enter an event)",
        )
    if checking and child and path.root != ITEM:
        raise _refuse(
            where, f"a search's child criterion reads the list item: 'item.<field>', not '{key}'"
        )
    spec = operator_named(condition.type)
    if spec is None:
        raise _refuse(where, f"unknown operator '{condition.type}' (known: {known_operators()})")
    if spec.is_search:
        return Criterion(
            key, path.steps, spec, condition.pattern, _search(condition, limits, where), False
        )
    if checking and condition.condition is not None:
        raise _refuse(where, f"'condition' belongs to a search, not to {spec.name}")
    pattern = condition.pattern
    if limits is not None:  # checking
        if reads_keystore(pattern):
            raise _refuse(
                where,
                "the pattern reads the keystore: secrets never decide which events match, "
                "nor enter an event",
            )
        try:
            check_templates(pattern, "pattern", limits)
        except TemplateError as problem:
            raise _refuse(where, str(problem)) from None
    if not spec.takes_pattern:
        return Criterion(key, path.steps, spec, pattern, None, False)  # a pattern is ignored
    if pattern is None:
        raise _refuse(where, f"{spec.name} needs a pattern")
    if _has_template(pattern):
        return Criterion(key, path.steps, spec, pattern, None, True)
    try:
        prepared = spec.prepare(pattern, limits)
    except (Unsuited, UnicodeDecodeError) as problem:
        raise _refuse(where, f"{spec.name}: {problem}") from None
    return Criterion(key, path.steps, spec, pattern, prepared, False)


def _search(condition: Condition, limits: Limits | None, where: str) -> _Search:
    name = condition.condition
    if not isinstance(name, str):
        raise _refuse(where, "a search needs a condition: any, all, any2any or all2any")
    if name.lower() not in SEARCH_CONDITIONS:
        raise _refuse(
            where, f"unknown search condition '{name}' (known: any, all, any2any, all2any)"
        )
    children = condition.pattern
    if not isinstance(children, Mapping) or not children:
        raise _refuse(
            where,
            "a search's pattern holds its child criteria, at least one: "
            "{item.<field>: {type: ..., pattern: ...}}",
        )
    compiled = []
    for child_key, written in children.items():
        child_where = f"{where} > '{child_key}'"
        try:
            child = Condition.model_validate(written)
        except ValidationError as problem:
            raise _refuse(child_where, _validation_message(problem)) from None
        compiled.append(_compile(child_key, child, limits, child_where, child=True))
    return _Search(name.lower(), tuple(compiled))


def _validation_message(problem: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(map(str, error['loc']))}: {error['msg']}" if error["loc"] else error["msg"]
        for error in problem.errors()
    )


def _compiled(key: str, condition: Condition) -> Criterion | _Broken:
    slot = _slot_of(condition)
    found = slot.compiled
    if found is not None and found.key == key:
        return found
    compiled: Criterion | _Broken
    try:
        compiled = _compile(key, condition, None, f"'{key}'")
    except _Refused as problem:
        compiled = _Broken(key, canonical_name(condition.type) or condition.type, str(problem))
    slot.compiled = compiled
    return compiled


def _holds(criterion: Criterion | _Broken, ev: Evaluation) -> bool:
    """The criterion holds: the fast path of `matches`, no detail kept."""
    if isinstance(criterion, _Broken):
        return False
    return _holds_for(criterion, read(ev.scope, criterion.steps), ev)


def _holds_for(criterion: Criterion, value: Any, ev: Evaluation) -> bool:
    """The criterion holds for `value`, found at its path (or `MISSING`)."""
    if value is MISSING:
        value = None  # as in StackStorm, an operator sees a missing value as null
    spec = criterion.spec
    try:
        if criterion.templated:
            pattern = render_value(criterion.pattern, ev.scope, limits=ev.limits)
            if pattern is None:
                if spec.null_pattern_fails:
                    return False
            else:
                pattern = spec.prepare(pattern, ev.limits)
        else:
            pattern = criterion.prepared
        return spec.test(value, pattern, ev)
    except _FAILURES:
        return False


def _with_trigger(scope: Mapping[str, Any]) -> Mapping[str, Any]:
    """The scope, with ``trigger`` as ``event.payload`` if the caller gave only ``event``."""
    if "trigger" in scope:
        return scope
    event = scope.get("event")
    if isinstance(event, Mapping) and "payload" in event:
        return {**scope, "trigger": event["payload"]}
    return scope


def check_criteria(criteria: Mapping[str, Condition], limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse criteria that could never be evaluated as written: `ValueError` naming the
    criterion's key (and a search's child key) and what is wrong."""
    for key, condition in criteria.items():
        compiled = _compile(key, condition, limits, f"'{key}'")
        _slot_of(condition).compiled = compiled


def matches(
    criteria: Mapping[str, Condition],
    scope: Mapping[str, Any],
    now: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bool:
    """All criteria hold for the scope at time `now` (which the time operators compare
    with; without it they match nothing). A criterion that cannot be evaluated (its pattern
    fails to render, its operator cannot compare the value) does not hold; `explain` says
    why."""
    if not criteria:
        return True
    ev = Evaluation(_with_trigger(scope), now, limits)
    for key, condition in criteria.items():  # noqa: SIM110 (a loop is faster than all())
        if not _holds(_compiled(key, condition), ev):
            return False
    return True


class CriteriaSet:
    """The criteria of many rules, compiled together to be evaluated against one event.

    Rules are numbered by their place in the list given. A criterion several rules hold
    (the same path, operator, condition and pattern, aliases and ``#`` suffixes aside) is
    evaluated once per event, and each path is read once: with many rules on a trigger
    type, most test a few fields against a few patterns. The outcome is what `matches`
    answers for each rule alone (a pattern's templates render against the event's scope,
    the same for every rule).
    """

    __slots__ = ("_criteria", "_paths", "_rules")

    def __init__(self, rules: Sequence[Mapping[str, Condition]]) -> None:
        numbered: dict[tuple[Any, ...], int] = {}
        paths: dict[str, int] = {}
        criteria: list[tuple[Criterion | _Broken, int]] = []
        held: list[tuple[int, ...]] = []
        for rule_criteria in rules:
            numbers = []
            for key, condition in rule_criteria.items():
                criterion = _compiled(key, condition)
                path = key if isinstance(criterion, _Broken) else parse_key(key).text
                identity = (
                    path,
                    canonical_name(condition.type) or condition.type,
                    condition.condition,
                    repr(condition.pattern),  # (`1`, `1.0` and `True` differ)
                )
                number = numbered.get(identity)
                if number is None:
                    number = numbered[identity] = len(criteria)
                    criteria.append((criterion, paths.setdefault(path, len(paths))))
                numbers.append(number)
            held.append(tuple(numbers))
        self._criteria = criteria
        self._paths = len(paths)
        self._rules = held

    def holding(
        self,
        rules: Iterable[int],
        scope: Mapping[str, Any],
        now: datetime | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> list[int]:
        """Of the rules numbered `rules`, in their order, those whose criteria all hold
        for the scope at time `now` (see `matches`)."""
        ev = Evaluation(_with_trigger(scope), now, limits)
        criteria, of_rule = self._criteria, self._rules
        outcomes: list[bool | None] = [None] * len(criteria)
        values: list[Any] = [_UNREAD] * self._paths
        holding = []
        for rule in rules:
            for number in of_rule[rule]:
                outcome = outcomes[number]
                if outcome is None:
                    criterion, path = criteria[number]
                    if isinstance(criterion, _Broken):
                        outcome = False
                    else:
                        value = values[path]
                        if value is _UNREAD:
                            value = values[path] = read(ev.scope, criterion.steps)
                        outcome = _holds_for(criterion, value, ev)
                    outcomes[number] = outcome
                if not outcome:
                    break
            else:
                holding.append(rule)
        return holding


_UNREAD = object()  # a path `CriteriaSet.holding` has not read yet for this event


@dataclass(frozen=True)
class CriterionOutcome:
    """How one criterion fared, for the rule tester.

    `value` is what the path found, as found (bytes are not decoded), or `MISSING` (its
    repr is ``<missing>``; `as_json` gives ``found: false`` and a null value instead) when
    the path leads nowhere. `pattern` is the pattern after rendering (as written if it did
    not render). `error` says why the criterion could not be evaluated: its pattern did
    not render or is not one its operator takes, the operator cannot compare the value, the
    criterion does not compile; `matched` is then False.
    """

    key: str
    operator: str
    value: Any
    pattern: Any
    matched: bool
    error: str | None

    @property
    def found(self) -> bool:
        return not is_missing(self.value)

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "operator": self.operator,
            "found": self.found,
            "value": self.value if self.found else None,
            "pattern": self.pattern,
            "matched": self.matched,
            "error": self.error,
        }


def _explain(key: str, condition: Condition, ev: Evaluation) -> CriterionOutcome:
    criterion = _compiled(key, condition)
    if isinstance(criterion, _Broken):
        try:
            value = read(ev.scope, parse_key(key).steps)
        except PathError:
            value = MISSING
        return CriterionOutcome(
            key, criterion.operator, value, condition.pattern, False, criterion.problem
        )
    spec = criterion.spec
    value = read(ev.scope, criterion.steps)
    operand = None if value is MISSING else value
    pattern = criterion.pattern
    prepared = criterion.prepared
    try:
        if criterion.templated:
            pattern = render_value(criterion.pattern, ev.scope, limits=ev.limits)
    except _FAILURES as problem:
        error = f"the pattern does not render: {problem}"
        return CriterionOutcome(key, spec.name, value, criterion.pattern, False, error)
    try:
        if criterion.templated:
            if pattern is None and spec.null_pattern_fails:
                error = f"the pattern renders to null: {spec.name} matches nothing"
                return CriterionOutcome(key, spec.name, value, pattern, False, error)
            prepared = None if pattern is None else spec.prepare(pattern, ev.limits)
    except _FAILURES as problem:
        error = f"the rendered pattern does not suit {spec.name}: {problem}"
        return CriterionOutcome(key, spec.name, value, pattern, False, error)
    try:
        matched = spec.test(operand, prepared, ev)
    except _FAILURES as problem:
        return CriterionOutcome(key, spec.name, value, pattern, False, str(problem))
    return CriterionOutcome(key, spec.name, value, pattern, matched, None)


def explain(
    criteria: Mapping[str, Condition],
    scope: Mapping[str, Any],
    now: datetime | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> list[CriterionOutcome]:
    """Every criterion evaluated (none skipped after one fails), in order."""
    ev = Evaluation(_with_trigger(scope), now, limits)
    return [_explain(key, condition, ev) for key, condition in criteria.items()]


def _indexable(pattern: Any) -> bool:
    if isinstance(pattern, str):
        return not _has_template(pattern)
    if isinstance(pattern, float):
        return math.isfinite(pattern)
    return isinstance(pattern, int)  # booleans too


def equality_keys(criteria: Mapping[str, Condition]) -> dict[str, Any]:
    """The criteria that test a path for equality with a constant: ``{path: pattern}``.

    Only `equals` (alias `eq`, any case) with a pattern that is a string without templates,
    an integer, a boolean or a finite float. The path is the key without its ``#`` suffix;
    where one path is tested for equality twice, the first criterion is kept (the rule
    can match only if both hold, so either narrows as well).

    `equals` compares as StackStorm's does, with Python's ``==`` after decoding bytes:
    ``1``, ``1.0`` and ``True`` are equal, ``"1"`` and ``1`` are not. Python's hash agrees
    with ``==``, so an index ``{(path, pattern): rules}`` is looked up with
    ``(path, index_key(read_path(scope, path)))``: `index_key` decodes bytes and gives
    `MISSING` for a value that can equal no such pattern. The index only narrows the
    candidates: `matches` still decides.
    """
    keys: dict[str, Any] = {}
    for key, condition in criteria.items():
        if canonical_name(condition.type) != "equals" or not _indexable(condition.pattern):
            continue
        try:
            path = parse_key(key)
        except PathError:
            continue
        keys.setdefault(path.text, condition.pattern)
    return keys


def index_key(value: Any) -> Any:
    """The key under which a value found at a path meets the `equality_keys` patterns it
    equals (see there), or `MISSING` if it can equal none."""
    if value is MISSING or value is None:
        return MISSING
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            return MISSING
    if isinstance(value, str | int | float):
        return value if not isinstance(value, float) or math.isfinite(value) else MISSING
    return MISSING  # an array or an object equals no scalar
