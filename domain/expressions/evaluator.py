"""The evaluator: a syntax tree compiled once into a tree of small closures, each taking
the `Evaluation` and returning a value. Evaluating walks no tree and dispatches on no node
type; the common shapes (a comparison with a constant, a dotted path, membership in a
literal list of strings) get closures of their own.

Steps are charged without a counter in every closure: each compiled node knows its *cost*,
the number of nodes evaluated whenever it is (its unconditional descendants and itself).
The whole cost is charged before evaluation starts, and the cost of an operand that may be
skipped (the right of ``and``/``or``, a chained comparison's later operands) only when it
is reached. Functions and operators charge the elements they visit as they go.

Names: a bare name is a namespace root. ``vars``/``variables`` are ``workflow`` and
``tasks`` is ``task``; a canonical namespace absent from the scope is null; any other name
is read from the scope if the caller supplies it (``trigger``, ``event`` ...), else from
``workflow`` (a workflow variable).
"""

from __future__ import annotations

import operator as operator_module
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from attune.domain.expressions import syntax as s
from attune.domain.expressions import values as v
from attune.domain.expressions.context import Evaluation
from attune.domain.expressions.errors import (
    ExpressionTypeError,
    ExpressionValueError,
    LimitExceeded,
    UndefinedName,
)
from attune.domain.expressions.functions import FUNCTIONS, CallSite
from attune.domain.expressions.limits import CHARS_PER_STEP

NAMESPACES = frozenset(
    {"parameters", "workflow", "task", "config", "keystore", "item", "index", "system"}
)
ALIASES = {"vars": "workflow", "variables": "workflow", "tasks": "task"}

Closure = Callable[[Evaluation], Any]
_MISSING: Any = object()


