"""String templates: text with ``{{ expression }}`` (or Orquesta's ``<% expression %>``)
blocks.

A template that is exactly one block (surrounding whitespace aside) renders to the block's
value with its type: ``"{{ trigger.count }}"`` is the integer. Otherwise each block's value
is written into the text: a string as it is, anything else as its JSON text. A block for
which the caller's `keep` says so stays exactly as written (that is how a keystore block is
left for the worker to render at run time). A string without blocks renders to itself.

Block ends are found by the tokenizer, not by searching for ``}}``: a string or an object
literal inside a block may contain braces (``{{ {"a": {"b": 1}} }}``). An error inside a
block is positioned in the whole template, and names the block as written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from attune.domain.expressions import values
from attune.domain.expressions.context import Evaluation, RunContext
from attune.domain.expressions.errors import ExpressionError, ExpressionSyntaxError, LimitExceeded
from attune.domain.expressions.expression import Expression, compile_expression
from attune.domain.expressions.limits import DEFAULT_LIMITS, Limits
from attune.domain.expressions.tokens import tokenize

_CLOSERS = {"{{": "}}", "<%": "%>"}
_CACHED_LENGTH = 65_536  # longer templates are compiled each time, not kept in the cache

Keep = Callable[[Expression], bool]


@dataclass(frozen=True, slots=True)
class _Block:
    expression: Expression
    written: str  # the block as written, delimiters included
    shift: int  # where the expression's text starts in the template


class Template:
    """A compiled template. Immutable, so shared between threads."""

    __slots__ = ("text", "blocks", "_parts", "_whole")

    def __init__(self, text: str, parts: tuple[str | _Block, ...]) -> None:
        self.text = text
        self._parts = parts
        found = [part for part in parts if isinstance(part, _Block)]
        self.blocks: tuple[Expression, ...] = tuple(block.expression for block in found)
        whole = len(found) == 1 and all(isinstance(p, _Block) or not p.strip() for p in parts)
        self._whole = found[0] if whole else None

    def __repr__(self) -> str:
        return f"Template({self.text!r})"

    def is_whole(self) -> bool:
        """The text (stripped) is exactly one block: rendering keeps the value's type."""
        return self._whole is not None

    def render(
        self,
        scope: Mapping[str, Any],
        run: RunContext | None = None,
        limits: Limits = DEFAULT_LIMITS,
        keep: Keep | None = None,
    ) -> Any:
        whole = self._whole
        if whole is not None and keep is None:  # the common case, kept short
            try:
                return whole.expression.evaluate(scope, run, limits)
            except ExpressionError as error:
                raise self._locate(error, whole) from None
        if not self.blocks:
            return self.text
        try:
            return self._render(Evaluation(scope, run, limits), keep)
        except (RecursionError, MemoryError):  # writing a value nested beyond Python's stack
            raise LimitExceeded("the value is too deep or too large", self.text) from None

    def _render(self, ev: Evaluation, keep: Keep | None) -> Any:
        whole = self._whole
        if whole is not None:
            if keep is not None and keep(whole.expression):
                return self.text
            return self._value(whole, ev)
        pieces: list[str] = []
        length = 0
        for part in self._parts:
            if isinstance(part, str):
                piece = part
            elif keep is not None and keep(part.expression):
                piece = part.written
            else:
                value = self._value(part, ev)
                piece = value if isinstance(value, str) else self._text(part, value, ev)
            length += len(piece)
            if length > ev.limits.max_string_length:
                error = LimitExceeded(
                    f"the rendered text exceeds the limit of {ev.limits.max_string_length} "
                    "characters"
                )
                raise (
                    self._locate(error, part)
                    if isinstance(part, _Block)
                    else error.located(self.text)
                )
            pieces.append(piece)
        return "".join(pieces)

    def _value(self, block: _Block, ev: Evaluation) -> Any:
        try:
            return block.expression._run(ev)
        except ExpressionError as error:
            raise self._locate(error, block) from None

    def _text(self, block: _Block, value: Any, ev: Evaluation) -> str:
        try:
            return values.json_text(value, ev, 0)
        except ExpressionError as error:
            raise self._locate(error, block) from None

    def _locate(self, error: ExpressionError, block: _Block) -> ExpressionError:
        return error.located(self.text, block.shift, block=block.written)


