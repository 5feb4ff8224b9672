"""Which fields below a namespace path an expression reads, from its syntax tree.

`fields_read(text, ("config",))` answers the fields of ``config`` that ``config.token``,
``config["token"]`` or ``upper(config.url)`` read: ``{"token"}``, ``{"url"}``. It answers
None when the expression may read any field (``config`` whole, ``config[name]``): the
caller must then assume all of them. Used to keep a pack's secret configuration out of
places it must not go (`attune.domain.rule_checks`).
"""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from typing import Any

from attune.domain.expressions import syntax as s
from attune.domain.expressions.limits import DEFAULT_LIMITS, Limits
from attune.domain.expressions.parser import parse


class _AnyField(Exception):
    """The expression reads the path whole, or a field chosen at run time."""


def _key(access: s.Field | s.Index) -> str | None:
    if isinstance(access, s.Field):
        return str(access.key)
    if isinstance(access.index, s.Literal) and isinstance(access.index.value, str):
        return access.index.value
    return None


def _walk(node: Any, path: tuple[str, ...], found: set[str]) -> None:
    if isinstance(node, s.Postfix) and isinstance(node.base, s.Name) and node.base.name == path[0]:
        keys = [_key(access) for access in node.accesses]
        for at, expected in enumerate(path[1:]):
            if at >= len(keys) or keys[at] != expected:
                if at < len(keys) and keys[at] is not None:
                    break  # another field of the root: not below the path
                raise _AnyField
        else:
            depth = len(path) - 1
            if depth >= len(keys) or keys[depth] is None:
                raise _AnyField
            found.add(str(keys[depth]))
        for access in node.accesses:
            if isinstance(access, s.Index):
                _walk(access.index, path, found)
        return
    if isinstance(node, s.Name):
        if node.name == path[0]:
            raise _AnyField
        return
    if isinstance(node, tuple):
        for item in node:
            _walk(item, path, found)
    elif is_dataclass(node):
        for field in fields(node):
            _walk(getattr(node, field.name), path, found)


def fields_read(
    text: str, path: tuple[str, ...], limits: Limits = DEFAULT_LIMITS
) -> frozenset[str] | None:
    """The fields below `path` (a root name, then field names) that the expression `text`
    reads; None if it may read any. Raises what parsing raises."""
    found: set[str] = set()
    try:
        _walk(parse(text, limits), path, found)
    except _AnyField:
        return None
    return frozenset(found)


def reads_one_field(text: str, path: tuple[str, ...], limits: Limits = DEFAULT_LIMITS) -> bool:
    """The expression is nothing but one field below `path` (``config.token``): its value
    is that field's, as it is (not computed from it)."""
    node = parse(text, limits)
    if not (isinstance(node, s.Postfix) and isinstance(node.base, s.Name)):
        return False
    keys = [_key(access) for access in node.accesses]
    return (
        node.base.name == path[0]
        and len(keys) == len(path)
        and None not in keys
        and (tuple(keys[:-1]) == path[1:])
    )
