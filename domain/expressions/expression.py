"""A compiled expression: parse and compile once (cached), evaluate many times.

Evaluation raises only `ExpressionError`s, positioned in the expression's text; Python's
own failures (recursion, memory) are turned into `LimitExceeded`. Errors raised by the
scope's own mappings or by the `RunContext` (a database being down) are not the
expression's and pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import lru_cache
from typing import Any

from attune.domain.expressions.context import Evaluation, RunContext
from attune.domain.expressions.errors import ExpressionError, LimitExceeded
from attune.domain.expressions.evaluator import NAMESPACES, Program, canonical_root, compile_tree
from attune.domain.expressions.limits import DEFAULT_LIMITS, Limits
from attune.domain.expressions.parser import parse


class Expression:
    """One expression of the language, compiled. Immutable, so shared between threads."""

    __slots__ = ("text", "_closure", "_cost", "_names", "_functions", "_roots")

    def __init__(self, text: str, program: Program) -> None:
        self.text = text
        self._closure, self._cost = program.closure, program.cost
        self._names, self._functions = program.names, program.functions
        # (the roots as written, asked on every rendering of a rule's parameters)
        self._roots = frozenset(canonical_root(name) for name in self._names)

    def __repr__(self) -> str:
        return f"Expression({self.text!r})"

    def evaluate(
        self,
        scope: Mapping[str, Any],
        run: RunContext | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> Any:
        """The expression's value in `scope` (namespace root name to its value)."""
        return self._run(Evaluation(scope, run, limits))

    def measure(
        self,
        scope: Mapping[str, Any],
        run: RunContext | None = None,
        limits: Limits = DEFAULT_LIMITS,
    ) -> tuple[Any, int]:
        """The value and the steps its evaluation took (never more than `max_steps`)."""
        evaluation = Evaluation(scope, run, limits)
        return self._run(evaluation), evaluation.steps

    def _run(self, ev: Evaluation) -> Any:
        try:
            ev.steps += self._cost  # a template's blocks share one evaluation's budget
            if ev.steps > ev.max_steps:
                ev.exhausted(0)
            return self._closure(ev)
        except ExpressionError as error:
            raise error.located(self.text) from None
        except (RecursionError, MemoryError):
            raise LimitExceeded("the evaluation is too deep or too large", self.text) from None

    def roots(self, supplied: Collection[str] | None = None) -> frozenset[str]:
        """The namespace roots the expression reads, aliases resolved (``vars`` is
        ``workflow``). A name that is not a canonical namespace is reported as written
        (``trigger``): whether it is a root the caller supplies or a workflow variable
        depends on the scope. Given the roots the caller `supplied`, other names count as
        ``workflow``, where they are read from."""
        if supplied is None:
            return self._roots
        roots = set()
        for name in self._names:
            canonical = canonical_root(name)
            if canonical in NAMESPACES or name in supplied:
                roots.add(canonical)
            else:
                roots.add("workflow")
        return frozenset(roots)

    def functions(self) -> frozenset[str]:
        """The built-in functions the expression calls."""
        return self._functions


def compile_expression(text: str, limits: Limits = DEFAULT_LIMITS) -> Expression:
    """The compiled form of `text` (cached by text and limits). Raises
    `ExpressionSyntaxError` (its subclass `UnknownFunction`) or `LimitExceeded`."""
    if not isinstance(text, str):
        raise TypeError(f"an expression is a string, not {type(text).__name__}")
    return _compile(text, limits)


@lru_cache(maxsize=4096)
def _compile(text: str, limits: Limits) -> Expression:
    try:
        return Expression(text, compile_tree(parse(text, limits), text))
    except RecursionError:
        raise LimitExceeded("the expression is nested too deeply", text) from None
