"""The criteria operators: StackStorm's set, names and semantics (st2common's operators).

Each operator tests the value found at a criterion's path against its pattern. As in
StackStorm, a path that leads nowhere gives the operator ``None``, like a present null, and
bytes (on either side) are decoded as UTF-8 before a string operator compares them. A value
an operator cannot compare (``iequals`` on a number, ``lessthan`` between null and an
integer) does not match; `Unsuited` says why, for the rule tester.

A pattern is *prepared* once: checked, and compiled where it is a regular expression or a
wildcard. A constant pattern is prepared when the rule is registered, a template pattern
each time it renders (compiled regular expressions are cached by text).
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from attune.domain.expressions import Limits


class Unsuited(ValueError):
    """A value or a pattern an operator cannot compare: the criterion does not match."""


class Evaluation:
    """What an operator may read beyond the value and the pattern (not changed once made:
    a plain class, as a frozen dataclass costs more to build on every event)."""

    __slots__ = ("scope", "now", "limits")

    def __init__(self, scope: Mapping[str, Any], now: datetime | None, limits: Limits) -> None:
        self.scope = scope
        self.now = now
        self.limits = limits

    def within(self, item: Any) -> Evaluation:
        """The evaluation of a search's child criteria over one list item (``item``)."""
        return Evaluation({**self.scope, "item": item}, self.now, self.limits)


Test = Callable[[Any, Any, Evaluation], bool]
Prepare = Callable[[Any, Limits | None], Any]


class SearchPattern(Protocol):
    """A search's compiled child criteria and condition."""

    def holds(self, value: Any, ev: Evaluation) -> bool: ...


