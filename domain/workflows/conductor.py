"""The conductor: given a workflow and a run's state, what happens next. Pure: no I/O, no
clock, deterministic.

    conductor = Conductor(workflow)
    state, step = conductor.start(inputs)             # step.starts: the first tasks
    step = conductor.task_ended(state, TaskEnded("fetch", route=0, status="succeeded",
                                                 result={...}))
    step.starts, step.status, step.output, step.errors, step.published

Each call returns a `Step`: the tasks to start (`TaskStart`: task, route, item, attempt,
iteration, action, rendered input, delay and timeout in seconds), the tasks to cancel, the
workflow's status, output and new errors, and the operations it applied to the state
(`Step.operations`). Those are the run's record: folding them into an empty
`WorkflowState` rebuilds the state without running the conductor again.

The semantics are Orquesta's (docs/workflows.md), with the choices written in
docs/decisions.md: every satisfied transition fires, in target-name order; publish is
scoped to its branch and merged at joins in arrival order, a shared ancestor's values
applied once; a task reached by several transitions without a join is a split and runs
once per route; a failed task not remediated fails the workflow: running tasks finish, no
new one starts except those the same completion readied alongside `fail`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from attune.domain.errors import DomainError
from attune.domain.expressions import (
    DEFAULT_LIMITS,
    ExpressionError,
    Limits,
    Template,
    render_value,
)
from attune.domain.workflows.graph import CONTINUE, Edge
from attune.domain.workflows.model import MISSING, Retry, TaskSpec, Workflow
from attune.domain.workflows.state import ABENDED, ENDED, Operation, WorkflowState, task_key

EXECUTION_FAILED = "Execution failed. See result for details."
ACTIVE = frozenset({"running", "failing", "canceling"})


@dataclass(frozen=True)
class TaskStart:
    """A task (or one item of it) the orchestrator is to start."""

    task: str
    route: int
    action: str | None  # None: a task that only routes: end it at once as succeeded
    input: dict[str, Any]
    item: int | None = None
    attempt: int = 0
    iteration: int = 0
    delay: float | None = None  # start it this many seconds from now
    timeout: float | None = None  # time it out this many seconds after it started


@dataclass(frozen=True)
class TaskEnded:
    """What the orchestrator reports: a task (or an item of it) ended."""

    task: str
    route: int = 0
    status: str = "succeeded"
    result: Any = None
    item: int | None = None
    attempt: int | None = None  # when given, a report of another attempt is ignored
    iteration: int | None = None


@dataclass
class Step:
    """What one call decided, and the operations that record it."""

    operations: list[Operation] = field(default_factory=list)
    starts: list[TaskStart] = field(default_factory=list)
    cancels: list[tuple[str, int]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    published: dict[str, Any] = field(default_factory=dict)
    # The tasks that ran within this step (engine commands, empty loops), in order.
    ran: list[tuple[str, int]] = field(default_factory=list)
    ready: list[tuple[str, int]] = field(default_factory=list, repr=False)  # (to start)
    status: str | None = None
    output: dict[str, Any] | None = None


class _Run:
    """What an expression of a task sees: Orquesta's functions (`RunContext`)."""

    __slots__ = ("_state", "_variables", "_task", "_route", "_status", "_result", "_item")

    def __init__(
        self,
        state: WorkflowState,
        variables: Mapping[str, Any],
        route: int,
        status: str | None = None,
        result: Any = None,
        item: Any = None,
    ) -> None:
        self._state, self._variables, self._route = state, variables, route
        self._status, self._result, self._item = status, result, item

    def result(self) -> Any:
        return self._result

    def status(self) -> str | None:
        return self._status

    def task_status(self, name: str) -> str | None:
        entry = _visible_entry(self._state, name, self._route)
        return None if entry is None else entry["status"]

    def variables(self) -> Mapping[str, Any]:
        return self._variables

    def item(self) -> Any:
        return self._item


