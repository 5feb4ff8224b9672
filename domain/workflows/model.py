"""The workflow model both definition formats are parsed into: a `Workflow` of `TaskSpec`s
with their `Transition`s, `Items`, `Retry`, and what the conductor derives from them once
(its `Graph`).

Everything here is immutable and holds its expressions compiled, so a workflow is parsed
and checked once and then shared by every run of it. Values that may hold templates
(`input`, `publish`, `vars`, `output`, `delay`, ...) are kept as written (JSON-like data)
and rendered by the conductor with `render_value`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from attune.domain.expressions import Expression, Template

if TYPE_CHECKING:
    from attune.domain.workflows.graph import Graph

# The engine commands a transition's `do` may name instead of a task.
ENGINE_COMMANDS = frozenset({"noop", "fail", "continue", "retry"})
Format = Literal["orquesta", "attune"]
Condition = Expression | Template  # a bare expression, or a template of one block


@dataclass(frozen=True, slots=True)
class Transition:
    """One entry of a task's `next`: when its condition holds after the task ended, it
    publishes its variables and starts its targets (tasks or engine commands)."""

    when: Condition | None  # None: always
    when_text: str | None
    publish: tuple[tuple[str, Any], ...]  # (variable, value as written), in order
    do: tuple[str, ...]
    label: str | None = None
    color: str | None = None


@dataclass(frozen=True, slots=True)
class Items:
    """A `with items` loop: what to iterate (a template, or a list as written), the names
    each item is bound to (`x, y in <expr>` zips), and how many run at once (None: all):
    as a sliding window, or (`batches`) in batches, each started when the last ended."""

    source: Any
    names: tuple[str, ...] = ()
    concurrency: Any = None  # an int, a template, or None
    batches: bool = False


@dataclass(frozen=True, slots=True)
class Retry:
    """Run a failed task again: up to `count` more times, while `when` holds (default:
    the task failed), waiting `delay` seconds, times `backoff` after each attempt, at most
    `max_delay`."""

    count: Any  # an int or a template
    delay: Any = 0
    backoff: float = 1.0
    max_delay: float | None = None
    when: Condition | None = None
    when_text: str | None = None


@dataclass(frozen=True, slots=True)
class TaskSpec:
    name: str
    action: str | None  # None: a task that only routes (it succeeds at once)
    input: dict[str, Any] = field(default_factory=dict)
    next: tuple[Transition, ...] = ()
    join: Literal["all"] | int | None = None
    items: Items | None = None
    retry: Retry | None = None
    delay: Any = None  # seconds, or a template; None: start at once
    timeout: Any = None  # seconds, or a template; None: the action's own


@dataclass(frozen=True)
class Workflow:
    """A parsed, checked workflow definition."""

    format: Format
    tasks: dict[str, TaskSpec]  # in the order written
    input: tuple[tuple[str, Any], ...] = ()  # (name, default as written; MISSING: none)
    vars: tuple[tuple[str, Any], ...] = ()
    output: tuple[tuple[str, Any], ...] = ()
    description: str | None = None
    graph: Graph | None = None  # derived once it is checked (`graph.compose`)

    @property
    def start(self) -> tuple[str, ...]:
        """The tasks started when the workflow starts: those nothing leads to."""
        return self.graph.start if self.graph is not None else ()


class _Missing:
    """The default of an input that has none: the caller must give it."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
