"""The bounds of compiling and evaluating an expression: nothing an author writes can take
unbounded time or memory, however large the event it is evaluated against.

A *step* is one node of the expression evaluated, one element of a collection that an
operator or function visits (compares, copies, sorts, serialises), or `CHARS_PER_STEP`
characters of a string it processes. Sizes are checked *before* a value is built: a result
that would be too long is refused without being allocated.

The bounds apply to what an expression computes. Values read from the scope (an event's
payload, a task's result) are passed through as they are, whatever their size.

Regular expressions (`match`) cannot be interrupted once started: Python's `re` has no
timeout. Their pattern length is capped (`max_pattern_length`) and their subject by
`max_string_length`, but a pattern with nested quantifiers such as ``(a+)+$`` can still
backtrack for a long time on a hostile subject. Pack authors write patterns; prefer
possessive quantifiers or atomic groups (``(?>a+)``) where input is untrusted.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cached_property

CHARS_PER_STEP = 100


@dataclass(frozen=True)
class Limits:
    """Bounds of one compilation or evaluation; hashable, so compiled forms cache by it."""

    max_steps: int = 100_000
    max_string_length: int = 1_000_000
    max_collection_length: int = 100_000
    # Nesting of the expression text (parentheses, brackets, unary operators) and of the
    # values operations walk (equality, serialisation, json()). Python's own recursion
    # limit sits well above what 64 levels need.
    max_depth: int = 64
    max_expression_length: int = 10_000
    # Integers stay exact Python ints, but no wider than this: a multiplication chain cannot
    # grow one without end, and every int converts to a float without overflow.
    max_integer_bits: int = 256
    max_pattern_length: int = 1_000

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{field.name} must be a positive integer, got {value!r}")

    @cached_property
    def max_integer_digits(self) -> int:
        """Decimal digits an integer of `max_integer_bits` bits can have (a cheap pre-check
        before parsing digits, which is quadratic in their number)."""
        return len(str(2**self.max_integer_bits))


DEFAULT_LIMITS = Limits()
