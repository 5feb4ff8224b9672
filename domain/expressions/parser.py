"""The parser: tokens to a syntax tree, by recursive descent, one function per precedence
level (lowest first): ``or``, ``and``, ``not``, comparisons and ``in``, ``+ -``, ``* / %``,
unary ``-``, then postfix ``.field``, ``[index]`` and calls.

Everything knowable from the text is refused here, with its position: syntax, YAQL and
Jinja habits, names starting with ``__`` (there is no attribute access at all, but such a
name is never what an author means), unknown functions (with the closest known name) and
wrong numbers of arguments. Nesting is bounded by `Limits.max_depth`, so no input can
exhaust Python's stack.
"""

from __future__ import annotations

import difflib
from typing import Literal

from attune.domain.expressions import syntax as s
from attune.domain.expressions.errors import (
    ExpressionSyntaxError,
    LimitExceeded,
    UnknownFunction,
)
from attune.domain.expressions.functions import FUNCTIONS
from attune.domain.expressions.limits import Limits
from attune.domain.expressions.tokens import Token, tokenize

KEYWORDS = frozenset({"and", "or", "not", "in", "true", "false", "null"})
_CONSTANTS = {"true": True, "false": False, "null": None}
_PYTHON_CONSTANTS = {"True": "true", "False": "false", "None": "null"}
_COMPARISONS = frozenset({"==", "!=", "<", ">", "<=", ">="})
_TERM = frozenset({"+", "-"})
_FACTOR = frozenset({"*", "/", "%"})


def parse(text: str, limits: Limits) -> s.Node:
    """The syntax tree of an expression; raises `ExpressionSyntaxError` (or `UnknownFunction`,
    `LimitExceeded`) with the position of the offending character."""
    if len(text) > limits.max_expression_length:
        raise LimitExceeded(
            f"an expression of {len(text)} characters exceeds the limit of "
            f"{limits.max_expression_length}",
            text,
            limits.max_expression_length,
        )
    parser = _Parser(text, tokenize(text, limits)[0], limits)
    if parser.peek().kind == "end":
        raise ExpressionSyntaxError("empty expression", text, 0)
    node = parser.expression()
    parser.expect_end()
    return node


def _describe(token: Token) -> str:
    if token.kind == "end":
        return "end of expression"
    if token.kind == "string":
        return "string"
    if token.kind == "number":
        return f"number {token.value}"
    return f"'{token.value}'"


