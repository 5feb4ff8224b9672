"""The checks of a whole workflow, once its parts are read: where transitions lead, what
can be reached, which joins can be satisfied, which actions exist, what `publish` may read;
and then the graph the conductor follows (`graph.compose`).

A cycle is allowed (a loop is a transition back to an earlier task).
"""

from __future__ import annotations

from collections.abc import Collection
from difflib import get_close_matches
from typing import Any

from attune.domain.workflows.graph import compose
from attune.domain.workflows.model import ENGINE_COMMANDS, TaskSpec
from attune.domain.workflows.problems import Path
from attune.domain.workflows.reading import Reader, roots_of


def graph_of(
    reader: Reader,
    tasks: dict[str, TaskSpec],
    paths: dict[str, Path],
    actions: Collection[str] | None,
) -> dict[str, Any]:
    """Check the graph of `tasks` (each written at its path in `paths`), noting problems
    in `reader`, and compose it."""
    for name, task in tasks.items():
        path = paths[name]
        if task.action is not None and actions is not None and task.action not in actions:
            reader.problem(path + ("action",), f"unknown action '{task.action}'")
        if task.name in ENGINE_COMMANDS:
            reader.problem(path, f"'{task.name}' is an engine command, not a task name")
        for i, transition in enumerate(task.next):
            for j, target in enumerate(transition.do):
                if target not in ENGINE_COMMANDS and target not in tasks:
                    reader.problem(
                        path + ("next", i, "do", j),
                        f"unknown task '{target}'{_closest(target, tasks)}",
                    )
            if "keystore" in roots_of([v for _, v in transition.publish], reader.limits):
                reader.problem(
                    path + ("next", i, "publish"),
                    "publish may not read the keystore: published variables are recorded "
                    "in the workflow's events (read the key where it is used instead)",
                )
    graph = compose(tasks)
    if tasks and not graph.start:
        reader.problem(
            ("tasks",), "no task to start with: every task is the target of a transition"
        )
    _unreachable(reader, tasks, paths, graph.start)
    for name, task in tasks.items():
        sources = graph.sources(name)
        if task.join is not None:
            needed = len(sources) if task.join == "all" else task.join
            if not sources:
                reader.problem(
                    paths[name] + ("join",), "a join with no inbound task: nothing leads here"
                )
            elif needed > len(sources):
                reader.problem(
                    paths[name] + ("join",),
                    f"join {task.join} can never be satisfied: only {len(sources)} task(s) "
                    f"lead here ({', '.join(sorted(sources))})",
                )
    return {"graph": graph}


def _unreachable(
    reader: Reader, tasks: dict[str, TaskSpec], paths: dict[str, Path], start: tuple[str, ...]
) -> None:
    reached = set(start)
    frontier = list(start)
    while frontier:
        for transition in tasks[frontier.pop()].next:
            for target in transition.do:
                if target in tasks and target not in reached:
                    reached.add(target)
                    frontier.append(target)
    for name in tasks:
        if name not in reached and start:
            reader.problem(paths[name], "unreachable: no path from a start task leads here")


def _closest(name: str, tasks: dict[str, TaskSpec]) -> str:
    found = get_close_matches(name, list(tasks), n=1)
    return f" (did you mean '{found[0]}'?)" if found else ""
