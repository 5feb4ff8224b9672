"""The built-in functions: the fixed set an expression may call, each checking its
arguments' types (no implicit coercion) and bounding what it builds before building it.

The set is fixed, so an unknown name or a wrong number of arguments is refused when the
expression is compiled. The Orquesta functions (`ctx`, `result`, `succeeded`, `failed`,
`completed`, `timed_out`, `item`, `task_status`) read the `RunContext` and behave as
Orquesta's do; `json` parses JSON text like Orquesta's.
"""

from __future__ import annotations

import decimal
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from attune.domain.expressions import values as v
from attune.domain.expressions.context import Evaluation, RunContext
from attune.domain.expressions.errors import (
    ExpressionTypeError,
    ExpressionValueError,
    LimitExceeded,
    NotInWorkflow,
    UndefinedName,
)


@dataclass(frozen=True, slots=True)
class CallSite:
    """Where a call is written: its type errors point at the offending argument."""

    function: str
    offset: int
    arguments: tuple[int, ...]  # the offset of each argument

    def wrong(self, index: int, expected: str, value: Any) -> ExpressionTypeError:
        which = f" as argument {index + 1}" if len(self.arguments) > 1 else ""
        return ExpressionTypeError(
            f"{self.function}() expects {expected}{which}, got {v.type_name(value)}",
            offset=self.arguments[index],
        )

    def invalid(self, index: int, reason: str) -> ExpressionValueError:
        return ExpressionValueError(f"{self.function}() {reason}", offset=self.arguments[index])


Implementation = Callable[[Evaluation, CallSite, list[Any]], Any]


@dataclass(frozen=True, slots=True)
class Function:
    name: str
    implementation: Implementation
    minimum: int  # arguments
    maximum: int

    def arity(self) -> str:
        if self.maximum == 0:
            return "no arguments"
        if self.minimum == self.maximum:
            return f"{self.minimum} argument" + ("s" if self.minimum > 1 else "")
        joiner = " or " if self.maximum == self.minimum + 1 else " to "
        return f"{self.minimum}{joiner}{self.maximum} arguments"


FUNCTIONS: dict[str, Function] = {}


def _builtin(
    minimum: int, maximum: int | None = None
) -> Callable[[Implementation], Implementation]:
    def register(implementation: Implementation) -> Implementation:
        name = implementation.__name__.strip("_")
        most = minimum if maximum is None else maximum
        FUNCTIONS[name] = Function(name, implementation, minimum, most)
        return implementation

    return register


# --- argument checks ---------------------------------------------------------------------


def _of(site: CallSite, args: list[Any], index: int, kinds: frozenset[str], expected: str) -> Any:
    value = args[index]
    if v.kind(value) not in kinds:
        raise site.wrong(index, expected, value)
    return value


_STRING, _ARRAY, _OBJECT = frozenset({v.STRING}), frozenset({v.ARRAY}), frozenset({v.OBJECT})
_INTEGER = frozenset({v.INTEGER})
_SIZED = frozenset({v.STRING, v.ARRAY, v.OBJECT})
_SEQUENCE = frozenset({v.STRING, v.ARRAY})


def _string(site: CallSite, args: list[Any], index: int) -> str:
    return str(_of(site, args, index, _STRING, "a string"))


def _array(site: CallSite, args: list[Any], index: int) -> list[Any] | tuple[Any, ...]:
    value: list[Any] | tuple[Any, ...] = _of(site, args, index, _ARRAY, "an array")
    return value


def _object(site: CallSite, args: list[Any], index: int) -> Mapping[str, Any]:
    value: Mapping[str, Any] = _of(site, args, index, _OBJECT, "an object")
    return value


def _integer(site: CallSite, args: list[Any], index: int) -> int:
    return int(_of(site, args, index, _INTEGER, "an integer"))


def _number(site: CallSite, args: list[Any], index: int) -> int | float:
    value: int | float = _of(site, args, index, v.NUMBERS, "a number")
    return value


def _preview(text: str) -> str:
    return repr(text if len(text) <= 40 else text[:37] + "...")


# --- type conversion ---------------------------------------------------------------------