def kind(value: Any) -> str:
    """A value's type, named as in the expression language."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _decoded(value: Any) -> Any:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def _text(value: Any) -> str:
    if type(value) is str:  # the common case, kept short
        return value
    value = _decoded(value)
    if not isinstance(value, str):
        raise Unsuited(f"the value is {kind(value)}, not a string")
    return value


# Preparing patterns: `limits` is None for a pattern already checked at registration.


def _as_is(pattern: Any, _limits: Limits | None) -> Any:
    return _decoded(pattern)


def _string(pattern: Any, _limits: Limits | None) -> str:
    pattern = _decoded(pattern)
    if not isinstance(pattern, str):
        raise Unsuited(f"the pattern must be a string, not {kind(pattern)}")
    return pattern


def _container(pattern: Any, _limits: Limits | None) -> Any:
    pattern = _decoded(pattern)
    if not isinstance(pattern, str | list | tuple | Mapping):
        raise Unsuited(f"the pattern must be a string, an array or an object, not {kind(pattern)}")
    return pattern


def _comparable(pattern: Any, _limits: Limits | None) -> Any:
    if isinstance(pattern, Mapping):
        raise Unsuited("the pattern must be a number, a string or an array, not object")
    return pattern


def _seconds(pattern: Any, _limits: Limits | None) -> float:
    pattern = _decoded(pattern)
    number: float | None = None
    if isinstance(pattern, int | float) and not isinstance(pattern, bool):
        number = float(pattern)
    elif isinstance(pattern, str):
        try:
            number = float(pattern)  # "60", as StackStorm's web UI writes it
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise Unsuited(f"the pattern must be a number of seconds, not {pattern!r}")
    return number


@lru_cache(maxsize=4096)
def _compiled(text: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(text, flags)
    except re.error as error:
        raise Unsuited(f"bad regular expression {text!r}: {error}") from None


def _regex(flags: int) -> Prepare:
    def prepare(pattern: Any, limits: Limits | None) -> re.Pattern[str]:
        text = _string(pattern, limits)
        if limits is not None and len(text) > limits.max_pattern_length:
            raise Unsuited(
                f"the regular expression has {len(text)} characters, more than the limit of "
                f"{limits.max_pattern_length}"
            )
        return _compiled(text, flags)

    return prepare


def _wildcard(pattern: Any, limits: Limits | None) -> re.Pattern[str]:
    # Case-sensitive on every platform (fnmatch.fnmatch would follow the OS's file names).
    return _compiled(fnmatch.translate(_string(pattern, limits)), 0)


# The tests: `pattern` is prepared and not None (None matches nothing, but for nequals).


def _equals(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    return bool(_decoded(value) == pattern)


def _nequals(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    return bool(_decoded(value) != pattern)


def _iequals(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return _text(value).lower() == pattern.lower()


def _holds_item(container: Any, item: Any) -> bool:
    try:
        return item in container
    except TypeError:
        raise Unsuited(f"cannot look for {kind(item)} in {kind(container)}") from None


def _contains(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    if type(value) is str and type(pattern) is str:  # the common case, kept short
        return pattern in value
    return _holds_item(_decoded(value), pattern)


def _ncontains(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    return not _holds_item(_decoded(value), pattern)


def _icontains(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return pattern.lower() in _text(value).lower()


def _incontains(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return pattern.lower() not in _text(value).lower()


def _startswith(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return _text(value).startswith(pattern)


def _istartswith(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return _text(value).lower().startswith(pattern.lower())


def _endswith(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return _text(value).endswith(pattern)


def _iendswith(value: Any, pattern: str, _ev: Evaluation) -> bool:
    return _text(value).lower().endswith(pattern.lower())


def _lessthan(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    try:
        return bool(value < pattern)
    except TypeError:
        raise Unsuited(f"cannot compare {kind(value)} with {kind(pattern)}") from None


def _greaterthan(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    try:
        return bool(value > pattern)
    except TypeError:
        raise Unsuited(f"cannot compare {kind(value)} with {kind(pattern)}") from None


def _matches_start(value: Any, pattern: re.Pattern[str], _ev: Evaluation) -> bool:
    return pattern.match(_text(value)) is not None


def _search_text(value: Any, pattern: re.Pattern[str], _ev: Evaluation) -> bool:
    return pattern.search(_text(value)) is not None


@lru_cache(maxsize=4096)
def _parsed_date(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise Unsuited(f"the value {text[:60]!r} is not an ISO 8601 date") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _age(value: Any, ev: Evaluation) -> float:
    """Seconds from the date `value` to `ev.now` (naive dates and times are UTC)."""
    if ev.now is None:
        raise Unsuited("no time to compare with: the caller gave no `now`")
    value = _decoded(value)
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, str):
        moment = _parsed_date(value)
    else:
        raise Unsuited(f"the value is {kind(value)}, not a date")
    now = ev.now if ev.now.tzinfo else ev.now.replace(tzinfo=UTC)
    return (now - moment).total_seconds()


def _timediff_lt(value: Any, pattern: float, ev: Evaluation) -> bool:
    return _age(value, ev) < pattern


def _timediff_gt(value: Any, pattern: float, ev: Evaluation) -> bool:
    return _age(value, ev) > pattern


def _exists(value: Any, _pattern: Any, _ev: Evaluation) -> bool:
    return value is not None


def _nexists(value: Any, _pattern: Any, _ev: Evaluation) -> bool:
    return value is None


def _inside(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    return _holds_item(pattern, _decoded(value))


def _ninside(value: Any, pattern: Any, _ev: Evaluation) -> bool:
    return not _holds_item(pattern, _decoded(value))


def _search(value: Any, pattern: SearchPattern, ev: Evaluation) -> bool:
    return pattern.holds(value, ev)


@dataclass(frozen=True)
class OperatorSpec:
    name: str  # canonical
    aliases: tuple[str, ...]
    test: Test
    prepare: Prepare
    takes_pattern: bool = True  # exists and nexists ignore theirs
    null_pattern_fails: bool = True  # a pattern rendering to null matches nothing
    is_search: bool = False


_SPECS = (
    OperatorSpec("equals", ("eq",), _equals, _as_is),
    OperatorSpec("nequals", ("neq",), _nequals, _as_is, null_pattern_fails=False),
    OperatorSpec("iequals", ("ieq",), _iequals, _string),
    OperatorSpec("contains", (), _contains, _as_is),
    OperatorSpec("icontains", (), _icontains, _string),
    OperatorSpec("ncontains", (), _ncontains, _as_is),
    OperatorSpec("incontains", (), _incontains, _string),
    OperatorSpec("startswith", (), _startswith, _string),
    OperatorSpec("istartswith", (), _istartswith, _string),
    OperatorSpec("endswith", (), _endswith, _string),
    OperatorSpec("iendswith", (), _iendswith, _string),
    OperatorSpec("matchwildcard", (), _matches_start, _wildcard),
    OperatorSpec("matchregex", (), _matches_start, _regex(re.DOTALL)),
    OperatorSpec("regex", (), _search_text, _regex(0)),
    OperatorSpec("iregex", (), _search_text, _regex(re.IGNORECASE)),
    OperatorSpec("lessthan", ("lt",), _lessthan, _comparable),
    OperatorSpec("greaterthan", ("gt",), _greaterthan, _comparable),
    OperatorSpec("timediff_lt", ("td_lt",), _timediff_lt, _seconds),
    OperatorSpec("timediff_gt", ("td_gt",), _timediff_gt, _seconds),
    OperatorSpec("exists", (), _exists, _as_is, takes_pattern=False),
    OperatorSpec("nexists", (), _nexists, _as_is, takes_pattern=False),
    OperatorSpec("inside", ("in",), _inside, _container),
    OperatorSpec("ninside", ("nin",), _ninside, _container),
    OperatorSpec("search", (), _search, _as_is, is_search=True),
)

SPECS: dict[str, OperatorSpec] = {spec.name: spec for spec in _SPECS}
ALIASES: dict[str, str] = {alias: spec.name for spec in _SPECS for alias in spec.aliases}
_BY_NAME: dict[str, OperatorSpec] = {
    **SPECS,
    **{alias: SPECS[name] for alias, name in ALIASES.items()},
}


def operator_named(name: str) -> OperatorSpec | None:
    """The operator a criterion's `type` names (case-insensitive, aliases included)."""
    return _BY_NAME.get(name.lower()) if isinstance(name, str) else None


def canonical_name(name: str) -> str | None:
    spec = operator_named(name)
    return spec.name if spec else None


def known_operators() -> str:
    """Every operator, for an error message: ``equals (eq), exists, ...``."""
    return ", ".join(
        f"{spec.name} ({', '.join(spec.aliases)})" if spec.aliases else spec.name
        for spec in sorted(_SPECS, key=lambda spec: spec.name)
    )
