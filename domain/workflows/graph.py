"""The task graph of a workflow, as Orquesta composes it: one edge per (transition, target),
the engine commands as targets of their own, splits and cycles.

- An edge from `source` to `target` has a *key*: 0 for the first edge between the two, 1
  for the next, counted in target-name order (Orquesta's transition ids, ``target__t0``,
  and its routes, ``source__t0``, are made of it) and the *ref* of the transition it
  comes from (its index in `next`). A transition without `do` leads to `continue`.
- A task (or engine command) that is not a join and is the target of more than one edge
  is a **split**, unless it is in a cycle: each edge that reaches it starts a route of its
  own, so it runs once per route.
- `do: retry` is no edge: it gives the task a retry (`count` 3, when that transition's
  condition holds; without one, when the task failed: Orquesta would retry a task that
  succeeded too, docs/decisions.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from attune.domain.workflows.model import Retry, TaskSpec

CONTINUE = "continue"
# The engine commands a transition's `do` may name; `retry` is no node of the graph.
COMMAND_NODES = frozenset({"noop", "fail", CONTINUE})
RETRY_COMMAND = "retry"
RETRY_COMMAND_COUNT = 3


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    key: int  # the edge's number among those from `source` to `target`
    ref: int  # the index of its transition in the source's `next`

    @property
    def id_out(self) -> str:
        """How the source names it: ``target__tK``."""
        return f"{self.target}__t{self.key}"

    @property
    def id_in(self) -> str:
        """How routes and the target name it: ``source__tK``."""
        return f"{self.source}__t{self.key}"


@dataclass(frozen=True)
class Graph:
    outbound: dict[str, tuple[Edge, ...]]  # by source, in target-name order
    inbound: dict[str, tuple[Edge, ...]]  # by target, in the order they were composed
    start: tuple[str, ...]  # the tasks nothing leads to, by name
    splits: frozenset[str]
    cycles: frozenset[str]  # the tasks that can reach themselves
    retries: dict[str, Retry]  # the retries `do: retry` gives

    def sources(self, target: str) -> tuple[str, ...]:
        """The distinct tasks that lead to `target`, in order."""
        return tuple(dict.fromkeys(edge.source for edge in self.inbound.get(target, ())))


def compose(tasks: dict[str, TaskSpec]) -> Graph:
    """The graph of `tasks` (whose targets have been checked to exist)."""
    outbound: dict[str, tuple[Edge, ...]] = {}
    inbound: dict[str, list[Edge]] = {name: [] for name in (*tasks, *COMMAND_NODES)}
    retries: dict[str, Retry] = {}
    for name, task in tasks.items():
        pairs = []
        for ref, transition in enumerate(task.next):
            for target in transition.do or (CONTINUE,):
                if target == RETRY_COMMAND:
                    retries[name] = Retry(
                        count=RETRY_COMMAND_COUNT,
                        when=transition.when,
                        when_text=transition.when_text,
                    )
                elif target in tasks or target in COMMAND_NODES:
                    pairs.append((target, ref))
        pairs.sort(key=lambda pair: pair[0])  # (stable: one target's edges keep their order)
        keys: dict[str, int] = {}
        edges: list[Edge] = []
        for target, ref in pairs:
            key = keys.get(target, 0)
            keys[target] = key + 1
            edges.append(Edge(name, target, key, ref))
        outbound[name] = tuple(edges)
    for composed in outbound.values():
        for edge in composed:
            inbound[edge.target].append(edge)
    cycles = frozenset(name for name in tasks if _reaches(outbound, name, name))
    splits = frozenset(
        name
        for name, edges in inbound.items()
        if len(edges) > 1 and name not in cycles and (name not in tasks or tasks[name].join is None)
    )
    start = tuple(sorted(name for name in tasks if not inbound[name]))
    return Graph(
        outbound=outbound,
        inbound={name: tuple(edges) for name, edges in inbound.items()},
        start=start,
        splits=splits,
        cycles=cycles,
        retries=retries,
    )


def _reaches(outbound: dict[str, tuple[Edge, ...]], source: str, target: str) -> bool:
    seen: set[str] = set()
    frontier = [edge.target for edge in outbound.get(source, ())]
    while frontier:
        name = frontier.pop()
        if name == target:
            return True
        if name not in seen:
            seen.add(name)
            frontier.extend(edge.target for edge in outbound.get(name, ()))
    return False