def compile_template(text: str, limits: Limits = DEFAULT_LIMITS) -> Template:
    """The compiled form of a template (cached by text and limits, if not huge). Raises
    `ExpressionSyntaxError` (`UnknownFunction`) or `LimitExceeded`, positioned in `text`."""
    if not isinstance(text, str):
        raise TypeError(f"a template is a string, not {type(text).__name__}")
    if len(text) <= _CACHED_LENGTH:
        return _cached(text, limits)
    return _compile(text, limits)


@lru_cache(maxsize=4096)
def _cached(text: str, limits: Limits) -> Template:
    return _compile(text, limits)


def _next_opener(text: str, start: int) -> int:
    found = [i for i in (text.find("{{", start), text.find("<%", start)) if i >= 0]
    return min(found) if found else -1


def _compile(text: str, limits: Limits) -> Template:
    if len(text) > limits.max_string_length:
        raise LimitExceeded(
            f"a template of {len(text)} characters exceeds the limit of {limits.max_string_length}",
            text,
            0,
        )
    parts: list[str | _Block] = []
    position = 0
    while (opening := _next_opener(text, position)) >= 0:
        if opening > position:
            parts.append(text[position:opening])
        parts.append(_block(text, opening, limits))
        position = opening + len(parts[-1].written)  # type: ignore[union-attr]
    if position < len(text) or not parts:
        parts.append(text[position:])
    return Template(text, tuple(parts))


def _block(text: str, opening: int, limits: Limits) -> _Block:
    opener = text[opening : opening + 2]
    closer = _CLOSERS[opener]
    inner_start = opening + 2
    try:
        closing = tokenize(text, limits, inner_start, closer)[1]
    except ExpressionError as error:
        end = text.find(closer, inner_start)
        written = text[opening : end + 2] if end >= 0 else _clip(text[opening:])
        raise error.located(text, 0, block=written) from None
    if closing < 0:
        raise ExpressionSyntaxError(
            f"'{opener}' is not closed: expected '{closer}'",
            text,
            opening,
            block=_clip(text[opening:]),
        )
    written = text[opening : closing + 2]
    inner = text[inner_start:closing]
    source = inner.strip()
    shift = inner_start + (len(inner) - len(inner.lstrip()))
    if not source:
        raise ExpressionSyntaxError("empty block", text, opening, block=written)
    try:
        expression = compile_expression(source, limits)
    except ExpressionError as error:
        raise error.located(text, shift, block=written) from None
    return _Block(expression, written, shift)


def _clip(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def render_value(
    value: Any,
    scope: Mapping[str, Any],
    run: RunContext | None = None,
    limits: Limits = DEFAULT_LIMITS,
    keep: Keep | None = None,
) -> Any:
    """Every template in a JSON-like value rendered: strings in lists and in dict values,
    at any depth (dict keys are not rendered). All its blocks share one step budget."""
    ev = Evaluation(scope, run, limits)

    def walk(item: Any, depth: int) -> Any:
        if isinstance(item, str):
            if "{{" in item or "<%" in item:
                return compile_template(item, limits)._render(ev, keep)
            return item
        if isinstance(item, Mapping | list | tuple):
            if depth >= limits.max_depth:
                raise LimitExceeded(
                    f"a value to render is nested deeper than the limit of {limits.max_depth}"
                )
            if isinstance(item, Mapping):
                return {key: walk(element, depth + 1) for key, element in item.items()}
            return [walk(element, depth + 1) for element in item]
        return item

    try:
        return walk(value, 0)
    except (RecursionError, MemoryError):  # a value nested beyond Python's stack
        raise LimitExceeded("the value to render is too deep or too large") from None
