"""The values of the language and the rules between them: JSON types only, no coercion.

A value is null, a boolean, an integer, a float, a string, an array (list or tuple) or an
object (any `Mapping`, so a namespace may be lazy). Booleans are not numbers (`true + 1` is
an error, `1 == true` is false); an integer and a float compare by value (`3 == 3.0`).
Equality is deep. Every walk over a value counts its steps and its nesting on the
`Evaluation`, so comparing or serialising a huge or deep value is bounded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from attune.domain.expressions.context import Evaluation
from attune.domain.expressions.errors import ExpressionTypeError

NULL, BOOLEAN, INTEGER, FLOAT = "null", "boolean", "integer", "float"
STRING, ARRAY, OBJECT, UNSUPPORTED = "string", "array", "object", "unsupported"
NUMBERS = frozenset({INTEGER, FLOAT})

_KINDS: dict[type, str] = {
    type(None): NULL,
    bool: BOOLEAN,
    int: INTEGER,
    float: FLOAT,
    str: STRING,
    list: ARRAY,
    tuple: ARRAY,
    dict: OBJECT,
}


def kind(value: Any) -> str:
    """The type of a value, as `type_of()` names it (or ``unsupported``)."""
    found = _KINDS.get(type(value))
    if found is not None:
        return found
    # Subclasses (a str enum, an OrderedDict, a lazy Mapping); bool before int, as it is one.
    for cls, name in ((bool, BOOLEAN), (int, INTEGER), (float, FLOAT), (str, STRING)):
        if isinstance(value, cls):
            return name
    if isinstance(value, Mapping):
        return OBJECT
    if isinstance(value, list | tuple):
        return ARRAY
    return UNSUPPORTED


def type_name(value: Any) -> str:
    """The type of a value for a message."""
    found = kind(value)
    return found if found != UNSUPPORTED else f"unsupported value ({type(value).__name__})"


def is_number(value: Any) -> bool:
    return kind(value) in NUMBERS


def equal(a: Any, b: Any, ev: Evaluation, offset: int, depth: int = 0) -> bool:
    """Deep equality: same type (an integer and a float count as one), same contents."""
    ka, kb = kind(a), kind(b)
    if ka in NUMBERS and kb in NUMBERS:
        return bool(a == b)
    if ka != kb:
        return False
    if ka == ARRAY:
        if len(a) != len(b):
            return False
        ev.depth(depth + 1, offset)
        ev.charge(len(a), offset)
        return all(equal(x, y, ev, offset, depth + 1) for x, y in zip(a, b, strict=True))
    if ka == OBJECT:
        if len(a) != len(b):
            return False
        ev.depth(depth + 1, offset)
        ev.charge(len(a), offset)
        return all(key in b and equal(a[key], b[key], ev, offset, depth + 1) for key in a)
    if ka == UNSUPPORTED:
        return a is b
    return bool(a == b)


def ordered(operator: str, a: Any, b: Any, offset: int) -> bool:
    """``<``, ``>``, ``<=``, ``>=``: between two numbers or two strings only."""
    ka, kb = kind(a), kind(b)
    if not ((ka in NUMBERS and kb in NUMBERS) or (ka == STRING and kb == STRING)):
        raise ExpressionTypeError(
            f"cannot compare {type_name(a)} and {type_name(b)} with '{operator}'", offset=offset
        )
    if operator == "<":
        return bool(a < b)
    if operator == ">":
        return bool(a > b)
    if operator == "<=":
        return bool(a <= b)
    return bool(a >= b)


def contains(haystack: Any, needle: Any, ev: Evaluation, offset: int, what: str) -> bool:
    """A substring in a string, an element in an array (deep equality), a key in an object."""
    kh = kind(haystack)
    if kh == STRING:
        if kind(needle) != STRING:
            raise ExpressionTypeError(
                f"{what} looks for a string in a string, got {type_name(needle)}", offset=offset
            )
        ev.charge_characters(len(haystack), offset)
        return needle in haystack
    if kh == ARRAY:
        for element in haystack:
            ev.charge(1, offset)
            if equal(element, needle, ev, offset):
                return True
        return False
    if kh == OBJECT:
        if kind(needle) != STRING:
            raise ExpressionTypeError(
                f"{what} looks for a key (a string) in an object, got {type_name(needle)}",
                offset=offset,
            )
        return needle in haystack
    raise ExpressionTypeError(
        f"{what} needs a string, an array or an object to look in, got {type_name(haystack)}",
        offset=offset,
    )


def frozen(value: Any, ev: Evaluation, offset: int, depth: int = 0) -> Any:
    """A hashable key equal for values `equal` calls equal (for `unique`)."""
    found = kind(value)
    ev.charge(1, offset)
    if found in NUMBERS:
        return (INTEGER, value)  # 3 and 3.0 hash and compare alike
    if found == ARRAY:
        ev.depth(depth + 1, offset)
        return (ARRAY, tuple(frozen(v, ev, offset, depth + 1) for v in value))
    if found == OBJECT:
        ev.depth(depth + 1, offset)
        return (OBJECT, frozenset((k, frozen(v, ev, offset, depth + 1)) for k, v in value.items()))
    if found == UNSUPPORTED:
        return (UNSUPPORTED, id(value))
    return (found, value)


def json_text(value: Any, ev: Evaluation, offset: int) -> str:
    """The JSON text of a value, as `json.dumps` writes it by default, refused as soon as it
    would exceed the string limit (and never deeper than the depth limit)."""
    scalar = type(value)
    if scalar is int:
        return str(ev.integer(value, offset))
    if scalar is bool or value is None or scalar is float:
        return json.dumps(value)
    limit = ev.limits.max_string_length
    parts: list[str] = []
    length = 0

    def add(text: str) -> None:
        nonlocal length
        length += len(text)
        if length > limit:
            ev.string(length, offset)  # raises
        parts.append(text)

    def write(item: Any, depth: int) -> None:
        ev.charge(1, offset)
        found = kind(item)
        if found == STRING:
            if length + len(item) + 2 > limit:  # its text is at least this long
                ev.string(length + len(item) + 2, offset)
            add(json.dumps(item))
        elif found == INTEGER:
            add(str(ev.integer(int(item), offset)))
        elif found in (NULL, BOOLEAN, FLOAT):
            add(json.dumps(item))
        elif found == ARRAY:
            ev.depth(depth + 1, offset)
            add("[")
            for index, element in enumerate(item):
                if index:
                    add(", ")
                write(element, depth + 1)
            add("]")
        elif found == OBJECT:
            ev.depth(depth + 1, offset)
            add("{")
            for index, (key, element) in enumerate(item.items()):
                if index:
                    add(", ")
                add(json.dumps(key if isinstance(key, str) else str(key)) + ": ")
                write(element, depth + 1)
            add("}")
        else:
            raise ExpressionTypeError(f"cannot write {type_name(item)} as JSON", offset=offset)

    write(value, 0)
    ev.charge_characters(length, offset)
    return "".join(parts)