@dataclass(frozen=True, slots=True)
class Compiled:
    closure: Closure
    cost: int  # nodes evaluated whenever this one is (see the module's docstring)


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled expression: its closure, its cost, and what it reads and calls."""

    closure: Closure
    cost: int
    names: frozenset[str]  # bare names, as written
    functions: frozenset[str]


def compile_tree(tree: s.Node, text: str) -> Program:
    compiler = _Compiler(text)
    compiled = compiler.node(tree)
    return Program(
        compiled.closure, compiled.cost, frozenset(compiler.names), frozenset(compiler.functions)
    )


def canonical_root(name: str) -> str:
    return ALIASES.get(name, name)


# --- reading fields, indexes and names ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Where:
    """An access as written: what to name when it fails, and where. The names are sliced
    from the text only then (a long path would otherwise keep a slice per access)."""

    text: str
    start: int  # of the whole postfix expression
    base_end: int  # of the value accessed
    end: int  # of this access
    offset: int  # what an error points at
    is_field: bool  # `.name` or `.0`, not `[...]`

    @property
    def path(self) -> str:
        """The text up to and including this access: ``trigger.items[0]``."""
        return self.text[self.start : self.end]

    @property
    def base(self) -> str:
        """The text before it: ``trigger.items``."""
        return self.text[self.start : self.base_end]


def _article(kind: str) -> str:
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _read(value: Any, key: Any, where: _Where) -> Any:
    """`value[key]` on an object (string keys) or an array (integer positions, negative
    from the end); nothing else has fields, and nothing has Python attributes."""
    shape = v.kind(value)
    if shape == v.OBJECT:
        if where.is_field and type(key) is int:
            key = str(key)  # `.0` of an object is its key "0"
        if v.kind(key) != v.STRING:
            raise ExpressionTypeError(
                f"an object key must be a string, got {v.type_name(key)}", offset=where.offset
            )
        found = value.get(key, _MISSING)
        if found is not _MISSING:
            return found
        raise UndefinedName(f"undefined name '{where.path}'", offset=where.offset)
    if shape == v.ARRAY:
        if v.kind(key) != v.INTEGER:
            if where.is_field:
                raise ExpressionTypeError(
                    f"cannot read '{where.path}': '{where.base}' is an array (use an index "
                    "such as [0])",
                    offset=where.offset,
                )
            raise ExpressionTypeError(
                f"an array index must be an integer, got {v.type_name(key)}", offset=where.offset
            )
        if -len(value) <= key < len(value):
            return value[key]
        raise UndefinedName(
            f"undefined name '{where.path}' (the array has {len(value)} items)",
            offset=where.offset,
        )
    if shape == v.NULL:
        raise UndefinedName(
            f"undefined name '{where.path}' ('{where.base}' is null)", offset=where.offset
        )
    raise ExpressionTypeError(
        f"cannot read '{where.path}': '{where.base}' is {_article(v.type_name(value))}",
        offset=where.offset,
    )


def _root_reader(name: str, offset: int) -> Closure:
    canonical = canonical_root(name)
    if canonical in NAMESPACES:

        def namespace(ev: Evaluation) -> Any:
            return ev.scope.get(canonical)

        return namespace

    def supplied_or_variable(ev: Evaluation) -> Any:
        scope = ev.scope
        value = scope.get(name, _MISSING)
        if value is not _MISSING:
            return value
        workflow = scope.get("workflow")
        if isinstance(workflow, Mapping):
            value = workflow.get(name, _MISSING)
            if value is not _MISSING:
                return value
        raise UndefinedName(f"undefined name '{name}'", offset=offset)

    return supplied_or_variable


# --- operators ---------------------------------------------------------------------------

Operator = Callable[[Any, Any, Evaluation, int], Any]


def _add(a: Any, b: Any, ev: Evaluation, offset: int) -> Any:
    ta, tb = type(a), type(b)
    if ta is int and tb is int:
        return ev.integer(a + b, offset)
    if ta is str and tb is str and len(a) + len(b) < CHARS_PER_STEP:
        ev.steps += 1  # what `ev.string` charges a short string, inline
        if ev.steps > ev.max_steps:
            ev.exhausted(offset)
        if len(a) + len(b) <= ev.limits.max_string_length:
            return a + b
    ka, kb = v.kind(a), v.kind(b)
    if ka in v.NUMBERS and kb in v.NUMBERS:
        return ev.number(a + b, offset)
    if ka == v.STRING and kb == v.STRING:
        ev.string(len(a) + len(b), offset)
        return str(a) + str(b)
    if ka == v.ARRAY and kb == v.ARRAY:
        ev.collection(len(a) + len(b), offset)
        return [*a, *b]
    raise ExpressionTypeError(f"cannot add {v.type_name(a)} and {v.type_name(b)}", offset=offset)


def _numbers(a: Any, b: Any, offset: int, refusal: str) -> None:
    if not (v.is_number(a) and v.is_number(b)):
        raise ExpressionTypeError(refusal.format(a=v.type_name(a), b=v.type_name(b)), offset=offset)


def _subtract(a: Any, b: Any, ev: Evaluation, offset: int) -> Any:
    _numbers(a, b, offset, "cannot subtract {b} from {a}")
    return ev.number(a - b, offset)


def _multiply(a: Any, b: Any, ev: Evaluation, offset: int) -> Any:
    _numbers(a, b, offset, "cannot multiply {a} and {b}")  # no repetition of strings/arrays
    return ev.number(a * b, offset)


def _divide(a: Any, b: Any, ev: Evaluation, offset: int) -> Any:
    """Integers stay integers when the division is exact: ``10 / 5`` is 2, ``10 / 4`` 2.5."""
    _numbers(a, b, offset, "cannot divide {a} by {b}")
    if b == 0:
        raise ExpressionValueError("division by zero", offset=offset)
    if v.kind(a) == v.INTEGER and v.kind(b) == v.INTEGER:
        quotient, remainder = divmod(int(a), int(b))
        if remainder == 0:
            return ev.integer(quotient, offset)
    return ev.number(a / b, offset)


def _modulo(a: Any, b: Any, ev: Evaluation, offset: int) -> Any:
    """Python's modulo: the result has the divisor's sign (``-7 % 3`` is 2)."""
    _numbers(a, b, offset, "cannot take {a} modulo {b}")
    if b == 0:
        raise ExpressionValueError("modulo by zero", offset=offset)
    return ev.number(a % b, offset)


_ARITHMETIC: dict[str, Operator] = {
    "+": _add,
    "-": _subtract,
    "*": _multiply,
    "/": _divide,
    "%": _modulo,
}


def _comparison(operator: str) -> Operator:
    if operator == "==":
        return lambda a, b, ev, offset: v.equal(a, b, ev, offset)
    if operator == "!=":
        return lambda a, b, ev, offset: not v.equal(a, b, ev, offset)
    if operator == "in":
        return lambda a, b, ev, offset: v.contains(b, a, ev, offset, "'in'")
    if operator == "not in":
        return lambda a, b, ev, offset: not v.contains(b, a, ev, offset, "'not in'")
    return lambda a, b, ev, offset: v.ordered(operator, a, b, offset)


# --- the compiler ------------------------------------------------------------------------


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text
        self.names: set[str] = set()
        self.functions: set[str] = set()

    def node(self, node: s.Node) -> Compiled:
        if isinstance(node, s.Literal):
            return self.literal(node)
        if isinstance(node, s.Name):
            self.names.add(node.name)
            return Compiled(_root_reader(node.name, node.start), 1)
        if isinstance(node, s.Postfix):
            return self.postfix(node)
        if isinstance(node, s.Call):
            return self.call(node)
        if isinstance(node, s.Comparison):
            return self.comparison(node)
        if isinstance(node, s.Logical):
            return self.logical(node)
        if isinstance(node, s.Arithmetic):
            return self.arithmetic(node)
        if isinstance(node, s.Not):
            return self.negation(node)
        if isinstance(node, s.Negation):
            return self.minus(node)
        if isinstance(node, s.ListLiteral):
            return self.list_literal(node)
        return self.object_literal(node)

    def literal(self, node: s.Literal) -> Compiled:
        value = node.value
        return Compiled(lambda ev: value, 1)

    def list_literal(self, node: s.ListLiteral) -> Compiled:
        items = [self.node(item) for item in node.items]
        closures, size, offset = tuple(c.closure for c in items), len(items), node.start

        def array(ev: Evaluation) -> list[Any]:
            if size > ev.limits.max_collection_length:
                ev.collection(size, offset)  # raises
            return [closure(ev) for closure in closures]

        return Compiled(array, 1 + sum(c.cost for c in items))

    def object_literal(self, node: s.ObjectLiteral) -> Compiled:
        entries = [(key, self.node(value)) for key, value in node.entries]
        closures = tuple((key, c.closure) for key, c in entries)
        size, offset = len(dict(node.entries)), node.start

        def object_(ev: Evaluation) -> dict[str, Any]:
            if size > ev.limits.max_collection_length:
                ev.collection(size, offset)  # raises
            return {key: closure(ev) for key, closure in closures}

        return Compiled(object_, 1 + sum(c.cost for _, c in entries))

    def postfix(self, node: s.Postfix) -> Compiled:
        base = self.node(node.base)
        cost = base.cost
        steps: list[tuple[Any, Closure | None, _Where]] = []
        previous_end = node.base.end
        for access in node.accesses:
            where = _Where(
                self.text,
                node.start,
                previous_end,
                access.end,
                offset=access.start if isinstance(access, s.Field) else access.index.start,
                is_field=isinstance(access, s.Field),
            )
            previous_end = access.end
            cost += 1
            if isinstance(access, s.Field):
                steps.append((access.key, None, where))
            else:
                index = self.node(access.index)
                cost += index.cost
                steps.append((None, index.closure, where))
        if all(closure is None for _, closure, _ in steps):
            fields = tuple((key, type(key) is str, where) for key, _, where in steps)
            root = node.base.name if isinstance(node.base, s.Name) else None
            return Compiled(_path(root, base.closure, fields), cost)
        base_closure, accesses = base.closure, tuple(steps)

        def postfix(ev: Evaluation) -> Any:
            value = base_closure(ev)
            for key, index, where in accesses:
                value = _read(value, key if index is None else index(ev), where)
            return value

        return Compiled(postfix, cost)

    def call(self, node: s.Call) -> Compiled:
        self.functions.add(node.function)
        arguments = [self.node(argument) for argument in node.arguments]
        implementation = FUNCTIONS[node.function].implementation
        site = CallSite(node.function, node.start, tuple(a.start for a in node.arguments))
        cost = 1 + sum(a.cost for a in arguments)
        closures = tuple(a.closure for a in arguments)
        offset = node.start
        # OverflowError: a function mixing a huge integer from the scope with floats.
        if len(closures) == 1:
            (only,) = closures

            def call(ev: Evaluation) -> Any:
                try:
                    return implementation(ev, site, [only(ev)])
                except OverflowError as error:
                    raise LimitExceeded("a number is too large", offset=offset) from error

            return Compiled(call, cost)

        def call_many(ev: Evaluation) -> Any:
            try:
                return implementation(ev, site, [c(ev) for c in closures])
            except OverflowError as error:
                raise LimitExceeded("a number is too large", offset=offset) from error

        return Compiled(call_many, cost)

    def minus(self, node: s.Negation) -> Compiled:
        operand, offset = self.node(node.operand), node.start
        closure = operand.closure

        def negative(ev: Evaluation) -> Any:
            value = closure(ev)
            if v.is_number(value):
                return -value
            raise ExpressionTypeError(f"cannot negate {v.type_name(value)}", offset=offset)

        return Compiled(negative, 1 + operand.cost)

    def negation(self, node: s.Not) -> Compiled:
        operand = self.node(node.operand)
        closure = operand.closure
        return Compiled(lambda ev: not closure(ev), 1 + operand.cost)

    def arithmetic(self, node: s.Arithmetic) -> Compiled:
        first = self.node(node.first)
        rest = [(o, self.node(o.operand)) for o in node.rest]
        cost = first.cost + sum(1 + c.cost for _, c in rest)
        head = first.closure
        # OverflowError: arithmetic on a huge integer from the scope may overflow a float.
        if len(rest) == 1:
            operation, second = rest[0]
            operator, offset = _ARITHMETIC[operation.operator], operation.offset
            tail = second.closure

            def single(ev: Evaluation) -> Any:
                try:
                    return operator(head(ev), tail(ev), ev, offset)
                except OverflowError as error:
                    raise LimitExceeded("a number is too large", offset=offset) from error

            return Compiled(single, cost)
        operations = tuple((_ARITHMETIC[o.operator], c.closure, o.offset) for o, c in rest)
        chain_start = node.start

        def chain(ev: Evaluation) -> Any:
            value = head(ev)
            try:
                for operator, closure, offset in operations:
                    value = operator(value, closure(ev), ev, offset)
            except OverflowError as error:
                raise LimitExceeded("a number is too large", offset=chain_start) from error
            return value

        return Compiled(chain, cost)

    def comparison(self, node: s.Comparison) -> Compiled:
        first = self.node(node.first)
        rest = [(o, self.node(o.operand)) for o in node.rest]
        (operation, second), later = rest[0], rest[1:]
        cost = first.cost + 1 + second.cost  # later operands are evaluated only if reached
        if not later:
            special = _constant_comparison(first.closure, operation, node.rest[0].operand)
            if special is not None:
                return Compiled(special, cost)
            compare, offset = _comparison(operation.operator), operation.offset
            head, tail = first.closure, second.closure
            return Compiled(lambda ev: compare(head(ev), tail(ev), ev, offset), cost)
        head = first.closure
        links = tuple(
            (_comparison(o.operator), c.closure, o.offset, 0 if i == 0 else 1 + c.cost)
            for i, (o, c) in enumerate(rest)
        )

        def chained(ev: Evaluation) -> bool:
            left = head(ev)
            for compare, closure, offset, charge in links:
                if charge:
                    ev.charge(charge, offset)
                right = closure(ev)
                if not compare(left, right, ev, offset):
                    return False
                left = right
            return True

        return Compiled(chained, cost)

    def logical(self, node: s.Logical) -> Compiled:
        operands = [self.node(o) for o in node.operands]
        head = operands[0].closure
        tail = tuple(
            (c.closure, c.cost, o.start)
            for c, o in zip(operands[1:], node.operands[1:], strict=True)
        )
        cost = 1 + operands[0].cost
        if node.operator == "and":

            def conjunction(ev: Evaluation) -> bool:
                if not head(ev):
                    return False
                for closure, charge, offset in tail:
                    ev.steps += charge
                    if ev.steps > ev.max_steps:
                        ev.exhausted(offset)
                    if not closure(ev):
                        return False
                return True

            return Compiled(conjunction, cost)

        def disjunction(ev: Evaluation) -> bool:
            if head(ev):
                return True
            for closure, charge, offset in tail:
                ev.steps += charge
                if ev.steps > ev.max_steps:
                    ev.exhausted(offset)
                if closure(ev):
                    return True
            return False

        return Compiled(disjunction, cost)


def _path(root: str | None, base: Closure, fields: tuple[tuple[Any, bool, _Where], ...]) -> Closure:
    """``a.b.c``, the most common expression: the root read from the scope inline (`base`
    only when the scope lacks it: a workflow variable, or an absent namespace), then each
    field with a fast path for dicts; `_read` for everything else, errors included."""
    if root is not None:
        root = canonical_root(root)
    if len(fields) == 1:
        ((key, named, where),) = fields

        def field(ev: Evaluation) -> Any:
            value = ev.scope.get(root, _MISSING) if root is not None else _MISSING
            if value is _MISSING:
                value = base(ev)
            if named and type(value) is dict:
                found = value.get(key, _MISSING)
                if found is not _MISSING:
                    return found
            return _read(value, key, where)

        return field

    def path(ev: Evaluation) -> Any:
        value = ev.scope.get(root, _MISSING) if root is not None else _MISSING
        if value is _MISSING:
            value = base(ev)
        for key, named, where in fields:
            if named and type(value) is dict:
                value = value.get(key, _MISSING)
                if value is _MISSING:
                    raise UndefinedName(f"undefined name '{where.path}'", offset=where.offset)
            else:
                value = _read(value, key, where)
        return value

    return path


def _constant_comparison(head: Closure, operation: s.Operation, right: s.Node) -> Closure | None:
    """A closure for ``x <op> constant`` that skips the general rules where the constant
    decides them (the result is the same; only the work differs)."""
    operator, offset = operation.operator, operation.offset
    if isinstance(right, s.ListLiteral) and operator in ("in", "not in"):
        if not all(isinstance(i, s.Literal) and type(i.value) is str for i in right.items):
            return None
        members = frozenset(i.value for i in right.items if isinstance(i, s.Literal))
        wanted = operator == "in"
        constant = [i.value for i in right.items if isinstance(i, s.Literal)]

        def member(ev: Evaluation) -> bool:
            value = head(ev)
            if type(value) is str:
                return (value in members) is wanted
            return v.contains(constant, value, ev, offset, f"'{operator}'") is wanted

        return member
    if not isinstance(right, s.Literal):
        return None
    constant, t = right.value, type(right.value)
    if operator in ("==", "!="):
        wanted = operator == "=="

        def same(ev: Evaluation) -> bool:
            value = head(ev)
            if type(value) is t:
                return (value == constant) is wanted
            return v.equal(value, constant, ev, offset) is wanted

        return same
    if operator in ("<", ">", "<=", ">=") and (t is int or t is float):
        slow, fast = _comparison(operator), _ORDER[operator]

        def ordered(ev: Evaluation) -> bool:
            value = head(ev)
            tv = type(value)
            if tv is int or tv is float:
                return bool(fast(value, constant))
            return bool(slow(value, constant, ev, offset))

        return ordered
    return None


_ORDER: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator_module.lt,
    ">": operator_module.gt,
    "<=": operator_module.le,
    ">=": operator_module.ge,
}
