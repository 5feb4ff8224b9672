"""The errors an expression can raise: every failure is one of these, with its position.

Each error carries the text it is about (`expression`), the offending character's `line`
and `column` (1-based, within that text) and a `reason` without position. `str()` reads
``cannot add string and integer at 1:17``; `detail` adds the text and a caret under the
character. An error inside a template block is located within the whole template, and
`block` holds that block as written, so a rule author sees which block failed.
"""

from __future__ import annotations

from typing import Any

from attune.domain.errors import DomainError


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text` (columns count characters)."""
    offset = max(0, min(offset, len(text)))
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


class ExpressionError(DomainError):
    """Base of every error compiling, evaluating or rendering an expression."""

    def __init__(
        self,
        reason: str,
        expression: str = "",
        offset: int = 0,
        *,
        hint: str | None = None,
        block: str | None = None,
    ) -> None:
        self.reason, self.expression, self.offset = reason, expression, offset
        self.hint, self.block = hint, block
        self.line, self.column = line_and_column(expression, offset)
        super().__init__(self._message())

    def _message(self) -> str:
        message = f"{self.reason} at {self.line}:{self.column}"
        if self.hint:
            message += f" — {self.hint}"
        if self.block is not None:
            message += f" in {self.block}"
        return message

    def __str__(self) -> str:
        return self._message()

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only fields would be lost by Exception's default pickling (args only).
        return _rebuild, (
            type(self),
            self.reason,
            self.expression,
            self.offset,
            self.hint,
            self.block,
        )

    @property
    def detail(self) -> str:
        """The message, the line of the text it is about and a caret under the character."""
        lines = self.expression.split("\n")
        source = lines[self.line - 1] if self.line <= len(lines) else ""
        return f"{self}\n  {source}\n  {' ' * (self.column - 1)}^"

    def located(self, expression: str, shift: int = 0, block: str | None = None) -> ExpressionError:
        """The same error about `expression`, its offset moved by `shift` (a block's start)."""
        return type(self)(self.reason, expression, self.offset + shift, hint=self.hint, block=block)


def _rebuild(
    cls: type[ExpressionError],
    reason: str,
    expression: str,
    offset: int,
    hint: str | None,
    block: str | None,
) -> ExpressionError:
    return cls(reason, expression, offset, hint=hint, block=block)


class ExpressionSyntaxError(ExpressionError):
    """The text is not an expression of the language (or uses YAQL/Jinja syntax)."""


class UnknownFunction(ExpressionSyntaxError):
    """A call names no built-in function: known when compiling, the set is fixed."""


class ExpressionTypeError(ExpressionError):
    """An operator or function got values of types it does not take (no implicit coercion)."""


class ExpressionValueError(ExpressionError):
    """A value of the right type that an operation refuses: division by zero, `int("x")`,
    an invalid regular expression or JSON text."""


class UndefinedName(ExpressionError):
    """A name, field, key or index the expression reads is not there."""


class LimitExceeded(ExpressionError):
    """Compiling or evaluating would exceed a bound of `Limits` (steps, sizes, nesting)."""


class NotInWorkflow(ExpressionError):
    """A workflow function (`result()`, `succeeded()`, `ctx()`...) was used without a run."""