class _TaskResults(Mapping[str, Any]):
    """The `task` namespace: each task's latest status and result on the route."""

    def __init__(self, state: WorkflowState, route: int) -> None:
        self._state, self._route = state, route

    def __getitem__(self, name: str) -> Any:
        entry = _visible_entry(self._state, name, self._route)
        if entry is None:
            raise KeyError(name)
        return {"status": entry["status"], "result": entry["result"]}

    def __iter__(self) -> Any:
        return iter(dict.fromkeys(e["task"] for e in self._state.entries))

    def __len__(self) -> int:
        return len({e["task"] for e in self._state.entries})


def _visible_entry(state: WorkflowState, name: str, route: int) -> dict[str, Any] | None:
    """The task's newest entry on `route`, else on the nearest earlier route this one
    extends (as Orquesta's `task_status` looks)."""
    entry = state.entry(name, route)
    if entry is not None or route == 0:
        return entry
    here = set(state.routes[route])
    for earlier in range(route - 1, -1, -1):
        if set(state.routes[earlier]) <= here:
            found = state.entry(name, earlier)
            if found is not None:
                return found
    return None


class Conductor:
    """Decides a workflow's runs (immutable; one per workflow, shared by its runs)."""

    def __init__(self, workflow: Workflow, limits: Limits = DEFAULT_LIMITS) -> None:
        assert workflow.graph is not None  # (set by parse_workflow)
        self.workflow = workflow
        self.graph = workflow.graph
        self.limits = limits

    # -- the calls --------------------------------------------------------------------

    def start(
        self, inputs: Mapping[str, Any] | None = None, context: Mapping[str, Any] | None = None
    ) -> tuple[WorkflowState, Step]:
        """A new run: its inputs checked, its variables set, its first tasks to start.
        `context`: variables given by whoever runs it (a parent workflow)."""
        state, step = WorkflowState(), Step()
        given = dict(inputs or {})
        values: dict[str, Any] = dict(context or {})
        declared = {name for name, _ in self.workflow.input}
        for name, default in self.workflow.input:
            if name in given:
                values[name] = given[name]  # (as given: an input is data, not an expression)
            elif default is MISSING:
                self._error(state, step, {"message": f"input '{name}' is required"})
            else:
                values[name] = self._render_or_note(default, state, values, f"input {name}", step)
        self._do(state, step, ["inputs", {k: values[k] for k in declared if k in values}])
        for name, value in self.workflow.vars:
            values[name] = self._render_or_note(value, state, values, f"variable {name}", step)
        self._do(state, step, ["context", {"values": values}])
        if step.errors:
            self._do(state, step, ["status", "failed"])
            self._finish(state, step)
            return state, step
        self._do(state, step, ["status", "running"])
        for name in self.graph.start:
            self._begin(state, step, name, 0, 0)
        self._launch(state, step)
        self._settle(state, step)
        return state, step

    def task_ended(self, state: WorkflowState, ended: TaskEnded) -> Step:
        """The next decisions once a task (or an item of it) ended."""
        return self.tasks_ended(state, [ended])

    def tasks_ended(self, state: WorkflowState, reports: list[TaskEnded]) -> Step:
        """The next decisions once these tasks (or items) ended, taken in order; the tasks
        they ready start once all are taken, if the run still runs. A report of a task
        that is not running (a copy of an earlier one, say) changes nothing."""
        step = Step()
        for ended in reports:
            index = state.latest.get(task_key(ended.task, ended.route))
            if index is None or index not in state.active or ended.status not in ENDED:
                continue
            entry = state.entries[index]
            if (ended.attempt is not None and ended.attempt != entry["attempt"]) or (
                ended.iteration is not None and ended.iteration != entry["iteration"]
            ):
                continue
            if entry["items"] is not None:
                self._item_ended(state, step, index, ended)
            else:
                self._task_ended(state, step, index, ended.status, ended.result)
            # As Orquesta counts terminal tasks: those whose end found the run ended or
            # failing (besides those with no transition at all).
            ends_run = not state.active and not step.ready
            if not entry["term"] and (state.status != "running" or ends_run):
                self._do(state, step, ["term", index])
        self._launch(state, step)
        self._settle(state, step)
        return step

    def cancel(self, state: WorkflowState) -> Step:
        """Cancel the run: its running tasks are to be canceled; no new one starts."""
        step = Step()
        if state.status not in ACTIVE or state.status == "canceling":
            return step
        self._do(state, step, ["status", "canceling"])
        step.cancels.extend(
            (state.entries[i]["task"], state.entries[i]["route"]) for i in state.active
        )
        self._settle(state, step)
        return step

    # -- tasks ------------------------------------------------------------------------

    def _begin(self, state: WorkflowState, step: Step, name: str, route: int, context: int) -> None:
        """Start a task whose inbound transitions are satisfied: render what it runs."""
        task = self.workflow.tasks[name]
        variables = state.values(context)
        where = {"task_id": name, "route": route}
        try:
            items = None if task.items is None else self._items(task, state, variables, route)
            # (a loop's input is rendered for each item as it starts)
            rendered = (
                self._render_strict(task.input, state, variables, route) if items is None else {}
            )
            delay = self._seconds(task.delay, state, variables, route)
            timeout = self._seconds(task.timeout, state, variables, route)
        except RENDER_ERRORS as error:
            self._failed_to_render(state, step, str(error), where)
            return
        self._do(
            state,
            step,
            ["start", name, route, context, None if items is None else len(items)],
        )
        index = state.latest[task_key(name, route)]
        if items is None:
            step.starts.append(
                _task_start(task, state.entries[index], rendered, None, delay, timeout)
            )
        elif not items:
            step.ran.append((name, route))
            self._task_ended(state, step, index, "succeeded", [])
        else:
            state.derived[("items", index)] = items  # (rendered once: `_items_of` keeps them)
            self._start_items(state, step, index, delay, timeout)

    def _items(
        self, task: TaskSpec, state: WorkflowState, variables: Mapping[str, Any], route: int
    ) -> list[Any]:
        assert task.items is not None
        found = self._render_strict(task.items.source, state, variables, route)
        if not isinstance(found, list | tuple):
            raise WrongKind(f"with items: expected a list, got {_kind(found)}")
        return list(found)

    def _items_of(self, state: WorkflowState, index: int) -> list[Any]:
        """A running loop's items (rendered when it started; kept while it runs)."""
        cached = state.derived.get(("items", index))
        if cached is None:
            entry = state.entries[index]
            task = self.workflow.tasks[entry["task"]]
            cached = self._items(task, state, state.values(entry["context"]), entry["route"])
            state.derived[("items", index)] = cached
        return cached

    def _start_items(
        self,
        state: WorkflowState,
        step: Step,
        index: int,
        delay: float | None = None,
        timeout: float | None = None,
    ) -> None:
        """Start the next items the task's concurrency allows."""
        entry = state.entries[index]
        task = self.workflow.tasks[entry["task"]]
        assert task.items is not None
        progress = entry["items"]
        variables = state.values(entry["context"])
        where = {"task_id": task.name, "route": entry["route"]}
        try:
            limit = self._concurrency(task, state, variables, entry["route"])
            if task.items.batches and progress["running"]:
                return  # (the next batch starts when this one ended)
            free = (
                progress["count"] - progress["started"]
                if limit is None
                else limit - progress["running"]
            )
            first = progress["started"]
            chosen = range(first, min(first + max(free, 0), progress["count"]))
            if not chosen:
                return
            values = self._items_of(state, index)
            if timeout is None:
                timeout = self._seconds(task.timeout, state, variables, entry["route"])
            starts = []
            for item in chosen:
                bound = _bound(task.items.names, values[item])
                rendered = self._render_strict(
                    task.input, state, variables, entry["route"], bound, item
                )
                starts.append((item, rendered))
        except RENDER_ERRORS as error:
            self._failed_to_render(state, step, str(error), where)
            return
        for item, rendered in starts:
            self._do(state, step, ["item_start", index, item])
            step.starts.append(_task_start(task, entry, rendered, item, delay, timeout))

    def _item_ended(self, state: WorkflowState, step: Step, index: int, ended: TaskEnded) -> None:
        entry = state.entries[index]
        progress = entry["items"]
        item = ended.item
        if (
            item is None
            or not 0 <= item < progress["started"]
            or progress["results"][item] is not None
        ):
            return  # (not an item that runs; or a copy of a report already taken)
        self._do(state, step, ["item_end", index, item, ended.status, ended.result])
        if ended.status == "failed":
            self._error(
                state,
                step,
                {"message": EXECUTION_FAILED, "task_id": entry["task"], "result": ended.result},
            )
        if not progress["failed"] and state.status == "running":
            self._start_items(state, step, index)
        if progress["running"] == 0:
            if progress["failed"]:
                status = "failed"
            elif progress["started"] == progress["count"]:
                status = "succeeded"
            elif state.status != "running":
                status = "canceled"  # (the run fails or stops: its other items never start)
            else:
                return
            self._task_ended(state, step, index, status, list(progress["results"]), logged=True)

    def _task_ended(
        self,
        state: WorkflowState,
        step: Step,
        index: int,
        status: str,
        result: Any,
        logged: bool = False,
    ) -> None:
        """A task ended: retry it, or follow its transitions."""
        entry = state.entries[index]
        name, route = entry["task"], entry["route"]
        task = self.workflow.tasks[name]
        if status == "failed" and not logged:
            self._error(
                state, step, {"message": EXECUTION_FAILED, "task_id": name, "result": result}
            )
        elif status in ("timeout", "abandoned"):
            self._error(
                state, step, {"message": f"Execution {_ended_how(status)}.", "task_id": name}
            )
        variables = state.values(entry["context"])
        run = _Run(state, variables, route, status, result)
        retry = self.graph.retries.get(name, task.retry)
        if retry is not None and state.status == "running" and status != "canceled":
            try:
                again = self._retries(retry, entry, status, state, variables, run)
            except RENDER_ERRORS as error:
                self._failed_to_render(state, step, str(error), {"task_id": name, "route": route})
                again = None
            if again is not None:
                self._do(state, step, ["retry", index])
                self._restart(state, step, index, again)
                return
        self._do(state, step, ["end", index, status, result])
        if task_key(name, route) in state.staged:
            step.ready.append((name, route))  # (readied again while it ran: it may go now)
        if state.status == "canceling":
            return
        if status == "canceled":
            self._cancel_all(state, step)
            return
        fired, fails = self._follow(state, step, index, run)
        handled = any(edge.target != CONTINUE for edge, _ in fired)
        if status in ABENDED and not handled:
            self._fail(state, step)
        commands = []
        reached: set[tuple[str, int]] = set()
        for edge, context in fired:
            target_route = self._route(state, step, edge, route)
            if edge.target in self.workflow.tasks:
                again = (edge.target, target_route) in reached
                reached.add((edge.target, target_route))
                self._arrive(state, step, edge, target_route, context, fails, again)
            else:
                commands.append((edge.target, target_route, context))
        for command, command_route, context in commands:
            self._command(state, step, command, command_route, context)
        if not self.graph.outbound[name] or state.status != "running":
            self._do(state, step, ["term", index])

    def _retries(
        self,
        retry: Retry,
        entry: dict[str, Any],
        status: str,
        state: WorkflowState,
        variables: Mapping[str, Any],
        run: _Run,
    ) -> float | None:
        """The delay before the task's next attempt, or None: no more attempts."""
        count = self._number(retry.count, state, variables, entry["route"], "retry count")
        if entry["attempt"] >= count:
            return None
        if retry.when is None:
            if status not in ABENDED:
                return None
        elif not _truthy(retry.when, _scope(state, variables, entry["route"]), run, self.limits):
            return None
        delay = self._number(retry.delay, state, variables, entry["route"], "retry delay")
        delay *= retry.backoff ** int(entry["attempt"])
        return delay if retry.max_delay is None else min(delay, retry.max_delay)

    def _restart(self, state: WorkflowState, step: Step, index: int, delay: float) -> None:
        entry = state.entries[index]
        task = self.workflow.tasks[entry["task"]]
        variables = state.values(entry["context"])
        if entry["items"] is not None:
            self._start_items(state, step, index, delay or None)
            return
        try:
            rendered = self._render_strict(task.input, state, variables, entry["route"])
            timeout = self._seconds(task.timeout, state, variables, entry["route"])
        except RENDER_ERRORS as error:
            where = {"task_id": task.name, "route": entry["route"]}
            self._failed_to_render(state, step, str(error), where)
            return
        step.starts.append(_task_start(task, entry, rendered, None, delay or None, timeout))

    def _follow(
        self, state: WorkflowState, step: Step, index: int, run: _Run
    ) -> tuple[list[tuple[Edge, int]], bool]:
        """Evaluate every transition of an ended task (each condition and publish once):
        the edges that fire with the context each carries, and whether one is `fail`."""
        entry = state.entries[index]
        name, route = entry["task"], entry["route"]
        task = self.workflow.tasks[name]
        outcomes: dict[int, bool | None] = {}
        contexts: dict[int, int | None] = {}
        evaluated: dict[str, bool] = {}
        fired = []
        scope = _scope(state, run.variables(), route)
        for edge in self.graph.outbound[name]:
            transition = task.next[edge.ref]
            where = {"task_id": name, "route": route, "task_transition_id": edge.id_out}
            if edge.ref not in outcomes:
                try:
                    outcomes[edge.ref] = transition.when is None or _truthy(
                        transition.when, scope, run, self.limits
                    )
                except RENDER_ERRORS as error:
                    outcomes[edge.ref] = None
                    self._error(state, step, {"message": str(error), **where})
            if outcomes[edge.ref] is None:
                self._fail(state, step)
                continue
            evaluated[edge.id_out] = bool(outcomes[edge.ref])
            if not outcomes[edge.ref]:
                continue
            if edge.ref not in contexts:
                contexts[edge.ref] = self._publish(
                    state, step, entry, transition.publish, run, where
                )
            context = contexts[edge.ref]
            if context is not None:
                fired.append((edge, context))
        self._do(state, step, ["next", index, evaluated])
        return fired, any(edge.target == "fail" for edge, _ in fired)

    def _publish(
        self,
        state: WorkflowState,
        step: Step,
        entry: dict[str, Any],
        publish: tuple[tuple[str, Any], ...],
        run: _Run,
        where: dict[str, Any],
    ) -> int | None:
        """The context a fired transition carries on: the task's, with what it publishes
        (each value sees the ones before it). None: a value failed to render."""
        if not publish:
            return int(entry["context"])
        rolling = dict(run.variables())
        published: dict[str, Any] = {}
        for name, value in publish:
            scope = _scope(state, rolling, entry["route"])
            try:
                rendered = render_value(
                    value,
                    scope,
                    _Run(state, rolling, entry["route"], run.status(), run.result()),
                    self.limits,
                )
            except RENDER_ERRORS as error:
                self._failed_to_render(state, step, f"publish {name}: {error}", where)
                return None
            rolling[name] = published[name] = rendered
        self._do(state, step, ["context", {"base": entry["context"], "publish": published}])
        step.published.update(published)
        return len(state.contexts) - 1

    def _route(self, state: WorkflowState, step: Step, edge: Edge, route: int) -> int:
        """The route a fired edge leads on: a new one into a split, else the same."""
        if edge.target not in self.graph.splits or edge.id_in in state.routes[route]:
            return route
        self._do(state, step, ["route", [*state.routes[route], edge.id_in]])
        return len(state.routes) - 1

    def _arrive(
        self,
        state: WorkflowState,
        step: Step,
        edge: Edge,
        route: int,
        context: int,
        run_on_fail: bool,
        again: bool,
    ) -> None:
        """A fired edge reached a task: it is ready, or counts toward its join (`again`:
        another edge of the same completion reached it already; it counts once)."""
        target = self.workflow.tasks[edge.target]
        key = task_key(edge.target, route)
        if target.join is None:
            ready = True
        else:
            staged = state.staged.get(key)
            if again and staged is None:
                return  # (the first edge was absorbed)
            last = state.joined.get(key)
            if staged is None and last is not None and edge.source not in last:
                # The join ran without this inbound task (join N): it is absorbed.
                self._do(state, step, ["absorb", edge.target, route, edge.source])
                return
            arrived = set(staged["sources"]) if staged is not None else set()
            arrived.add(edge.source)
            sources = self.graph.sources(edge.target)
            needed = len(sources) if target.join == "all" else target.join
            ready = len(arrived) >= needed
        self._do(
            state,
            step,
            [
                "stage",
                edge.target,
                route,
                context,
                edge.source,
                ready,
                run_on_fail,
                target.join is not None,
            ],
        )
        if ready:
            step.ready.append((edge.target, route))

    def _launch(self, state: WorkflowState, step: Step) -> None:
        """Start the tasks this step readied (in task, route order, as Orquesta hands
        them out), if the run still runs (or the same completion fired `fail` beside
        them); a task that ends at once may ready more."""
        while step.ready:
            ready = sorted(set(step.ready))
            step.ready.clear()
            for name, route in ready:
                key = task_key(name, route)
                staged = state.staged.get(key)
                if staged is None or not staged["ready"] or state.latest.get(key) in state.active:
                    continue  # (a task still running starts again once it ended)
                if state.status != "running" and not staged["run_on_fail"]:
                    continue
                contexts = list(dict.fromkeys(staged["contexts"]))
                if len(contexts) > 1:
                    self._do(state, step, ["context", {"merge": contexts}])
                    context = len(state.contexts) - 1
                else:
                    context = contexts[0]
                self._begin(state, step, name, route, context)

    def _command(
        self, state: WorkflowState, step: Step, command: str, route: int, context: int
    ) -> None:
        """Run an engine command: `noop` and `continue` succeed, `fail` fails the run."""
        status = "failed" if command == "fail" else "succeeded"
        self._do(state, step, ["command", command, route, context, status])
        step.ran.append((command, route))
        if command == "fail":
            self._error(state, step, {"message": EXECUTION_FAILED, "task_id": "fail"})
            self._fail(state, step)

    # -- the workflow -----------------------------------------------------------------

    def _fail(self, state: WorkflowState, step: Step) -> None:
        if state.status == "running":
            self._do(state, step, ["status", "failing"])

    def _cancel_all(self, state: WorkflowState, step: Step) -> None:
        if state.status == "running":  # (a run already failing stays failing)
            self._do(state, step, ["status", "canceling"])
            step.cancels.extend(
                (state.entries[i]["task"], state.entries[i]["route"]) for i in state.active
            )

    def _settle(self, state: WorkflowState, step: Step) -> None:
        """End the run once nothing runs: its status, its output."""
        if state.active or state.status not in ACTIVE:
            return
        if state.status == "canceling":
            self._do(state, step, ["status", "canceled"])
        else:
            for staged in list(state.staged.values()):
                # (a run already failing gets no more errors)
                if staged["join"] and not staged["ready"] and state.status == "running":
                    self._error(
                        state,
                        step,
                        {
                            "message": "UnreachableJoinError: The join task|route "
                            f'"{staged["task"]}|{staged["route"]}" is partially satisfied but '
                            "unreachable.",
                            "task_id": staged["task"],
                            "route": staged["route"],
                        },
                    )
                    self._fail(state, step)
            self._do(
                state, step, ["status", "failed" if state.status == "failing" else "succeeded"]
            )
        self._finish(state, step)

    def _finish(self, state: WorkflowState, step: Step) -> None:
        """Render the output of an ended run (whatever its status), from the contexts of
        its terminal tasks, later ones winning; a value that fails fails the run."""
        terminal = [e["context"] for e in state.entries if e["term"]]
        contexts = list(dict.fromkeys(terminal)) or [0]
        if len(contexts) > 1:
            self._do(state, step, ["context", {"merge": contexts}])
            contexts = [len(state.contexts) - 1]
        rolling = dict(state.values(contexts[0]))
        output: dict[str, Any] = {}
        failed = False
        for name, value in self.workflow.output:
            try:
                output[name] = rolling[name] = render_value(
                    value, _scope(state, rolling, 0), _Run(state, rolling, 0), self.limits
                )
            except RENDER_ERRORS as error:
                self._error(state, step, {"message": f"output {name}: {error}"})
                failed = True
        self._do(state, step, ["output", output or None])
        step.output = output or None
        if failed and state.status == "succeeded":
            self._do(state, step, ["status", "failed"])

    # -- helpers ----------------------------------------------------------------------

    def _do(self, state: WorkflowState, step: Step, operation: Operation) -> None:
        state.apply(operation)
        step.operations.append(operation)
        if operation[0] == "status":
            step.status = operation[1]

    def _failed_to_render(
        self, state: WorkflowState, step: Step, message: str, where: dict[str, Any]
    ) -> None:
        """A run-time expression error: it fails the run, naming where it happened."""
        self._error(state, step, {"message": message, **where})
        self._fail(state, step)

    def _error(self, state: WorkflowState, step: Step, error: dict[str, Any]) -> None:
        error = {"type": "error", **error}
        if error not in state.errors:  # (as Orquesta: one entry for the same failure)
            self._do(state, step, ["error", error])
            step.errors.append(error)

    def _render_or_note(
        self, value: Any, state: WorkflowState, variables: Mapping[str, Any], what: str, step: Step
    ) -> Any:
        """A start value (an input's default, a variable) rendered; on an error, None and
        the error noted (the run then fails to start)."""
        try:
            return self._render_strict(value, state, variables, 0)
        except RENDER_ERRORS as error:
            self._error(state, step, {"message": f"{what}: {error}"})
            return None

    def _render_strict(
        self,
        value: Any,
        state: WorkflowState,
        variables: Mapping[str, Any],
        route: int,
        item: Any = None,
        index: int | None = None,
    ) -> Any:
        scope = _scope(state, variables, route)
        if index is not None:
            scope["item"], scope["index"] = item, index
        return render_value(value, scope, _Run(state, variables, route, item=item), self.limits)

    def _number(
        self, value: Any, state: WorkflowState, variables: Mapping[str, Any], route: int, what: str
    ) -> float:
        found = self._render_strict(value, state, variables, route)
        if isinstance(found, bool) or not isinstance(found, int | float) or found < 0:
            raise WrongKind(f"{what}: expected a number >= 0, got {found!r}")
        return found

    def _seconds(
        self, value: Any, state: WorkflowState, variables: Mapping[str, Any], route: int
    ) -> float | None:
        if value is None:
            return None
        return self._number(value, state, variables, route, "seconds") or None

    def _concurrency(
        self, task: TaskSpec, state: WorkflowState, variables: Mapping[str, Any], route: int
    ) -> int | None:
        assert task.items is not None
        if task.items.concurrency is None:
            return None
        found = self._number(task.items.concurrency, state, variables, route, "concurrency")
        return max(int(found), 1)


