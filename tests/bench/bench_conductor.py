"""Conductor benchmark: `python tests/bench/bench_conductor.py` prints one JSON line.

In-process throughput of the conductor with no-op tasks (every task reported succeeded as
soon as it is started), for a 100- and a 1,000-task sequence, a 200-branch fan-out into a
join, and a 1,000-item with-items. Each step's operations are serialised with orjson, as
the orchestrator will store them, and the run's state is snapshotted (serialised whole)
every 100 steps. Targets: >= 5,000 tasks/s on each shape; the cost per task in the
1,000-task sequence at most 2x that in the 100-task one (Orquesta's conductor, measured on
this machine by the issue: 85 tasks/s at 200 tasks, 20 at 600).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attune.domain.workflows.conductor import Conductor, TaskEnded  # noqa: E402
from attune.domain.workflows.definition import parse_workflow  # noqa: E402

SNAPSHOT_EVERY = 100
ROUNDS = 5


def sequence(count: int) -> dict[str, Any]:
    tasks = {
        f"t{i}": {
            "action": "core.noop",
            "next": [{"when": "{{ succeeded() }}", "do": f"t{i + 1}"}] if i + 1 < count else [],
        }
        for i in range(count)
    }
    return {"version": 1.0, "tasks": tasks}


def fan_out(branches: int) -> dict[str, Any]:
    names = [f"b{i}" for i in range(branches)]
    tasks: dict[str, Any] = {
        "start": {"action": "core.noop", "next": [{"when": "{{ succeeded() }}", "do": names}]},
        "join": {"action": "core.noop", "join": "all"},
    }
    for name in names:
        tasks[name] = {"action": "core.noop", "next": [{"when": "{{ succeeded() }}", "do": "join"}]}
    return {"version": 1.0, "tasks": tasks}


def with_items(count: int) -> dict[str, Any]:
    return {
        "version": 1.0,
        "input": [{"count": count}],
        "tasks": {
            "each": {
                "action": "core.noop",
                "with": {"items": "{{ range(ctx().count) }}", "concurrency": 50},
                "input": {"n": "{{ item() }}"},
            }
        },
    }


def run(document: dict[str, Any]) -> tuple[int, float]:
    """Tasks (or items) run, and the seconds the run took, serialisation included."""
    conductor = Conductor(parse_workflow(document))
    started = time.perf_counter()
    state, step = conductor.start()
    orjson.dumps(step.operations)
    pending = list(step.starts)
    done = 0
    while pending:
        start = pending.pop()
        step = conductor.task_ended(state, TaskEnded(start.task, start.route, item=start.item))
        orjson.dumps(step.operations)
        done += 1
        if done % SNAPSHOT_EVERY == 0:
            orjson.dumps(state.to_json())
        pending.extend(step.starts)
    took = time.perf_counter() - started
    assert state.status == "succeeded", state.errors
    return done, took


def main() -> None:
    shapes = {
        "sequence_100": sequence(100),
        "sequence_1000": sequence(1000),
        "fan_out_join_200": fan_out(200),
        "with_items_1000": with_items(1000),
    }
    figures: dict[str, Any] = {}
    per_task: dict[str, float] = {}
    for name, document in shapes.items():
        run(document)  # (a warm-up: the first run compiles the expressions)
        runs = [run(document) for _ in range(ROUNDS)]
        tasks = runs[0][0]
        seconds = statistics.median(took for _, took in runs)
        per_task[name] = seconds / tasks
        figures[f"{name}_tasks"] = tasks
        figures[f"{name}_tasks_per_s"] = round(tasks / seconds)
    figures["cost_per_task_1000_over_100"] = round(
        per_task["sequence_1000"] / per_task["sequence_100"], 2
    )
    figures["target_met"] = (
        all(figures[f"{n}_tasks_per_s"] >= 5000 for n in shapes)
        and figures["cost_per_task_1000_over_100"] <= 2
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
