"""Properties of the conductor over random DAG-shaped workflows and random task outcomes:
every run ends, no task (task, route, item, attempt, iteration) starts twice, and its
recorded operations rebuild its state."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, note, settings
from hypothesis import strategies as st

from attune.domain.workflows.conductor import Conductor, TaskEnded
from attune.domain.workflows.definition import parse_workflow
from attune.domain.workflows.state import WorkflowState

CONDITIONS = [None, "{{ succeeded() }}", "{{ failed() }}", "{{ completed() }}"]
COMMANDS = ["noop", "fail", "continue"]


@st.composite
def workflows(draw: Any) -> dict[str, Any]:
    count = draw(st.integers(2, 10))
    names = [f"t{i}" for i in range(count)]
    tasks: dict[str, dict[str, Any]] = {name: {"action": "core.noop"} for name in names}
    sources: dict[str, set[str]] = {name: set() for name in names}
    for i, name in enumerate(names):
        later = names[i + 1 :]
        transitions = []
        for _ in range(draw(st.integers(0, 3))):
            targets = draw(st.lists(st.sampled_from(later + COMMANDS), max_size=3, unique=True))
            transition: dict[str, Any] = {"do": targets}
            when = draw(st.sampled_from(CONDITIONS))
            if when:
                transition["when"] = when
            if draw(st.booleans()):
                transition["publish"] = [{f"v{i}": "{{ ctx().n + 1 }}"}, {"n": f"{i}"}]
            transitions.append(transition)
            for target in targets:
                if target in sources:
                    sources[target].add(name)
        if transitions:
            tasks[name]["next"] = transitions
        if draw(st.integers(0, 4)) == 0:
            tasks[name]["with"] = {
                "items": draw(st.sampled_from(["{{ [1, 2, 3] }}", "{{ [] }}", "{{ [ctx().n] }}"])),
                "concurrency": draw(st.sampled_from([1, 2, None])),
            }
        if draw(st.integers(0, 5)) == 0:
            tasks[name]["retry"] = {"count": draw(st.integers(1, 2)), "when": "{{ failed() }}"}
    for name in names:
        if len(sources[name]) >= 2 and draw(st.booleans()):
            tasks[name]["join"] = draw(st.sampled_from(["all", *range(1, len(sources[name]) + 1)]))
    return {"version": 1.0, "vars": [{"n": 0}], "tasks": tasks, "output": [{"n": "{{ ctx().n }}"}]}


@settings(max_examples=300, deadline=None)
@given(workflows(), st.randoms(use_true_random=False))
def test_runs_end_start_nothing_twice_and_replay_to_the_same_state(
    document: dict[str, Any], chance: Any
) -> None:
    note(json.dumps(document))  # (a failure shows the whole workflow)
    conductor = Conductor(parse_workflow(document))
    state, step = conductor.start()
    operations = list(step.operations)
    started = set()
    running = list(step.starts)
    for _ in range(10_000):
        for start in step.starts:
            identity = (start.task, start.route, start.item, start.attempt, start.iteration)
            assert identity not in started, identity
            started.add(identity)
        if not running:
            break
        start = running.pop(chance.randrange(len(running)))
        status = chance.choice(["succeeded", "succeeded", "failed", "timeout"])
        step = conductor.task_ended(
            state,
            TaskEnded(
                start.task,
                start.route,
                status,
                {"n": 1},
                start.item,
                start.attempt,
                start.iteration,
            ),
        )
        operations.extend(step.operations)
        running.extend(step.starts)
    assert not running and not state.active
    assert state.status in ("succeeded", "failed"), state.status
    replayed = WorkflowState()
    replayed.apply_all(json.loads(json.dumps(operations)))
    assert replayed.to_json() == state.to_json()
