"""The conductor's decisions as data: what each task start carries (rendered input, route,
item, attempt, iteration, delay, timeout), loops, cancel, redelivered reports, and a run
rebuilt from its recorded operations alone."""

from __future__ import annotations

import json
from typing import Any

import yaml

from attune.domain.workflows.conductor import Conductor, Step, TaskEnded, TaskStart
from attune.domain.workflows.definition import parse_workflow
from attune.domain.workflows.state import WorkflowState


def conductor(text: str) -> Conductor:
    return Conductor(parse_workflow(yaml.safe_load(text)))


def names(step: Step) -> list[tuple[str, int | None]]:
    return [(s.task, s.item) for s in step.starts]


ATTUNE_FORMAT = """
version: "1.0"
parameters:
  hosts: {type: array, required: true}
  wait: {type: integer, default: 3}
vars: {greeting: hello}
tasks:
  - name: fetch
    action: core.http
    input: {url: "https://{{ parameters.hosts[0] }}/", note: "{{ workflow.greeting }}"}
    delay: "{{ parameters.wait }}"
    timeout: 30
    next:
      - when: "{{ succeeded() }}"
        publish: [{code: "{{ result().code }}"}]
        do: [ping]
  - name: ping
    action: core.local
    with_items: "{{ parameters.hosts }}"
    concurrency: 2
    input: {cmd: "ping -c1 {{ item }} # {{ index }} after {{ task.fetch.result.code }}"}
output_map: {code: "{{ workflow.code }}", pings: "{{ task.ping.result }}"}
"""


def test_a_start_carries_the_rendered_input_delay_and_timeout() -> None:
    state, step = conductor(ATTUNE_FORMAT).start({"hosts": ["a", "b", "c"]})
    assert step.starts == [
        TaskStart(
            task="fetch",
            route=0,
            action="core.http",
            input={"url": "https://a/", "note": "hello"},
            item=None,
            attempt=0,
            iteration=0,
            delay=3,
            timeout=30,
        )
    ]
    assert step.status == "running" and state.inputs == {"hosts": ["a", "b", "c"], "wait": 3}


def test_items_start_as_the_concurrency_allows_and_end_in_item_order() -> None:
    wf = conductor(ATTUNE_FORMAT)
    state, _ = wf.start({"hosts": ["a", "b", "c"]})
    step = wf.task_ended(state, TaskEnded("fetch", result={"code": 200}))
    assert step.published == {"code": 200}
    assert [(s.task, s.item, s.input["cmd"]) for s in step.starts] == [
        ("ping", 0, "ping -c1 a # 0 after 200"),
        ("ping", 1, "ping -c1 b # 1 after 200"),
    ]
    step = wf.task_ended(state, TaskEnded("ping", item=1, result="B"))
    assert names(step) == [("ping", 2)]  # one slot freed
    assert names(wf.task_ended(state, TaskEnded("ping", item=2, result="C"))) == []
    step = wf.task_ended(state, TaskEnded("ping", item=0, result="A"))
    assert step.status == "succeeded"
    assert step.output == {"code": 200, "pings": ["A", "B", "C"]}


def test_a_batch_starts_when_the_last_one_ended() -> None:
    wf = conductor(
        """
version: "1.0"
tasks:
  - name: each
    action: core.noop
    with_items: "{{ [1, 2, 3] }}"
    batch_size: 2
    input: {n: "{{ item }}"}
"""
    )
    state, step = wf.start()
    assert names(step) == [("each", 0), ("each", 1)]
    assert names(wf.task_ended(state, TaskEnded("each", item=0))) == []
    assert names(wf.task_ended(state, TaskEnded("each", item=1))) == [("each", 2)]


def test_retries_wait_longer_each_time_up_to_the_maximum() -> None:
    wf = conductor(
        """
version: "1.0"
tasks:
  - name: flaky
    action: core.local
    retry: {count: 3, delay: 2, backoff: 2, max_delay: 5}
"""
    )
    state, step = wf.start()
    delays = []
    for attempt in range(3):
        step = wf.task_ended(state, TaskEnded("flaky", status="failed", attempt=attempt))
        [again] = step.starts
        assert again.attempt == attempt + 1
        delays.append(again.delay)
    assert delays == [2, 4, 5]
    step = wf.task_ended(state, TaskEnded("flaky", status="failed", attempt=3))
    assert step.starts == [] and step.status == "failed"


