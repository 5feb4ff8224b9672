"""The syntax tree of an expression: frozen nodes, each with its `start` and `end` offsets in
the text (errors point at them, and a path's text names what is undefined).

Runs of one precedence level are single nodes (`Arithmetic`, `Comparison`, `Logical`,
`Postfix` hold a sequence), so a long ``a + b + c ...`` is a flat node, not a deep tree:
the tree is only as deep as the text's nesting, which the parser bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias
from typing import Literal as Exactly

ArithmeticOperator: TypeAlias = Exactly["+", "-", "*", "/", "%"]
ComparisonOperator: TypeAlias = Exactly["==", "!=", "<", ">", "<=", ">=", "in", "not in"]


@dataclass(frozen=True, slots=True)
class Literal:
    """A number, string, `true`, `false` or `null`."""

    value: Any
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ListLiteral:
    items: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class ObjectLiteral:
    entries: tuple[tuple[str, Node], ...]  # string keys, in order written (a later one wins)
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Name:
    """A bare name: a namespace root, an alias of one, or a workflow variable."""

    name: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Field:
    """``.name``, or ``.0`` (an index written as a field, as in ``items.0``)."""

    key: str | int
    start: int  # of the name after the dot: an undefined field is reported there
    end: int


@dataclass(frozen=True, slots=True)
class Index:
    """``[expression]``."""

    index: Node
    start: int  # of the `[`
    end: int


@dataclass(frozen=True, slots=True)
class Postfix:
    """A value followed by field accesses and indexes: ``trigger.items[0].name``."""

    base: Node
    accesses: tuple[Field | Index, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Call:
    """A call of a built-in function by its bare name (no method calls on values)."""

    function: str
    arguments: tuple[Node, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Negation:
    """Unary minus."""

    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Not:
    operand: Node
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Operation:
    """One ``operator operand`` of a run of same-precedence operators."""

    operator: str
    offset: int  # of the operator: its type errors are reported there
    operand: Node


@dataclass(frozen=True, slots=True)
class Arithmetic:
    """``first (+|-|*|/|%) operand ...`` of one precedence level, left to right."""

    first: Node
    rest: tuple[Operation, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Comparison:
    """``a < b <= c``: chained like Python (``a < b and b <= c``, `b` evaluated once)."""

    first: Node
    rest: tuple[Operation, ...]
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Logical:
    """``a and b and c`` or ``a or b or c``: short-circuit, the result is a boolean."""

    operator: Exactly["and", "or"]
    operands: tuple[Node, ...]
    start: int
    end: int


Node: TypeAlias = (
    Literal
    | ListLiteral
    | ObjectLiteral
    | Name
    | Postfix
    | Call
    | Negation
    | Not
    | Arithmetic
    | Comparison
    | Logical
)
