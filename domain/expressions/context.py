"""What one evaluation runs with: the scope, the workflow run (if any) and the meter that
holds it to its `Limits`.

`RunContext` is how the workflow engine lends what depends on a run to the Orquesta
functions (`result()`, `succeeded()`, `ctx()`, `item()`, `task_status()`); outside a workflow
there is none, and those functions refuse with `NotInWorkflow`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NoReturn, Protocol

from attune.domain.expressions.errors import LimitExceeded
from attune.domain.expressions.limits import CHARS_PER_STEP, Limits


class RunContext(Protocol):
    """The run an expression is evaluated in, seen from the task it belongs to."""

    def result(self) -> Any:
        """The current task's result (None when it has none)."""

    def status(self) -> str | None:
        """The current task's status (``succeeded``, ``failed``, ``timeout``...), or None when
        there is no current task."""

    def task_status(self, name: str) -> str | None:
        """The status of the task `name` on the current route, or None if it has not run."""

    def variables(self) -> Mapping[str, Any]:
        """The workflow's variables."""

    def item(self) -> Any:
        """The current element of a ``with items`` loop (None outside one)."""


class Evaluation:
    """The state of one evaluation; compiled nodes receive it and nothing else.

    `steps` counts what was done so far; every charge checks it against `max_steps`.
    """

    __slots__ = ("scope", "run", "limits", "steps", "max_steps")

    def __init__(self, scope: Mapping[str, Any], run: RunContext | None, limits: Limits) -> None:
        # One assignment each: tuple assignment costs twice as much, for every evaluation.
        self.scope = scope
        self.run = run
        self.limits = limits
        self.steps = 0
        self.max_steps = limits.max_steps

    def charge(self, steps: int, offset: int) -> None:
        self.steps += steps
        if self.steps > self.max_steps:
            self.exhausted(offset)

    def exhausted(self, offset: int) -> NoReturn:
        raise LimitExceeded(
            f"evaluation exceeds the limit of {self.max_steps} steps", offset=offset
        )

    def charge_characters(self, characters: int, offset: int) -> None:
        self.charge(characters // CHARS_PER_STEP + 1, offset)

    def string(self, length: int, offset: int) -> None:
        """Check, before building it, a string of `length` characters; charge its copying."""
        if length > self.limits.max_string_length:
            raise LimitExceeded(
                f"a string of {length} characters exceeds the limit of "
                f"{self.limits.max_string_length}",
                offset=offset,
            )
        self.charge_characters(length, offset)

    def collection(self, length: int, offset: int) -> None:
        """Check, before building it, an array or object of `length` items; charge them."""
        if length > self.limits.max_collection_length:
            raise LimitExceeded(
                f"a collection of {length} items exceeds the limit of "
                f"{self.limits.max_collection_length}",
                offset=offset,
            )
        self.charge(length + 1, offset)

    def integer(self, value: int, offset: int) -> int:
        if value.bit_length() > self.limits.max_integer_bits:
            raise LimitExceeded(
                f"an integer exceeds the limit of {self.limits.max_integer_bits} bits",
                offset=offset,
            )
        return value

    def number(self, value: int | float, offset: int) -> int | float:
        """Check a computed number: ints by width, floats finite."""
        if type(value) is float:
            if not math.isfinite(value):
                raise LimitExceeded("a number is too large (not a finite float)", offset=offset)
            return value
        return self.integer(int(value), offset)

    def depth(self, depth: int, offset: int) -> None:
        if depth > self.limits.max_depth:
            raise LimitExceeded(
                f"a value is nested deeper than the limit of {self.limits.max_depth}",
                offset=offset,
            )