def test_a_loop_s_next_pass_is_a_new_iteration_and_a_late_copy_of_a_report_is_ignored() -> None:
    wf = conductor(
        """
version: 1.0
vars: [{n: 0}]
tasks:
  init: {action: core.noop, next: [{do: body}]}
  body:
    action: core.noop
    next:
      - when: "{{ ctx().n < 2 }}"
        publish: [{n: "{{ ctx().n + 1 }}"}]
        do: again
  again:
    action: core.noop
    next: [{do: body}]
output: [{n: "{{ ctx().n }}"}]
"""
    )
    state, _ = wf.start()
    wf.task_ended(state, TaskEnded("init"))
    wf.task_ended(state, TaskEnded("body", iteration=0))
    step = wf.task_ended(state, TaskEnded("again", iteration=0))
    assert [(s.task, s.iteration) for s in step.starts] == [("body", 1)]
    assert wf.task_ended(state, TaskEnded("body", iteration=0)).operations == []  # (a copy)
    wf.task_ended(state, TaskEnded("body", iteration=1))
    wf.task_ended(state, TaskEnded("again", iteration=1))
    step = wf.task_ended(state, TaskEnded("body", iteration=2))
    assert step.status == "succeeded" and step.output == {"n": 2}


def test_cancel_asks_to_cancel_what_runs_and_ends_canceled_once_it_ended() -> None:
    wf = conductor(
        """
version: 1.0
tasks:
  start: {action: core.noop, next: [{do: "a, b"}]}
  a: {action: core.local, next: [{do: after}]}
  b: {action: core.local}
  after: {action: core.noop}
"""
    )
    state, _ = wf.start()
    wf.task_ended(state, TaskEnded("start"))
    step = wf.cancel(state)
    assert step.status == "canceling" and sorted(step.cancels) == [("a", 0), ("b", 0)]
    assert wf.task_ended(state, TaskEnded("a", status="canceled")).starts == []  # no `after`
    assert wf.task_ended(state, TaskEnded("b", status="canceled")).status == "canceled"


def test_a_run_time_error_fails_the_run_naming_the_task_the_expression_and_the_problem() -> None:
    wf = conductor(
        """
version: 1.0
tasks:
  check:
    action: core.noop
    next: [{when: "{{ result().code > 3 }}", do: done}]
  done: {action: core.noop}
"""
    )
    state, _ = wf.start()
    step = wf.task_ended(state, TaskEnded("check", result={"code": "x"}))
    assert step.status == "failed"
    [error] = step.errors
    assert error["task_id"] == "check" and error["task_transition_id"] == "done__t0"
    assert "{{ result().code > 3 }}" in error["message"] and "at 1:" in error["message"]
    assert "cannot compare" in error["message"]


def run_to_end(wf: Conductor, inputs: dict[str, Any]) -> tuple[WorkflowState, list[Step]]:
    """Every task succeeds, items one at a time."""
    state, step = wf.start(inputs)
    steps = [step]
    pending = list(step.starts)
    while pending:
        start = pending.pop(0)
        step = wf.task_ended(
            state,
            TaskEnded(
                start.task, start.route, result={"code": 200, "item": start.item}, item=start.item
            ),
        )
        steps.append(step)
        pending.extend(step.starts)
    return state, steps


def test_the_recorded_operations_alone_rebuild_the_state() -> None:
    wf = conductor(ATTUNE_FORMAT)
    state, steps = run_to_end(wf, {"hosts": ["a", "b", "c"]})
    assert state.status == "succeeded"
    replayed = WorkflowState()
    for step in steps:
        replayed.apply_all(json.loads(json.dumps(step.operations)))  # (as stored)
    assert replayed.to_json() == state.to_json()


def test_a_state_saved_as_json_carries_on_like_the_original() -> None:
    wf = conductor(ATTUNE_FORMAT)
    state, _ = wf.start({"hosts": ["a", "b"]})
    wf.task_ended(state, TaskEnded("fetch", result={"code": 201}))
    saved = WorkflowState.from_json(json.loads(json.dumps(state.to_json())))
    for each in (state, saved):
        wf.task_ended(each, TaskEnded("ping", item=0, result="x"))
        wf.task_ended(each, TaskEnded("ping", item=1, result="y"))
    assert saved.to_json() == state.to_json() and saved.output == {"code": 201, "pings": ["x", "y"]}
