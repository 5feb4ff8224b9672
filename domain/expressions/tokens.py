"""The tokenizer: expression text to tokens, each with its offsets in the text.

It also refuses, with a hint, the syntax of the languages authors come from: YAQL's ``$``
and ``=``, Jinja's ``|`` filters, C's ``&&``, ``||`` and ``!``. In a template it stops at the
block's closing delimiter (``}}`` outside any ``{ }`` of the expression, or ``%>``), so a
string or an object literal inside a block may hold braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from attune.domain.expressions.errors import ExpressionSyntaxError, LimitExceeded
from attune.domain.expressions.limits import Limits

Kind = Literal["number", "string", "name", "op", "end"]


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    value: Any  # the number, the decoded string, the name or the operator
    start: int
    end: int


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")
_DIGITS = re.compile(r"[0-9]+")  # after '.', a number is an index: `items.0`
_WHITESPACE = " \t\r\n"
_TWO_CHARACTER = ("==", "!=", "<=", ">=")
_ONE_CHARACTER = "()[]{},:.+-*/%<>"
_ESCAPES = {
    '"': '"',
    "'": "'",
    "\\": "\\",
    "/": "/",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
}  # JSON's, and \'
_REFUSED = {
    "$": "'$' is YAQL syntax, not supported: use ctx() or a namespace name",
    "=": "'=' is not an operator: use '=='",
    "&&": "'&&' is not an operator: use 'and'",
    "||": "'||' is not an operator: use 'or'",
    "!": "'!' is not an operator: use 'not'",
    "|": "'|' is not an operator: Jinja filters are not supported, call a function instead",
    "&": "'&' is not an operator: use 'and'",
}


def tokenize(
    text: str, limits: Limits, start: int = 0, closer: str | None = None
) -> tuple[list[Token], int]:
    """The tokens of `text` from `start`, ending with an ``end`` token, and where they stop:
    at the end of the text, or with `closer` (``}}`` or ``%>``) at the offset of the closer.
    A `closer` that never comes leaves the stop at ``-1``."""
    tokens: list[Token] = []
    braces = 0  # open `{` of object literals, for a `}}` closer
    position, length = start, len(text)
    while True:
        while position < length and text[position] in _WHITESPACE:
            position += 1
        if position >= length:
            tokens.append(Token("end", None, position, position))
            return tokens, -1 if closer else position
        closing = closer is not None and text.startswith(closer, position)
        if closing and (closer == "%>" or braces == 0):
            tokens.append(Token("end", None, position, position))
            return tokens, position
        character = text[position]
        after_dot = bool(tokens) and tokens[-1].kind == "op" and tokens[-1].value == "."
        if character == '"' or character == "'":
            token = _string(text, position)
        elif character.isascii() and (character.isalpha() or character == "_"):
            match = _NAME.match(text, position)
            assert match is not None
            token = Token("name", match.group(), position, match.end())
        elif "0" <= character <= "9":
            token = _number(text, position, limits, index_only=after_dot)
        elif text.startswith(_TWO_CHARACTER, position):
            token = Token("op", text[position : position + 2], position, position + 2)
        elif character in _ONE_CHARACTER:
            token = Token("op", character, position, position + 1)
            if character == "{":
                braces += 1
            elif character == "}":
                braces = max(0, braces - 1)
        else:
            raise _refusal(text, position)
        tokens.append(token)
        position = token.end


def _refusal(text: str, position: int) -> ExpressionSyntaxError:
    for written in ("&&", "||", "$", "=", "!", "|", "&"):
        if text.startswith(written, position):
            return ExpressionSyntaxError(_REFUSED[written], text, position)
    return ExpressionSyntaxError(f"unexpected character {text[position]!r}", text, position)


def _string(text: str, start: int) -> Token:
    quote, position, parts = text[start], start + 1, []
    while True:
        # Plain characters up to the next quote or backslash, in one slice.
        stop = position
        while stop < len(text) and text[stop] != quote and text[stop] != "\\":
            stop += 1
        parts.append(text[position:stop])
        if stop >= len(text):
            raise ExpressionSyntaxError("unterminated string", text, start)
        if text[stop] == quote:
            return Token("string", "".join(parts), start, stop + 1)
        escape = text[stop + 1 : stop + 2]
        if escape in _ESCAPES:
            parts.append(_ESCAPES[escape])
            position = stop + 2
        elif escape == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", text[stop + 2 : stop + 6]):
            parts.append(chr(int(text[stop + 2 : stop + 6], 16)))
            position = stop + 6
        else:
            raise ExpressionSyntaxError(f"unknown escape '\\{escape}' in a string", text, stop)


def _number(text: str, start: int, limits: Limits, index_only: bool) -> Token:
    match = (_DIGITS if index_only else _NUMBER).match(text, start)
    assert match is not None
    written = match.group()
    if index_only or not (match.group(1) or match.group(2)):
        if len(written.lstrip("0")) > limits.max_integer_digits:
            raise LimitExceeded("integer literal too large", text, start)
        integer = int(written)
        if integer.bit_length() > limits.max_integer_bits:
            raise LimitExceeded("integer literal too large", text, start)
        return Token("number", integer, start, match.end())
    number = float(written)
    if number in (float("inf"), float("-inf")):
        raise LimitExceeded("number literal too large", text, start)
    return Token("number", number, start, match.end())
