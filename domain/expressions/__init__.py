"""The expression language of workflows and rules: ``{{ trigger.count > 3 and
upper(trigger.host) in ["A", "B"] }}``.

Expressions are pure: they read the scope they are given (namespace root name to value;
a namespace may be any `Mapping`, read key by key), call only the built-in functions, and
cannot reach Python: values are JSON values, and nothing has attributes. Every evaluation
is bounded (`Limits`), and every failure is an `ExpressionError` with its position.

    compile_expression(text) -> Expression       .evaluate(scope, run=None, limits=...)
    compile_template(text) -> Template           .render(scope, run=None, limits=..., keep=...)
    render_value(value, scope, ...)              every template in a JSON-like value

The language is described in docs/expressions.md.
"""

from __future__ import annotations

from attune.domain.expressions.context import RunContext
from attune.domain.expressions.errors import (
    ExpressionError,
    ExpressionSyntaxError,
    ExpressionTypeError,
    ExpressionValueError,
    LimitExceeded,
    NotInWorkflow,
    UndefinedName,
    UnknownFunction,
)
from attune.domain.expressions.evaluator import ALIASES, NAMESPACES
from attune.domain.expressions.expression import Expression, compile_expression
from attune.domain.expressions.functions import FUNCTIONS
from attune.domain.expressions.limits import DEFAULT_LIMITS, Limits
from attune.domain.expressions.templates import Template, compile_template, render_value

FUNCTION_NAMES = frozenset(FUNCTIONS)

__all__ = [
    "ALIASES",
    "DEFAULT_LIMITS",
    "FUNCTION_NAMES",
    "NAMESPACES",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "ExpressionTypeError",
    "ExpressionValueError",
    "LimitExceeded",
    "Limits",
    "NotInWorkflow",
    "RunContext",
    "Template",
    "UndefinedName",
    "UnknownFunction",
    "compile_expression",
    "compile_template",
    "render_value",
]
