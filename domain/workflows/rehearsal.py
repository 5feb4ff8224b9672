"""Rehearsals: a workflow run against mock task results, no system running, in Orquesta's
rehearsal format (so an Orquesta user's rehearsal files run unchanged):

    workflow: workflows/deploy.yaml        # (read by the caller: `rehearse(spec, workflow)`)
    inputs: {version: "1.2"}
    mock_action_executions:
      - {task_id: fetch, status: failed, result: {code: 500}}  # also seq_id, item_id, num_iter
    expected_task_sequence: [fetch, retry_fetch, notify__r1]
    expected_routes: [[], [fetch__t0]]
    expected_term_tasks: [notify__r1]
    expected_workflow_status: failed
    expected_errors: [...]
    expected_output: {...}

The driver runs in rounds as Orquesta's does: every task ready in a round is started in
(task, route) order, each taking a place in the task sequence, then each is ended with its
mock (a task without one succeeds with no result), a loop ending one item per round; the
engine commands (`noop`, `fail`, `continue`) take their place as they run. A mock matches by
task, in file order, `seq_id` (the task's place in the sequence) first; `route` is not used
for matching, as in Orquesta.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.workflows.conductor import Conductor, Step, TaskEnded, TaskStart
from attune.domain.workflows.definition import parse_workflow
from attune.domain.workflows.problems import InvalidWorkflow, Problem

SPEC_FIELDS = frozenset(
    {
        "workflow",
        "inputs",
        "mock_action_executions",
        "expected_task_sequence",
        "expected_routes",
        "expected_term_tasks",
        "expected_workflow_status",
        "expected_errors",
        "expected_output",
        "expected_inspection_errors",
    }
)
MOCK_FIELDS = frozenset(
    {
        "task_id",
        "route",
        "seq_id",
        "item_id",
        "iter_id",
        "num_iter",
        "status",
        "result",
        "result_path",
    }
)
MAX_ROUNDS = 10_000  # a loop that never ends is reported, not run forever


class InvalidRehearsal(Exception):
    """A rehearsal spec that cannot be run (the message says why and where)."""


@dataclass
class Outcome:
    """What a rehearsal found: the run as it went, and where it differs from the spec."""

    task_sequence: list[str]
    routes: list[list[str]]
    term_tasks: list[str]
    workflow_status: str
    output: dict[str, Any] | None
    errors: list[dict[str, Any]]
    differences: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.differences

    def actual(self) -> dict[str, Any]:
        """The run as a rehearsal spec would state it."""
        return {
            "expected_task_sequence": self.task_sequence,
            "expected_routes": self.routes,
            "expected_term_tasks": self.term_tasks,
            "expected_workflow_status": self.workflow_status,
            "expected_output": self.output,
            "expected_errors": self.errors,
        }


@dataclass
class _Mock:
    task_id: str
    seq_id: int | None
    item_id: int | None
    status: str
    result: Any
    uses: int


@dataclass
class _Running:
    """A task of the rehearsal that is running: its place in the sequence and items."""

    start: TaskStart
    place: int
    items: list[int] = field(default_factory=list)  # started, not yet ended


def rehearse(spec: dict[str, Any], workflow: Any, limits: Limits = DEFAULT_LIMITS) -> Outcome:
    """Run the workflow (`workflow`: the document the spec's `workflow` names, or a parsed
    one) against the spec's mocks and compare the run with the spec's expectations."""
    _check_spec(spec)
    mocks = [_mock(m, i) for i, m in enumerate(spec.get("mock_action_executions") or [])]
    try:
        parsed = parse_workflow(workflow, None, limits)
    except InvalidWorkflow as invalid:
        outcome = Outcome([], [[]], [], "invalid", None, [], problems=invalid.problems)
        if not spec.get("expected_inspection_errors"):
            outcome.differences.append(
                "the workflow is not valid:\n" + "\n".join(f"  {p}" for p in invalid.problems)
            )
        return outcome
    outcome = _run(Conductor(parsed, limits), spec.get("inputs") or {}, mocks)
    if spec.get("expected_inspection_errors"):
        outcome.differences.append("expected the workflow to be invalid; it is valid")
    _compare(spec, outcome)
    return outcome


def _run(conductor: Conductor, inputs: dict[str, Any], mocks: list[_Mock]) -> Outcome:
    state, step = conductor.start(inputs)
    sequence: list[str] = []
    places: dict[tuple[str, int, int], int] = {}  # (task, route, iteration) -> place
    running: dict[tuple[str, int, int], _Running] = {}
    _take(step, running, sequence)
    for _ in range(MAX_ROUNDS):
        if not running:
            break
        round_ = sorted(running.values(), key=lambda r: (r.start.task, r.start.route))
        # Phase A: each task of the round takes its place in the sequence.
        for run in round_:
            key = (run.start.task, run.start.route, run.start.iteration)
            if key not in places:
                sequence.append(_named(run.start.task, run.start.route))
                places[key] = len(sequence) - 1
                run.place = places[key]
            else:
                run.place = len(sequence) - 1  # (as Orquesta: the newest entry's place)
        # Phase B: each ends, with its mock, and the run goes on from all of them.
        reports = []
        for run in round_:
            key = (run.start.task, run.start.route, run.start.iteration)
            mock = _find(mocks, run.start.task, run.place)
            status = mock.status if mock else "succeeded"
            item = None
            if run.items:
                item = mock.item_id if mock and mock.item_id is not None else run.items[0]
                if item not in run.items:
                    raise InvalidRehearsal(
                        f"the mock for item {item} of task '{run.start.task}' cannot apply: "
                        f"the items running are {run.items}"
                    )
                run.items.remove(item)
            if not run.items:
                del running[key]
            if status != "running":  # (a task mocked as running never ends)
                reports.append(
                    TaskEnded(
                        run.start.task, run.start.route, status, mock.result if mock else None, item
                    )
                )
        _take(conductor.tasks_ended(state, reports), running, sequence)
    else:
        raise InvalidRehearsal(f"the workflow did not end within {MAX_ROUNDS} rounds (a loop?)")
    term = sorted(_named(e["task"], e["route"]) for e in state.entries if e["term"])
    return Outcome(
        task_sequence=sequence,
        routes=state.routes,
        term_tasks=term,
        workflow_status=state.status,
        output=state.output,
        errors=[_orquesta_error(e) for e in state.errors],
    )


def _take(step: Step, running: dict[tuple[str, int, int], _Running], sequence: list[str]) -> None:
    """Note the tasks a step started (they run in the next round) and those that ran
    within it (engine commands, empty loops: they take their place in the sequence now)."""
    sequence.extend(_named(task, route) for task, route in step.ran)
    for start in step.starts:
        run = running.setdefault((start.task, start.route, start.iteration), _Running(start, -1))
        run.start = start  # (a retry: the next attempt)
        if start.item is not None:
            run.items.append(start.item)


def _find(mocks: list[_Mock], task: str, place: int) -> _Mock | None:
    candidates = [m for m in mocks if m.task_id == task and m.uses > 0]
    found = next((m for m in candidates if m.seq_id == place), None)
    if found is None and candidates and candidates[0].seq_id is None:
        found = candidates[0]
    if found is not None:
        found.uses -= 1
    return found


def _compare(spec: dict[str, Any], outcome: Outcome) -> None:
    checks = [
        (
            "expected_task_sequence",
            [_normal(t) for t in spec.get("expected_task_sequence") or []],
            outcome.task_sequence,
        ),
        ("expected_routes", spec.get("expected_routes", [[]]), outcome.routes),
        (
            "expected_workflow_status",
            spec.get("expected_workflow_status", "succeeded"),
            outcome.workflow_status,
        ),
    ]
    if "expected_term_tasks" in spec:
        checks.append(
            (
                "expected_term_tasks",
                sorted(_normal(t) for t in spec["expected_term_tasks"]),
                outcome.term_tasks,
            )
        )
    if "expected_errors" in spec:
        checks.append(("expected_errors", spec["expected_errors"] or [], outcome.errors))
    if "expected_output" in spec:
        checks.append(("expected_output", spec["expected_output"], outcome.output))
    for name, expected, actual in checks:
        if expected != actual:
            outcome.differences.append(_difference(name, expected, actual))


def _difference(name: str, expected: Any, actual: Any) -> str:
    if isinstance(expected, list) and isinstance(actual, list):
        lines = difflib.ndiff([_line(v) for v in expected], [_line(v) for v in actual])
        shown = "\n".join(f"  {line}" for line in lines if not line.startswith("?"))
        return f"{name} differs (- expected, + actual):\n{shown}"
    return f"{name} differs:\n  expected: {_line(expected)}\n  actual:   {_line(actual)}"


def _line(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True, default=str)


def _named(task: str, route: int) -> str:
    return task if route == 0 else f"{task}__r{route}"


def _normal(name: str) -> str:
    """``task`` and ``task__r0`` are the same entry."""
    return name[: -len("__r0")] if name.endswith("__r0") else name


def _orquesta_error(error: dict[str, Any]) -> dict[str, Any]:
    """An error as Orquesta states it: no key without a value."""
    return {k: v for k, v in error.items() if v is not None}


def _check_spec(spec: Any) -> None:
    if not isinstance(spec, dict):
        raise InvalidRehearsal("a rehearsal spec is a mapping of fields")
    unknown = sorted(set(spec) - SPEC_FIELDS)
    if unknown:
        raise InvalidRehearsal(
            f"unknown field(s) {', '.join(unknown)} "
            f"(a rehearsal has {', '.join(sorted(SPEC_FIELDS))})"
        )
    if "workflow" not in spec:
        raise InvalidRehearsal("a rehearsal needs 'workflow': the workflow file it runs")
    if "expected_task_sequence" not in spec:
        raise InvalidRehearsal("a rehearsal needs 'expected_task_sequence'")


def _mock(value: Any, index: int) -> _Mock:
    where = f"mock_action_executions[{index}]"
    if not isinstance(value, dict) or "task_id" not in value:
        raise InvalidRehearsal(f"{where}: a mock is a mapping with a task_id")
    unknown = sorted(set(value) - MOCK_FIELDS)
    if unknown:
        raise InvalidRehearsal(f"{where}: unknown field(s) {', '.join(unknown)}")
    if "result_path" in value:
        raise InvalidRehearsal(f"{where}: result_path is read by the caller (rehearse_file)")
    return _Mock(
        task_id=value["task_id"],
        seq_id=value.get("seq_id"),
        item_id=value.get("item_id"),
        status=value.get("status", "succeeded"),
        result=value.get("result"),
        uses=int(value.get("num_iter", 1)),
    )
