"""WorkflowExecution: a workflow run recorded as its conductor's decisions; rebuilt from
its events (through the real store) without running the conductor, equal to the live one."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from uuid import UUID

import yaml

from attune.commands.store import EventStore
from attune.domain.events import Cause, event_name
from attune.domain.workflow_execution import WorkflowExecution
from attune.domain.workflows.conductor import Conductor, TaskEnded
from attune.domain.workflows.definition import content_hash, parse_workflow

RUN = UUID("019b0000-0000-7000-8000-0000000000f1")
PARENT = UUID("019b0000-0000-7000-8000-0000000000f0")
CAUSE = Cause("orchestrator", datetime(2026, 12, 3, tzinfo=UTC))
DEFINITION = yaml.safe_load(
    """
version: 1.0
input: [hosts]
tasks:
  start:
    action: core.noop
    next: [{do: check}]
  check:
    action: core.local
    with: {items: "{{ ctx().hosts }}", concurrency: 1}
    input: {cmd: "ping {{ item() }}"}
    next:
      - when: "{{ succeeded() }}"
        publish: [{pings: "{{ result() }}"}]
output: [{pings: "{{ ctx().pings }}"}]
"""
)


def started() -> tuple[WorkflowExecution, Conductor]:
    conductor = Conductor(parse_workflow(DEFINITION))
    run, _ = WorkflowExecution.start(
        RUN, PARENT, "ops.check", DEFINITION, {"hosts": ["a", "b"]}, conductor, CAUSE
    )
    return run, conductor


def test_a_run_records_its_definition_its_inputs_and_each_decision() -> None:
    run, conductor = started()
    run.report(TaskEnded("start"), conductor, CAUSE)
    run.report(TaskEnded("check", item=0, result="a ok"), conductor, CAUSE)
    assert run.report(TaskEnded("check", item=0, result="a ok"), conductor, CAUSE).operations == []
    run.report(TaskEnded("check", item=1, result="b ok"), conductor, CAUSE)

    events = run.collect_events()
    assert [event_name(e) for e in events] == [
        "workflow_execution.started",
        "workflow_execution.task_completed",
        "workflow_execution.task_completed",  # (the copy of a report recorded nothing)
        "workflow_execution.task_completed",
        "workflow_execution.succeeded",
    ]
    first = events[0]
    assert first.definition == DEFINITION and first.definition_hash == content_hash(DEFINITION)  # type: ignore[attr-defined]
    assert [t["task"] for t in first.tasks_requested] == ["start"]  # type: ignore[attr-defined]
    after_start = events[1]
    assert [(t["task"], t["item"], t["input"]) for t in after_start.tasks_requested] == [  # type: ignore[attr-defined]
        ("check", 0, {"cmd": "ping a"})
    ]
    assert events[3].published == {"pings": ["a ok", "b ok"]}  # type: ignore[attr-defined]
    assert events[4].output == {"pings": ["a ok", "b ok"]}  # type: ignore[attr-defined]
    assert run.status == "succeeded" and run.is_ended


def test_the_run_rebuilt_from_the_store_equals_the_live_one(store: EventStore) -> None:
    run, conductor = started()
    run.report(TaskEnded("start"), conductor, CAUSE)
    store.record([run])
    live = json.dumps(run.state.to_json(), sort_keys=True)

    loaded = store.load(RUN)
    assert isinstance(loaded, WorkflowExecution)
    assert json.dumps(loaded.state.to_json(), sort_keys=True) == live
    assert (loaded.definition, loaded.inputs) == (DEFINITION, {"hosts": ["a", "b"]})

    # The loaded run goes on as the live one would.
    loaded.report(TaskEnded("check", item=0, result="x"), conductor, CAUSE)
    loaded.report(TaskEnded("check", item=1, result="y"), conductor, CAUSE)
    store.record([loaded])
    again = store.load(RUN)
    assert isinstance(again, WorkflowExecution)
    assert again.status == "succeeded" and again.state.output == {"pings": ["x", "y"]}


def test_cancel_records_the_tasks_to_cancel_and_the_run_ends_canceled() -> None:
    run, conductor = started()
    run.report(TaskEnded("start"), conductor, CAUSE)
    step = run.cancel("alice", conductor, CAUSE)
    assert step.cancels == [("check", 0)]
    assert run.cancel("alice", conductor, CAUSE).operations == []  # (once)
    run.report(TaskEnded("check", item=0, status="canceled"), conductor, CAUSE)
    names = [event_name(e) for e in run.collect_events()]
    assert names[-3:] == [
        "workflow_execution.cancel_requested",
        "workflow_execution.task_completed",
        "workflow_execution.canceled",
    ]
    assert run.status == "canceled"
