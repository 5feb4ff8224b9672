"""Criteria keys: paths into the scope a rule's criteria read.

A key names a root of the scope (``trigger``, ``event``, ``item`` in a search) and then
steps down: ``.name`` reads an object's key, ``[0]`` or ``[-1]`` a list's item, and a quoted
name (``trigger."a.b"``, ``trigger["a.b"]``, single quotes too) a key that holds dots,
brackets, ``#``, quotes or spaces (``\\`` escapes the next character inside quotes). A bare
name of digits reads a list's item as well as an object's key (``trigger.hosts.0``, as
Attune's first criteria did). Text from a ``#`` outside quotes on is a suffix that makes a
key unique, so one field can be tested twice (``trigger.count#2``); it is ignored for the
lookup.

A path that leads nowhere reads `MISSING`, which is not ``None``: a present ``null`` is
``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final


class _Missing:
    """The value at a path that leads nowhere: distinct from a present null (``None``)."""

    __slots__ = ()
    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "<missing>"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"  # pickled by name: unpickling gives the one instance


MISSING: Final = _Missing()


def is_missing(value: Any) -> bool:
    return value is MISSING


class PathError(ValueError):
    """A criteria key that is not a path."""


class _Digits(str):
    """A bare name of digits: an object's key, or the index of a list's item."""

    __slots__ = ()


Step = str | int  # str: an object's key (a `_Digits` one may index a list); int: an index


@dataclass(frozen=True, slots=True)
class Path:
    key: str  # the key as written, suffix included
    text: str  # the path without its suffix
    steps: tuple[Step, ...]

    @property
    def root(self) -> str:
        return str(self.steps[0])


_QUOTES = "\"'"
_ENDS_NAME = frozenset(".[]#\"' \t\r\n\f\v")
_HINT = "quote a name that holds '.', '[', ']', '#', quotes or spaces: trigger.\"a.b\""


def parse_key(key: str) -> Path:
    """The path of a criteria key (parsed once per key, then cached); `PathError` if it is
    not one, naming the position."""
    if not isinstance(key, str):
        raise PathError(f"a key is a string, not {type(key).__name__}")
    return _parse(key)


@lru_cache(maxsize=16384)
def _parse(key: str) -> Path:
    steps: list[Step] = []
    position, length = 0, len(key)
    want_name = True  # at the start and after a '.'
    while position < length:
        char = key[position]
        if char == "#" and not want_name:
            break
        if want_name:
            if char in _QUOTES:
                name, position = _quoted(key, position)
                steps.append(name)
            else:
                end = position
                while end < length and key[end] not in _ENDS_NAME:
                    end += 1
                if end == position:
                    raise _error(key, position, "a name is expected")
                name = key[position:end]
                steps.append(_Digits(name) if name.isascii() and name.isdigit() else name)
                position = end
            want_name = False
        elif char == ".":
            want_name = True
            position += 1
        elif char == "[":
            step, position = _bracket(key, position)
            steps.append(step)
        else:
            raise _error(key, position, f"unexpected {char!r}")
    if want_name:
        raise _error(key, position, "a name is expected" if key else "the key is empty")
    return Path(key, key[:position], tuple(steps))


def _quoted(key: str, start: int) -> tuple[str, int]:
    """The name quoted at `start` and the position after its closing quote."""
    quote, chars, position = key[start], [], start + 1
    while position < len(key):
        char = key[position]
        if char == "\\" and position + 1 < len(key):
            chars.append(key[position + 1])
            position += 2
        elif char == quote:
            return "".join(chars), position + 1
        else:
            chars.append(char)
            position += 1
    raise _error(key, start, f"the quote {quote} is not closed")


def _bracket(key: str, start: int) -> tuple[Step, int]:
    """The index or quoted name in the brackets at `start`, and the position after them."""
    position = start + 1
    step: Step
    if position < len(key) and key[position] in _QUOTES:
        step, position = _quoted(key, position)
    else:
        end = key.find("]", position)
        if end < 0:
            raise _error(key, start, "the bracket is not closed")
        digits = key[position:end]
        number = digits.removeprefix("-")
        if not (number.isascii() and number.isdigit()):
            raise _error(key, start, "a bracket holds an integer or a quoted name: [0], [-1]")
        step, position = int(digits), end
    if position >= len(key) or key[position] != "]":
        raise _error(key, start, "the bracket is not closed")
    return step, position + 1


def _error(key: str, position: int, problem: str) -> PathError:
    return PathError(f"bad path: {problem} at character {position + 1} ({_HINT})")


def read(scope: Any, steps: tuple[Step, ...]) -> Any:
    """The value the steps lead to from `scope`, or `MISSING`."""
    node = scope
    for step in steps:
        if type(node) is dict and type(step) is not int:  # the common case, kept short
            node = node.get(step, MISSING)
        else:
            node = _step(node, step)
        if node is MISSING:
            return MISSING
    return node


def _step(node: Any, step: Step) -> Any:
    if type(step) is int:
        if isinstance(node, list | tuple) and -len(node) <= step < len(node):
            return node[step]
        return MISSING
    if isinstance(node, Mapping):
        return node.get(step, MISSING)
    if type(step) is _Digits and isinstance(node, list | tuple) and int(step) < len(node):
        return node[int(step)]
    return MISSING


def read_path(scope: Mapping[str, Any], key: str) -> Any:
    """The value at a criteria key (its ``#`` suffix ignored), or `MISSING`; `PathError`
    (a `ValueError`) if the key is not a path."""
    return read(scope, parse_key(key).steps)
