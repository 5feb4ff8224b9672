"""A workflow run's state, as the conductor keeps it: JSON data changed only by folding
the conductor's recorded operations (`WorkflowState.apply`), so replaying a run's
operations rebuilds its state exactly, without running the conductor again.

- `contexts`: the variables as nodes: the initial values, a publish over a base context,
  or a merge of the contexts that arrived at a join (in arrival order). A context's values
  are its deltas applied in order, each shared ancestor once (`values`).
- `routes`: Orquesta's routes: lists of the split transitions taken (route 0 is `[]`).
- `entries`: one per task run (a retry reuses its entry; a loop's next pass is a new one),
  with the engine commands that ran (`noop`, `fail`, `continue`).
- `staged`: joins waiting for more inbound tasks, and ready tasks not started because the
  workflow is failing.

An operation is a small list: its name, then its arguments (`OPERATIONS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Operation = list[Any]
ABENDED = frozenset({"failed", "timeout", "abandoned"})
ENDED = ABENDED | {"succeeded", "canceled"}


def task_key(task: str, route: int) -> str:
    return f"{task}|{route}"


class WorkflowState:
    __slots__ = (
        "status",
        "inputs",
        "contexts",
        "routes",
        "entries",
        "staged",
        "joined",
        "errors",
        "output",
        "active",
        "latest",
        "folded",
        "_values",
        "derived",
    )

    def __init__(self) -> None:
        self.status = "requested"
        self.inputs: dict[str, Any] = {}
        self.contexts: list[dict[str, Any]] = []
        self.routes: list[list[str]] = [[]]
        self.entries: list[dict[str, Any]] = []
        self.staged: dict[str, dict[str, Any]] = {}
        # The sources each join took in its last run, by task key: a late one is absorbed.
        self.joined: dict[str, list[str]] = {}
        self.errors: list[dict[str, Any]] = []
        self.output: dict[str, Any] | None = None
        self.active: dict[int, None] = {}  # the entries running, in start order
        self.latest: dict[str, int] = {}  # derived: the newest entry of each task key
        self.folded = 0  # the operations folded so far
        self._values: dict[int, dict[str, Any]] = {}  # derived: each context's values
        self.derived: dict[Any, Any] = {}  # what the conductor computes once and keeps

    # -- reading ----------------------------------------------------------------------

    def values(self, context: int) -> dict[str, Any]:
        """The variables of a context (do not change the dict)."""
        chain = []
        index = context
        while index not in self._values:  # (walked, not recursed: a chain may be long)
            node = self.contexts[index]
            if "base" not in node:
                self._values[index] = (
                    dict(node["values"]) if "values" in node else self._merged(index)
                )
                break
            chain.append(index)
            index = node["base"]
        for index in reversed(chain):
            node = self.contexts[index]
            self._values[index] = {**self._values[node["base"]], **node["publish"]}
        return self._values[context]

    def _merged(self, context: int) -> dict[str, Any]:
        """A join's variables: for each one, the value published last along its own
        branch (a value published downstream of another replaces it), and of values
        published on parallel branches, that of the branch that arrived last."""
        inputs = self.contexts[context]["merge"]
        where: dict[int, tuple[int, int]] = {}  # delta -> (last input holding it, place)
        for i, each in enumerate(inputs):
            for j, delta in enumerate(self._deltas(each)):
                where[delta] = (i, j)
        setters: dict[str, list[int]] = {}
        for delta in where:
            for name in self._delta(delta):
                setters.setdefault(name, []).append(delta)
        ancestors: dict[int, set[int]] = {}
        merged: dict[str, Any] = {}
        for name, deltas in setters.items():
            if len(deltas) > 1:
                for delta in deltas:
                    if delta not in ancestors:
                        base = self.contexts[delta].get("base")
                        ancestors[delta] = set() if base is None else set(self._deltas(base))
                deltas = [d for d in deltas if not any(d in ancestors[e] for e in deltas if e != d)]
            merged[name] = self._delta(max(deltas, key=where.__getitem__))[name]
        return merged

    def _delta(self, index: int) -> dict[str, Any]:
        node = self.contexts[index]
        return node["values"] if "values" in node else node["publish"]  # type: ignore[no-any-return]

    def _deltas(self, context: int) -> list[int]:
        """The deltas (initial values, publishes) a context is made of, in the order they
        apply, each once: a join's inputs in arrival order, each after its ancestors."""
        order: list[int] = []
        seen: set[int] = set()
        stack: list[tuple[int, bool]] = [(context, False)]
        while stack:
            index, expanded = stack.pop()
            node = self.contexts[index]
            if expanded:
                if "merge" not in node:
                    order.append(index)
                continue
            if index in seen:
                continue
            seen.add(index)
            stack.append((index, True))
            parents = (
                node["merge"] if "merge" in node else ([node["base"]] if "base" in node else [])
            )
            stack.extend((parent, False) for parent in reversed(parents))
        return order

    def entry(self, task: str, route: int) -> dict[str, Any] | None:
        index = self.latest.get(task_key(task, route))
        return None if index is None else self.entries[index]

    # -- folding ----------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        fold: Callable[..., None] = OPERATIONS[operation[0]]
        fold(self, *operation[1:])
        self.folded += 1

    def apply_all(self, operations: list[Operation]) -> None:
        for operation in operations:
            self.apply(operation)

    def _status(self, status: str) -> None:
        self.status = status

    def _inputs(self, inputs: dict[str, Any]) -> None:
        self.inputs = inputs

    def _context(self, node: dict[str, Any]) -> None:
        self.contexts.append(node)

    def _route(self, route: list[str]) -> None:
        self.routes.append(route)

    def _stage(
        self,
        task: str,
        route: int,
        context: int,
        source: str,
        ready: bool,
        run_on_fail: bool,
        join: bool,
    ) -> None:
        key = task_key(task, route)
        staged = self.staged.get(key)
        if staged is None:
            self.staged[key] = {
                "task": task,
                "route": route,
                "contexts": [context],
                "sources": [source],
                "ready": ready,
                "run_on_fail": run_on_fail,
                "join": join,
            }
        else:
            staged["contexts"].append(context)
            staged["sources"].append(source)
            staged["ready"] = ready
            staged["run_on_fail"] = staged["run_on_fail"] or run_on_fail

    def _absorb(self, task: str, route: int, source: str) -> None:
        self.joined.setdefault(task_key(task, route), []).append(source)

    def _start(self, task: str, route: int, context: int, items: int | None, **_shown: Any) -> None:
        key = task_key(task, route)
        staged = self.staged.pop(key, None)
        if staged is not None and staged["join"]:
            self.joined[key] = list(staged["sources"])
        previous = self.latest.get(key)
        index = len(self.entries)
        self.entries.append(
            {
                "task": task,
                "route": route,
                "iteration": 0 if previous is None else self.entries[previous]["iteration"] + 1,
                "attempt": 0,
                "context": context,
                "status": "running",
                "result": None,
                "next": {},
                "term": False,
                "items": None if items is None else _progress(items),
            }
        )
        self.latest[key] = index
        self.active[index] = None

    def _item_start(self, index: int, item: int, **_shown: Any) -> None:
        items = self.entries[index]["items"]
        items["started"] = item + 1
        items["running"] += 1

    def _item_end(self, index: int, item: int, status: str, result: Any) -> None:
        items = self.entries[index]["items"]
        items["results"][item] = result
        items["running"] -= 1
        if status in ABENDED or status == "canceled":
            items["failed"] = True

    def _retry(self, index: int, **_shown: Any) -> None:
        entry = self.entries[index]
        entry["attempt"] += 1
        entry["status"] = "running"
        entry["result"] = None
        if entry["items"] is not None:
            entry["items"] = _progress(entry["items"]["count"])
        self.active[index] = None

    def _end(self, index: int, status: str, result: Any) -> None:
        entry = self.entries[index]
        entry["status"] = status
        entry["result"] = result
        self.active.pop(index, None)

    def _next(self, index: int, evaluated: dict[str, bool]) -> None:
        self.entries[index]["next"].update(evaluated)

    def _term(self, index: int) -> None:
        self.entries[index]["term"] = True

    def _command(self, command: str, route: int, context: int, status: str) -> None:
        key = task_key(command, route)
        previous = self.latest.get(key)
        self.latest[key] = len(self.entries)
        self.entries.append(
            {
                "task": command,
                "route": route,
                "iteration": 0 if previous is None else self.entries[previous]["iteration"] + 1,
                "attempt": 0,
                "context": context,
                "status": status,
                "result": None,
                "next": {},
                "term": True,
                "items": None,
            }
        )

    def _error(self, error: dict[str, Any]) -> None:
        self.errors.append(error)

    def _output(self, output: dict[str, Any] | None) -> None:
        self.output = output

    # -- persistence ------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The state as JSON data (the derived parts are rebuilt by `from_json`)."""
        return {
            "status": self.status,
            "inputs": self.inputs,
            "contexts": self.contexts,
            "routes": self.routes,
            "entries": self.entries,
            "staged": self.staged,
            "joined": self.joined,
            "errors": self.errors,
            "output": self.output,
            "active": list(self.active),
            "folded": self.folded,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> WorkflowState:
        state = cls()
        state.status = data["status"]
        state.inputs = data["inputs"]
        state.contexts = data["contexts"]
        state.routes = data["routes"]
        state.entries = data["entries"]
        state.staged = data["staged"]
        state.joined = data["joined"]
        state.errors = data["errors"]
        state.output = data["output"]
        state.active = dict.fromkeys(data["active"])
        state.folded = data["folded"]
        for index, entry in enumerate(state.entries):
            state.latest[task_key(entry["task"], entry["route"])] = index
        return state


def _progress(count: int) -> dict[str, Any]:
    """A loop of `count` items, none started."""
    return {"count": count, "started": 0, "running": 0, "results": [None] * count, "failed": False}


OPERATIONS: dict[str, Callable[..., None]] = {
    "status": WorkflowState._status,
    "inputs": WorkflowState._inputs,
    "context": WorkflowState._context,
    "route": WorkflowState._route,
    "stage": WorkflowState._stage,
    "absorb": WorkflowState._absorb,
    "start": WorkflowState._start,
    "item_start": WorkflowState._item_start,
    "item_end": WorkflowState._item_end,
    "retry": WorkflowState._retry,
    "end": WorkflowState._end,
    "next": WorkflowState._next,
    "term": WorkflowState._term,
    "command": WorkflowState._command,
    "error": WorkflowState._error,
    "output": WorkflowState._output,
}
