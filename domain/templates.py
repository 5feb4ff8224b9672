"""Rendering of `{{ path }}` templates in rule action parameters.

For now a template is a dotted path into the context (``event.payload.host``); ``trigger.x``
is an alias of ``event.payload.x``. A value that is exactly one expression keeps its type
(``"{{ event.payload.count }}"`` renders to the integer); an expression inside a longer
string is rendered as text. The full expression language arrives in a later issue and
replaces `_evaluate` without changing this module's contract.

Expressions in the ``keystore`` namespace (``{{ keystore.db_password }}``) are *deferred*:
`render` leaves them as written, so a key's value never enters an event, and the worker
replaces them with `render_keystore` only when it hands the parameters to the action.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from attune.domain.errors import TemplateError

_EXPR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_KEYSTORE_REFERENCE = re.compile(r"^keystore\.(\S+)$")  # the key name is checked on lookup
_MISSING = object()
_KEEP = object()  # what an evaluation returns for an expression to leave as written


def lookup(context: dict[str, Any], path: str) -> Any:
    """Follow a dotted path; return `_MISSING` when a segment is absent."""
    if path == "trigger" or path.startswith("trigger."):
        path = "event.payload" + path[len("trigger") :]
    node: Any = context
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def is_missing(value: Any) -> bool:
    return value is _MISSING


def _evaluate(expression: str, context: dict[str, Any]) -> Any:
    if not _PATH.match(expression):
        raise TemplateError(f"unsupported expression '{{{{ {expression} }}}}'")
    value = lookup(context, expression)
    if value is _MISSING:
        raise TemplateError(f"'{expression}' is not defined")
    return value


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _keystore_name(expression: str) -> str | None:
    """The key an expression refers to (``keystore.NAME``), or None for any other one."""
    reference = _KEYSTORE_REFERENCE.match(expression)
    return reference.group(1) if reference else None


def _substitute(value: Any, evaluate: Callable[[str], Any]) -> Any:
    """Replace each expression in a JSON-like value by what `evaluate` makes of it."""
    if isinstance(value, dict):
        return {k: _substitute(v, evaluate) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, evaluate) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _EXPR.fullmatch(value.strip())
    if whole:
        result = evaluate(whole.group(1))
        return value if result is _KEEP else result

    def as_text(match: re.Match[str]) -> str:
        result = evaluate(match.group(1))
        return match.group(0) if result is _KEEP else _as_text(result)

    return _EXPR.sub(as_text, value)


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every template in a JSON-like value (strings, lists, dicts), but keystore ones."""

    def evaluate(expression: str) -> Any:
        if _keystore_name(expression) is not None:
            return _KEEP  # deferred to run time
        return _evaluate(expression, context)

    return _substitute(value, evaluate)


def render_keystore(value: Any, lookup: Callable[[str], Any]) -> Any:
    """Replace only the keystore expressions in a JSON-like value by `lookup(key name)`."""

    def evaluate(expression: str) -> Any:
        name = _keystore_name(expression)
        return _KEEP if name is None else lookup(name)

    return _substitute(value, evaluate)


def is_deferred(value: Any) -> bool:
    """True for a string holding a keystore expression: its value is known only at run time."""
    return isinstance(value, str) and any(
        _keystore_name(match.group(1)) is not None for match in _EXPR.finditer(value)
    )