class _Parser:
    def __init__(self, text: str, tokens: list[Token], limits: Limits) -> None:
        self.text, self.tokens, self.limits = text, tokens, limits
        self.position = 0
        self.depth = 0

    # --- tokens ---

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.position + ahead, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.position]
        if token.kind != "end":
            self.position += 1
        return token

    def at_op(self, value: str) -> bool:
        token = self.tokens[self.position]
        return token.kind == "op" and token.value == value

    def at_word(self, value: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token.kind == "name" and token.value == value

    def error(self, reason: str, token: Token) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(reason, self.text, token.start)

    def unexpected(self, token: Token) -> ExpressionSyntaxError:
        return self.error(f"unexpected {_describe(token)}", token)

    def expect_op(self, value: str, what: str) -> Token:
        if not self.at_op(value):
            token = self.peek()
            raise self.error(f"expected '{value}' {what}, found {_describe(token)}", token)
        return self.advance()

    def expect_end(self) -> None:
        token = self.peek()
        if token.kind != "end":
            if token.kind == "name" and token.value not in KEYWORDS:
                raise self.error(f"unexpected name '{token.value}': missing an operator?", token)
            raise self.unexpected(token)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise LimitExceeded(
                f"the expression is nested deeper than the limit of {self.limits.max_depth}",
                self.text,
                self.peek().start,
            )

    # --- precedence levels, lowest first ---
    #
    # Two levels share a function where they can (`or` with `and`, `+ -` with `* / %`) and
    # prefix operators are counted in a loop: each level of nesting of the text costs few
    # Python frames, so `max_depth` levels stay far from Python's recursion limit.

    def expression(self) -> s.Node:
        self.enter()
        alternatives: list[s.Node] = []
        while True:
            conjuncts = [self.negation()]
            while self.at_word("and"):
                self.advance()
                conjuncts.append(self.negation())
            alternatives.append(self.logical("and", conjuncts))
            if not self.at_word("or"):
                break
            self.advance()
        self.depth -= 1
        return self.logical("or", alternatives)

    @staticmethod
    def logical(operator: Literal["and", "or"], operands: list[s.Node]) -> s.Node:
        if len(operands) == 1:
            return operands[0]
        return s.Logical(operator, tuple(operands), operands[0].start, operands[-1].end)

    def negation(self) -> s.Node:
        starts = []
        while self.at_word("not") and not self.at_word("in", 1):
            starts.append(self.advance().start)
            self.enter()
        node = self.comparison()
        for start in reversed(starts):
            node = s.Not(node, start, node.end)
            self.depth -= 1
        return node

    def comparison(self) -> s.Node:
        first = self.arithmetic()
        rest: list[s.Operation] = []
        while True:
            token = self.peek()
            if token.kind == "op" and token.value in _COMPARISONS:
                operator = token.value
                self.advance()
            elif self.at_word("in"):
                operator = "in"
                self.advance()
            elif self.at_word("not") and self.at_word("in", 1):
                operator = "not in"
                self.advance()
                self.advance()
            else:
                break
            rest.append(s.Operation(operator, token.start, self.arithmetic()))
        if not rest:
            return first
        return s.Comparison(first, tuple(rest), first.start, rest[-1].operand.end)

    def arithmetic(self) -> s.Node:
        """Terms (``+ -``) of factors (``* / %``), in one frame."""
        head: s.Node | None = None
        rest: list[s.Operation] = []
        sign: Token | None = None  # the `+` or `-` before the current term
        while True:
            first = self.unary()
            factors: list[s.Operation] = []
            while self.peek().kind == "op" and self.peek().value in _FACTOR:
                token = self.advance()
                factors.append(s.Operation(token.value, token.start, self.unary()))
            term = first
            if factors:
                term = s.Arithmetic(first, tuple(factors), first.start, factors[-1].operand.end)
            if sign is None:
                head = term
            else:
                rest.append(s.Operation(sign.value, sign.start, term))
            token = self.peek()
            if not (token.kind == "op" and token.value in _TERM):
                break
            sign = self.advance()
        assert head is not None
        if not rest:
            return head
        return s.Arithmetic(head, tuple(rest), head.start, rest[-1].operand.end)

    def unary(self) -> s.Node:
        starts = []
        while self.at_op("-"):
            starts.append(self.advance().start)
            self.enter()
        node = self.postfix()
        for start in reversed(starts):
            if isinstance(node, s.Literal) and type(node.value) in (int, float):
                node = s.Literal(-node.value, start, node.end)  # `-3` is a constant
            else:
                node = s.Negation(node, start, node.end)
            self.depth -= 1
        return node

    def postfix(self) -> s.Node:
        start = self.peek().start
        base = self.primary()
        accesses: list[s.Field | s.Index] = []
        while True:
            if self.at_op("."):
                self.advance()
                token = self.advance()
                if token.kind == "name":
                    self.check_name(token)
                    accesses.append(s.Field(token.value, token.start, token.end))
                elif token.kind == "number" and type(token.value) is int:
                    accesses.append(s.Field(token.value, token.start, token.end))
                else:
                    raise self.error(
                        f"expected a field name after '.', found {_describe(token)}", token
                    )
            elif self.at_op("["):
                opening = self.advance()
                index = self.expression()
                closing = self.expect_op("]", "to close the index")
                accesses.append(s.Index(index, opening.start, closing.end))
            elif self.at_op("("):
                raise self.error(
                    "only built-in functions can be called, by their name: write upper(x), "
                    "not x.upper()",
                    self.peek(),
                )
            else:
                break
        if not accesses:
            return base
        return s.Postfix(base, tuple(accesses), start, accesses[-1].end)

    def primary(self) -> s.Node:
        token = self.peek()
        if token.kind in ("number", "string"):
            self.advance()
            return s.Literal(token.value, token.start, token.end)
        if token.kind == "name":
            return self.word(token)
        if token.kind == "op" and token.value == "(":
            self.advance()
            node = self.expression()
            self.expect_op(")", "to close the parenthesis")
            return node
        if token.kind == "op" and token.value == "[":
            return self.list_literal()
        if token.kind == "op" and token.value == "{":
            return self.object_literal()
        if token.kind == "end":
            raise self.error("unexpected end of expression", token)
        raise self.unexpected(token)

    def word(self, token: Token) -> s.Node:
        name = token.value
        if name in _CONSTANTS:
            self.advance()
            return s.Literal(_CONSTANTS[name], token.start, token.end)
        if name in KEYWORDS:
            raise self.unexpected(token)
        if name in _PYTHON_CONSTANTS:
            raise self.error(f"'{name}' is not a value: write '{_PYTHON_CONSTANTS[name]}'", token)
        self.check_name(token)
        self.advance()
        if not self.at_op("("):
            return s.Name(name, token.start, token.end)
        function = FUNCTIONS.get(name)
        if function is None:
            close = difflib.get_close_matches(name, FUNCTIONS, n=1)
            raise UnknownFunction(
                f"unknown function '{name}'",
                self.text,
                token.start,
                hint=f"did you mean '{close[0]}'?" if close else None,
            )
        self.advance()
        arguments = self.sequence(")", "to close the arguments")
        if not function.minimum <= len(arguments) <= function.maximum:
            raise ExpressionSyntaxError(
                f"{name}() takes {function.arity()}, got {len(arguments)}", self.text, token.start
            )
        return s.Call(name, tuple(arguments), token.start, self.tokens[self.position - 1].end)

    def check_name(self, token: Token) -> None:
        if token.value.startswith("__"):
            raise self.error(f"names starting with '__' are not allowed: '{token.value}'", token)

    def sequence(self, closer: str, what: str) -> list[s.Node]:
        """Comma-separated expressions up to `closer` (a trailing comma is allowed)."""
        items: list[s.Node] = []
        while not self.at_op(closer):
            items.append(self.expression())
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(closer, what)
        return items

    def list_literal(self) -> s.Node:
        start = self.advance().start  # its items are expressions: they count the nesting
        items = self.sequence("]", "to close the array")
        return s.ListLiteral(tuple(items), start, self.tokens[self.position - 1].end)

    def object_literal(self) -> s.Node:
        start = self.advance().start  # its values are expressions: they count the nesting
        entries: list[tuple[str, s.Node]] = []
        while not self.at_op("}"):
            key = self.advance()
            if key.kind != "string":
                raise self.error(
                    f"an object key must be a string in quotes, found {_describe(key)}", key
                )
            self.expect_op(":", "after an object key")
            entries.append((key.value, self.expression()))
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op("}", "to close the object")
        return s.ObjectLiteral(tuple(entries), start, self.tokens[self.position - 1].end)
