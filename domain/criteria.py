"""Rule criteria: which trigger events a rule matches.

Criteria map a path (``trigger.status`` or ``event.payload.status``) to a condition
``{type: equals, pattern: ...}`` or ``{type: exists}``. All conditions must hold. More
operators (StackStorm's full set) arrive with a later issue: add them to `OPERATORS`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict

from attune.domain.templates import is_missing, lookup


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    pattern: Any = None


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda value, pattern: not is_missing(value) and value == pattern,
    "exists": lambda value, _pattern: not is_missing(value),
}


def matches(criteria: dict[str, Condition], context: dict[str, Any]) -> bool:
    return all(
        OPERATORS[condition.type](lookup(context, path), condition.pattern)
        for path, condition in criteria.items()
    )