class WrongKind(DomainError):
    """A rendered value of the wrong kind where the conductor needs a list or a number."""


RENDER_ERRORS = (ExpressionError, WrongKind)


def _scope(state: WorkflowState, variables: Mapping[str, Any], route: int) -> dict[str, Any]:
    return {
        "parameters": state.inputs,
        "workflow": variables,
        "task": _TaskResults(state, route),
    }


def _truthy(condition: Any, scope: Mapping[str, Any], run: _Run, limits: Limits) -> bool:
    if isinstance(condition, Template):
        return bool(condition.render(scope, run, limits))
    return bool(condition.evaluate(scope, run, limits))


def _task_start(
    task: TaskSpec,
    entry: dict[str, Any],
    rendered: dict[str, Any],
    item: int | None,
    delay: float | None,
    timeout: float | None,
) -> TaskStart:
    return TaskStart(
        task.name,
        entry["route"],
        task.action,
        rendered,
        item,
        entry["attempt"],
        entry["iteration"],
        delay,
        timeout,
    )


def _bound(names: tuple[str, ...], item: Any) -> Any:
    """An item as its task sees it: named (`x, y in ...`: a mapping), or as it is."""
    if not names:
        return item
    if len(names) == 1:
        return {names[0]: item}
    if isinstance(item, list | tuple):
        return dict(zip(names, item, strict=False))
    return {names[0]: item}


def _ended_how(status: str) -> str:
    return {"timeout": "timed out", "abandoned": "abandoned"}[status]


def _kind(value: Any) -> str:
    return type(value).__name__