_INTEGER_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def _parse_integer(ev: Evaluation, site: CallSite, text: str) -> int:
    digits = text.lstrip("+-").lstrip("0")
    if len(digits) > ev.limits.max_integer_digits:  # before int(): it is quadratic
        raise LimitExceeded(
            f"{site.function}() of an integer wider than {ev.limits.max_integer_bits} bits",
            offset=site.arguments[0],
        )
    return ev.integer(int(text), site.arguments[0])


@_builtin(1)
def _string_(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    """A string as it is; any other value as its JSON text."""
    value = args[0]
    if type(value) is str:
        return value
    if v.kind(value) == v.STRING:
        return str(value)
    return v.json_text(value, ev, site.offset)


@_builtin(1)
def _number_(ev: Evaluation, site: CallSite, args: list[Any]) -> int | float:
    value, found = args[0], v.kind(args[0])
    if found in v.NUMBERS:
        return value  # type: ignore[no-any-return]
    if found == v.BOOLEAN:
        return int(value)
    if found != v.STRING:
        raise site.wrong(0, "a string, a number or a boolean", value)
    ev.charge_characters(len(value), site.offset)
    text = value.strip()
    if _INTEGER_TEXT.fullmatch(text):
        return _parse_integer(ev, site, text)
    if _NUMBER_TEXT.fullmatch(text):
        return ev.number(float(text), site.arguments[0])
    raise site.invalid(0, f"cannot convert {_preview(value)} to a number")


@_builtin(1)
def _int_(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    """Integers as they are, floats truncated toward zero, numeric text parsed."""
    value, found = args[0], v.kind(args[0])
    if found == v.INTEGER or found == v.BOOLEAN:
        return int(value)
    if found == v.FLOAT:
        return ev.integer(int(value), site.arguments[0])
    if found != v.STRING:
        raise site.wrong(0, "a string, a number or a boolean", value)
    ev.charge_characters(len(value), site.offset)
    text = value.strip()
    if not _INTEGER_TEXT.fullmatch(text):
        raise site.invalid(0, f"cannot convert {_preview(value)} to an integer")
    return _parse_integer(ev, site, text)


@_builtin(1)
def _bool_(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    """Truthiness: null, false, 0, "", [] and {} are false (so is no other string)."""
    return bool(args[0])


# --- introspection -----------------------------------------------------------------------


@_builtin(1)
def _type_of(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    found = v.kind(args[0])
    if found == v.UNSUPPORTED:
        raise site.wrong(0, "a JSON value", args[0])
    return found


@_builtin(1)
def _length(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    return len(_of(site, args, 0, _SIZED, "a string, an array or an object"))


@_builtin(1)
def _keys(ev: Evaluation, site: CallSite, args: list[Any]) -> list[Any]:
    value = _object(site, args, 0)
    ev.collection(len(value), site.offset)
    return list(value.keys())


@_builtin(1)
def _values(ev: Evaluation, site: CallSite, args: list[Any]) -> list[Any]:
    value = _object(site, args, 0)
    ev.collection(len(value), site.offset)
    return list(value.values())


# --- math --------------------------------------------------------------------------------


@_builtin(1)
def _abs(ev: Evaluation, site: CallSite, args: list[Any]) -> int | float:
    return abs(_number(site, args, 0))


@_builtin(1)
def _floor(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    return ev.integer(math.floor(_number(site, args, 0)), site.offset)


@_builtin(1)
def _ceil(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    return ev.integer(math.ceil(_number(site, args, 0)), site.offset)


# Exact decimal arithmetic for `round`, wide enough for any finite float; its own context,
# so the process's decimal settings neither matter nor change.
_DECIMAL = decimal.Context(prec=1_200, rounding=decimal.ROUND_HALF_UP, Emax=2_000, Emin=-2_000)
_MAX_DIGITS = 400


@_builtin(1, 2)
def _round(ev: Evaluation, site: CallSite, args: list[Any]) -> int | float:
    """Half away from zero (``round(2.5)`` is 3), on the number as written in decimal
    (``round(2.675, 2)`` is 2.68). Without digits, an integer; with them, the input's type."""
    number = _number(site, args, 0)
    digits = _integer(site, args, 1) if len(args) > 1 else None
    if digits is not None and abs(digits) > _MAX_DIGITS:
        raise site.invalid(1, f"rounds to at most {_MAX_DIGITS} digits, got {digits}")
    exact = decimal.Decimal(repr(number) if v.kind(number) == v.FLOAT else int(number))
    quantum = decimal.Decimal(1).scaleb(-(digits or 0))
    rounded = exact.quantize(quantum, context=_DECIMAL)
    if digits is None or v.kind(number) == v.INTEGER:
        return ev.integer(int(rounded), site.offset)
    return ev.number(float(rounded), site.offset)


def _extreme(ev: Evaluation, site: CallSite, args: list[Any], pick: Callable[..., Any]) -> Any:
    if len(args) == 1:
        candidates = list(_array(site, args, 0))
        if not candidates:
            raise site.invalid(0, "of an empty array")
    else:
        candidates = args
    ev.charge(len(candidates), site.offset)
    kinds = {v.kind(c) for c in candidates}
    if not (kinds <= v.NUMBERS or kinds == {v.STRING}):
        found = " and ".join(sorted(kinds))
        raise ExpressionTypeError(
            f"{site.function}() expects numbers, or strings, of one type; got {found}",
            offset=site.offset,
        )
    return pick(candidates)


@_builtin(1, 2)
def _min(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    """The smaller of two values, or the smallest of an array (numbers, or strings)."""
    return _extreme(ev, site, args, min)


@_builtin(1, 2)
def _max(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    return _extreme(ev, site, args, max)


@_builtin(1)
def _sum(ev: Evaluation, site: CallSite, args: list[Any]) -> int | float:
    items = _array(site, args, 0)
    ev.charge(len(items), site.offset)
    for item in items:
        if v.kind(item) not in v.NUMBERS:
            raise ExpressionTypeError(
                f"sum() expects an array of numbers, got an item of type {v.type_name(item)}",
                offset=site.arguments[0],
            )
    total: int | float = sum(items)
    return ev.number(total, site.offset)


# --- strings -----------------------------------------------------------------------------


def _bounded_text(ev: Evaluation, site: CallSite, text: str) -> str:
    ev.string(len(text), site.offset)
    return text


@_builtin(1)
def _lower(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    text = _string(site, args, 0)
    ev.charge_characters(len(text), site.offset)
    return _bounded_text(ev, site, text.lower())


@_builtin(1)
def _upper(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    text = args[0]
    if type(text) is not str:
        text = _string(site, args, 0)
    ev.charge_characters(len(text), site.offset)
    upper = text.upper()  # may grow: "ß" is "SS"
    return upper if len(upper) <= len(text) else _bounded_text(ev, site, upper)


@_builtin(1)
def _trim(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    """Without leading and trailing whitespace."""
    text = _string(site, args, 0)
    ev.charge_characters(len(text), site.offset)
    return text.strip()


@_builtin(2)
def _split(ev: Evaluation, site: CallSite, args: list[Any]) -> list[str]:
    text, separator = _string(site, args, 0), _string(site, args, 1)
    if not separator:
        raise site.invalid(1, "needs a separator that is not empty")
    ev.charge_characters(len(text), site.offset)
    ev.collection(text.count(separator) + 1, site.offset)
    return text.split(separator)


@_builtin(2)
def _join(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    """The strings of an array, separated by a string (no other item type: no coercion)."""
    items, separator = _array(site, args, 0), _string(site, args, 1)
    ev.charge(len(items), site.offset)
    length = len(separator) * max(0, len(items) - 1)
    for item in items:
        if v.kind(item) != v.STRING:
            raise ExpressionTypeError(
                f"join() expects an array of strings, got an item of type {v.type_name(item)}",
                offset=site.arguments[0],
            )
        length += len(item)
    ev.string(length, site.offset)
    return separator.join(items)


@_builtin(3)
def _replace(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    """Every occurrence of `old` replaced by `new`."""
    text, old, new = (_string(site, args, i) for i in range(3))
    ev.charge_characters(len(text), site.offset)
    occurrences = text.count(old)  # an empty `old` occurs between all characters: len + 1
    ev.string(len(text) + occurrences * (len(new) - len(old)), site.offset)
    return text.replace(old, new)


@_builtin(2)
def _starts_with(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    return _string(site, args, 0).startswith(_string(site, args, 1))


@_builtin(2)
def _ends_with(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    return _string(site, args, 0).endswith(_string(site, args, 1))


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str] | str:
    """The compiled pattern, or why it does not compile."""
    try:
        return re.compile(pattern)
    except (re.error, OverflowError, RecursionError, ValueError) as error:
        return str(error)


@_builtin(2)
def _match(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    """Whether the regular expression finds a match anywhere in the string (`re.search`).

    Python's `re` cannot be stopped once it runs: the pattern's length is bounded, and the
    subject's by the string limit (see `limits`)."""
    pattern, text = _string(site, args, 0), _string(site, args, 1)
    if len(pattern) > ev.limits.max_pattern_length:
        raise LimitExceeded(
            f"match() pattern of {len(pattern)} characters exceeds the limit of "
            f"{ev.limits.max_pattern_length}",
            offset=site.arguments[0],
        )
    if len(text) > ev.limits.max_string_length:
        ev.string(len(text), site.arguments[1])  # raises
    ev.charge_characters(len(text), site.offset)
    compiled = _regex(pattern)
    if isinstance(compiled, str):
        raise site.invalid(0, f"pattern is not a valid regular expression: {compiled}")
    try:
        return compiled.search(text) is not None
    except RecursionError as error:
        raise LimitExceeded("match() pattern recurses too deeply", offset=site.offset) from error


# --- collections -------------------------------------------------------------------------


@_builtin(2)
def _contains(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    """Like `needle in haystack`: a substring, an element, or a key."""
    return v.contains(args[0], args[1], ev, site.offset, "contains()")


@_builtin(1)
def _reversed(ev: Evaluation, site: CallSite, args: list[Any]) -> str | list[Any]:
    value = _of(site, args, 0, _SEQUENCE, "a string or an array")
    if v.kind(value) == v.STRING:
        ev.string(len(value), site.offset)
        return str(value[::-1])
    ev.collection(len(value), site.offset)
    return list(reversed(value))


@_builtin(1)
def _sort(ev: Evaluation, site: CallSite, args: list[Any]) -> list[Any]:
    """Ascending; the items all numbers, or all strings."""
    items = _array(site, args, 0)
    ev.collection(len(items), site.offset)
    ev.charge(len(items) * max(1, len(items).bit_length()), site.offset)
    kinds = {v.kind(item) for item in items}
    if not (kinds <= v.NUMBERS or kinds == {v.STRING}):
        raise ExpressionTypeError(
            "sort() expects an array of numbers, or of strings, got items of types "
            + ", ".join(sorted(kinds)),
            offset=site.arguments[0],
        )
    return sorted(items)


@_builtin(1)
def _unique(ev: Evaluation, site: CallSite, args: list[Any]) -> list[Any]:
    """The items without repeats (deep equality), in the order they first appear."""
    items = _array(site, args, 0)
    ev.collection(len(items), site.offset)
    seen: set[Any] = set()
    kept = []
    for item in items:
        key = v.frozen(item, ev, site.offset)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


@_builtin(1)
def _flat(ev: Evaluation, site: CallSite, args: list[Any]) -> list[Any]:
    """One level flattened: ``flat([[1, 2], [3], 4])`` is ``[1, 2, 3, 4]``."""
    items = _array(site, args, 0)
    ev.charge(len(items), site.offset)
    arrays = [v.kind(item) == v.ARRAY for item in items]
    ev.collection(sum(len(i) if a else 1 for i, a in zip(items, arrays, strict=True)), site.offset)
    flattened: list[Any] = []
    for item, is_array in zip(items, arrays, strict=True):
        if is_array:
            flattened.extend(item)
        else:
            flattened.append(item)
    return flattened


@_builtin(2)
def _zip(ev: Evaluation, site: CallSite, args: list[Any]) -> list[list[Any]]:
    """Pairs ``[a[i], b[i]]``, as many as the shorter array has items."""
    first, second = _array(site, args, 0), _array(site, args, 1)
    ev.collection(2 * min(len(first), len(second)), site.offset)
    return [[a, b] for a, b in zip(first, second, strict=False)]


@_builtin(1, 3)
def _range(ev: Evaluation, site: CallSite, args: list[Any]) -> list[int]:
    """``range(n)``: 0 to n - 1; ``range(start, end)``, ``range(start, end, step)``."""
    bounds = [_integer(site, args, i) for i in range(len(args))]
    if len(bounds) == 3 and bounds[2] == 0:
        raise site.invalid(2, "needs a step that is not zero")
    start, stop, step = ([0, *bounds, 1] if len(bounds) == 1 else [*bounds, 1])[:3]
    # Its length, counted before building it (and without len(), which overflows a C size).
    ev.collection(max(0, (stop - start + step - (1 if step > 0 else -1)) // step), site.offset)
    return list(range(start, stop, step))


def _slice_bound(site: CallSite, args: list[Any], index: int) -> int | None:
    if index >= len(args) or args[index] is None:
        return None
    return _integer(site, args, index)


@_builtin(2, 3)
def _slice(ev: Evaluation, site: CallSite, args: list[Any]) -> str | list[Any]:
    """Items (or characters) from `start` up to, not including, `end` (null or left out:
    to the end); negative positions count from the end, as in Python."""
    value = _of(site, args, 0, _SEQUENCE, "a string or an array")
    start, end = _slice_bound(site, args, 1), _slice_bound(site, args, 2)
    part = value[start:end]
    if v.kind(value) == v.STRING:
        ev.charge_characters(len(part), site.offset)
        return str(part)
    ev.collection(len(part), site.offset)
    return list(part)


def _search(ev: Evaluation, site: CallSite, args: list[Any]) -> tuple[Any, Any, bool]:
    haystack = _of(site, args, 0, _SEQUENCE, "a string or an array")
    is_text = v.kind(haystack) == v.STRING
    if is_text:
        _string(site, args, 1)  # a substring is looked for in a string
        ev.charge_characters(len(haystack), site.offset)
    return haystack, args[1], is_text


@_builtin(2)
def _index_of(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    """The position of the first occurrence (of a substring, or an equal item), or -1."""
    haystack, needle, is_text = _search(ev, site, args)
    if is_text:
        return int(haystack.find(needle))
    for position, item in enumerate(haystack):
        ev.charge(1, site.offset)
        if v.equal(item, needle, ev, site.offset):
            return position
    return -1


@_builtin(2)
def _count(ev: Evaluation, site: CallSite, args: list[Any]) -> int:
    """Non-overlapping occurrences of a substring, or items equal to a value."""
    haystack, needle, is_text = _search(ev, site, args)
    if is_text:
        return int(haystack.count(needle))
    found = 0
    for item in haystack:
        ev.charge(1, site.offset)
        found += v.equal(item, needle, ev, site.offset)
    return found


@_builtin(2)
def _merge(ev: Evaluation, site: CallSite, args: list[Any]) -> dict[str, Any]:
    """The keys of both objects; where both have a key, the second's value (shallow)."""
    first, second = _object(site, args, 0), _object(site, args, 1)
    ev.collection(len(first) + len(second), site.offset)
    return {**first, **second}


@_builtin(2)
def _chunks(ev: Evaluation, site: CallSite, args: list[Any]) -> list[list[Any]]:
    """The items in consecutive arrays of `size` (the last one may be shorter)."""
    items, size = _array(site, args, 0), _integer(site, args, 1)
    if size < 1:
        raise site.invalid(1, f"needs a size of at least 1, got {size}")
    ev.collection(len(items) + -(-len(items) // size), site.offset)
    return [list(items[i : i + size]) for i in range(0, len(items), size)]


# --- workflow (Orquesta's functions) -----------------------------------------------------

# Orquesta's statuses: "timeout" is its expired status; these end a task.
_ABENDED = frozenset({"failed", "timeout", "abandoned"})
_COMPLETED = _ABENDED | {"succeeded", "canceled"}
# What Orquesta's task_status() answers for a task with no status yet (its UNSET).
_UNSET = "null"


def _run(site: CallSite, ev: Evaluation) -> RunContext:
    if ev.run is None:
        raise NotInWorkflow(
            f"{site.function}() is only available inside a workflow", offset=site.offset
        )
    return ev.run


def _current_status(ev: Evaluation, site: CallSite) -> str:
    status = _run(site, ev).status()
    if status is None:  # Orquesta refuses these where no task is current
        raise NotInWorkflow(
            f"{site.function}() is only available where a task is current (in its transitions)",
            offset=site.offset,
        )
    return status


@_builtin(0, 1)
def _ctx(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    """The workflow's variables (without the ``__`` internal ones), or the one named."""
    variables = _run(site, ev).variables()
    name = _string(site, args, 0) if args else ""
    if not name:
        ev.collection(len(variables), site.offset)
        return {k: val for k, val in variables.items() if not str(k).startswith("__")}
    if name not in variables:
        raise UndefinedName(f"ctx() has no variable '{name}'", offset=site.arguments[0])
    if name.startswith("__"):
        raise site.invalid(0, f"cannot read the internal variable '{name}'")
    return variables[name]


@_builtin(0)
def _result(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    """The current task's result."""
    return _run(site, ev).result()


@_builtin(0)
def _succeeded(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    return _current_status(ev, site) == "succeeded"


@_builtin(0)
def _failed(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    """The current task failed, timed out or was abandoned: a running task that times out
    fails in Orquesta, and `when: failed()` is how its users catch it (`timed_out()`
    tells the timeout apart)."""
    return _current_status(ev, site) in _ABENDED


@_builtin(0)
def _completed(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    """The current task ended: succeeded, failed, timed out, abandoned or canceled."""
    return _current_status(ev, site) in _COMPLETED


@_builtin(0)
def _timed_out(ev: Evaluation, site: CallSite, args: list[Any]) -> bool:
    return _current_status(ev, site) == "timeout"


@_builtin(0, 1)
def _item(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    """The current item of a ``with items`` loop, or its key (the item is then an object)."""
    current = _run(site, ev).item()
    key = _string(site, args, 0) if args else ""
    if not key:
        return current
    if v.kind(current) != v.OBJECT:
        raise ExpressionTypeError(
            f"item() is {v.type_name(current)}, not an object: it has no key '{key}'",
            offset=site.arguments[0],
        )
    if key not in current:
        raise UndefinedName(f"item() has no key '{key}'", offset=site.arguments[0])
    return current[key]


@_builtin(1)
def _task_status(ev: Evaluation, site: CallSite, args: list[Any]) -> str:
    """The status of a task of the workflow; the string "null" (as in Orquesta) for a task
    that has none yet."""
    status = _run(site, ev).task_status(_string(site, args, 0))
    return _UNSET if status is None else status


def _json_parse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


@_builtin(1)
def _json(ev: Evaluation, site: CallSite, args: list[Any]) -> Any:
    """The value a JSON text holds; an object is returned as it is (as in Orquesta)."""
    value = args[0]
    if v.kind(value) == v.OBJECT:
        return value
    text = _string(site, args, 0)
    ev.charge_characters(len(text), site.offset)
    offset, limits = site.arguments[0], ev.limits

    def parse_int(digits: str) -> int:
        if len(digits.lstrip("-").lstrip("0")) > limits.max_integer_digits:
            raise LimitExceeded("json() integer too large", offset=offset)
        return ev.integer(int(digits), offset)

    def parse_float(written: str) -> float:
        return float(ev.number(float(written), offset))

    try:
        parsed = json.loads(
            text,
            parse_int=parse_int,
            parse_float=parse_float,
            parse_constant=_json_parse_constant,
        )
    except RecursionError as error:
        raise LimitExceeded("json() text is nested too deeply", offset=offset) from error
    except ValueError as error:  # JSONDecodeError, or a refused constant
        raise site.invalid(0, f"cannot parse its text: {error}") from error
    _check_parsed(parsed, ev, offset, 0)
    return parsed


def _check_parsed(value: Any, ev: Evaluation, offset: int, depth: int) -> None:
    """Parsed JSON within the limits: no deeper, no larger than a built value may be."""
    if isinstance(value, list | dict):
        ev.depth(depth + 1, offset)
        ev.collection(len(value), offset)
        for item in value.values() if isinstance(value, dict) else value:
            _check_parsed(item, ev, offset, depth + 1)
