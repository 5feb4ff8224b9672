"""Rendering of `{{ path }}` templates in rule action parameters.

For now a template is a dotted path into the context (``event.payload.host``); ``trigger.x``
is an alias of ``event.payload.x``. A value that is exactly one expression keeps its type
(``"{{ event.payload.count }}"`` renders to the integer); an expression inside a longer
string is rendered as text. The full expression language arrives in a later issue and
replaces `_evaluate` without changing this module's contract.
"""

from __future__ import annotations

import json
import re
from typing import Any

from attune.domain.errors import TemplateError

_EXPR = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_PATH = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")
_MISSING = object()


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


def render(value: Any, context: dict[str, Any]) -> Any:
    """Render every template in a JSON-like value (strings, lists, dicts)."""
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, context) for v in value]
    if not isinstance(value, str) or "{{" not in value:
        return value
    whole = _EXPR.fullmatch(value.strip())
    if whole:
        return _evaluate(whole.group(1), context)
    return _EXPR.sub(lambda m: _as_text(_evaluate(m.group(1), context)), value)
