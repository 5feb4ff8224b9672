"""Attune's own workflow format (the seeds' `*.workflow.yaml`: `tasks` a list of named
tasks) read into the model.

    version: "1.0"
    vars: {attempts: 0}
    tasks:
      - name: fetch
        action: core.http
        input: {url: "{{ parameters.url }}"}
        with_items: "{{ parameters.hosts }}"     # item / index in the task's templates
        concurrency: 2                          # items at once (default 1)
        batch_size: 10                          # or: batches, each after the last ended
        retry: {count: 3, delay: 2, backoff: 2, max_delay: 30, when: "{{ failed() }}"}
        timeout: 60
        delay: 5
        join: all
        next:
          - when: "{{ succeeded() }}"
            publish: [{body: "{{ result().body }}"}]
            do: [parse]
            label: main path
            color: "#22c55e"
        on_failure: notify                      # legacy: becomes a `next` entry
    output_map: {body: "{{ workflow.body }}"}

The action YAML that points at the file (`workflow_file`) owns the parameters; a
standalone file may carry its own `parameters` (the flat schema), whose defaults become
the workflow's inputs.
"""

from __future__ import annotations

from typing import Any

from attune.domain.workflows.model import MISSING, Items, Retry, TaskSpec, Transition
from attune.domain.workflows.orquesta_format import items_of, join_of
from attune.domain.workflows.problems import Path
from attune.domain.workflows.reading import Reader

WORKFLOW_FIELDS = frozenset(
    {
        "version",
        "ref",
        "label",
        "description",
        "parameters",
        "output",
        "tags",
        "vars",
        "tasks",
        "output_map",
    }
)
TASK_FIELDS = frozenset(
    {
        "name",
        "type",
        "action",
        "input",
        "next",
        "with_items",
        "batch_size",
        "concurrency",
        "join",
        "retry",
        "delay",
        "timeout",
        "publish",
        "on_success",
        "on_failure",
        "on_complete",
        "on_timeout",
        "decision",
    }
)
TRANSITION_FIELDS = frozenset(
    {"when", "publish", "do", "label", "color", "edge_waypoints", "label_positions"}
)
RETRY_FIELDS = frozenset({"count", "delay", "backoff", "max_delay", "when"})
# The legacy shortcuts, in the order their transitions are added to `next`.
LEGACY = (
    ("on_success", "{{ succeeded() }}"),
    ("on_failure", "{{ failed() }}"),
    ("on_timeout", "{{ timed_out() }}"),
    ("on_complete", None),
)
DEFAULT_ITEM_CONCURRENCY = 1  # the seeds' with_items runs one item at a time unless told


def read_workflow(reader: Reader, document: dict[str, Any]) -> dict[str, Any]:
    reader.known_fields(document, WORKFLOW_FIELDS, (), "a workflow")
    tasks: dict[str, TaskSpec] = {}
    paths: dict[str, Path] = {}
    for i, spec in enumerate(document["tasks"]):
        path: Path = ("tasks", i)
        spec = reader.mapping(spec, path, "a task")
        name = reader.name(spec.get("name"), path + ("name",), "a task's name")
        if name is None:
            continue
        if name in tasks:
            reader.problem(path + ("name",), f"task '{name}' is defined twice")
            continue
        tasks[name] = _task(reader, name, spec, path)
        paths[name] = path
    description = document.get("description")
    return {
        "format": "attune",
        "tasks": tasks,
        "input": _inputs(reader, document.get("parameters")),
        "vars": reader.pairs(document.get("vars"), ("vars",), "variable"),
        "output": reader.pairs(document.get("output_map"), ("output_map",), "output"),
        "description": description if isinstance(description, str) else None,
        "paths": paths,
    }


def _inputs(reader: Reader, value: Any) -> tuple[tuple[str, Any], ...]:
    """The flat parameter schema's names and defaults (`{url: {type: string}}`)."""
    found = []
    for name, spec in reader.mapping(value, ("parameters",)).items():
        default = spec.get("default", MISSING) if isinstance(spec, dict) else MISSING
        if reader.name(name, ("parameters", name), "a parameter") is not None:
            found.append((name, default))
    return tuple(found)


def _task(reader: Reader, name: str, spec: dict[str, Any], path: Path) -> TaskSpec:
    reader.known_fields(spec, TASK_FIELDS, path, "a task")
    if spec.get("type") not in (None, "action", "workflow"):
        reader.problem(
            path + ("type",),
            "a task runs one action (a workflow is an action too); for branches in "
            "parallel, give a transition several targets in 'do'",
        )
    action = spec.get("action")
    if action is not None and (not isinstance(action, str) or not action.strip()):
        reader.problem(path + ("action",), f"expected an action's ref, found {action!r}")
        action = None
    parameters = reader.mapping(spec.get("input"), path + ("input",))
    reader.templates(parameters, path + ("input",))
    return TaskSpec(
        name=name,
        action=action,
        input=parameters,
        next=tuple(_transitions(reader, spec, path)),
        join=join_of(reader, spec.get("join"), path + ("join",)),
        items=_items(reader, spec, path),
        retry=_retry(reader, spec.get("retry"), path + ("retry",)),
        delay=reader.number_or_template(spec.get("delay"), path + ("delay",), "a delay"),
        timeout=reader.number_or_template(spec.get("timeout"), path + ("timeout",), "a timeout"),
    )


def _transitions(reader: Reader, spec: dict[str, Any], path: Path) -> list[Transition]:
    found = reader.transitions(spec.get("next"), path + ("next",), TRANSITION_FIELDS)
    # The legacy task-level publish goes with the success transition, as it did there.
    legacy_publish = reader.pairs(spec.get("publish"), path + ("publish",), "variable")
    for key, written in LEGACY:
        if spec.get(key) is None:
            continue
        if key == "on_failure" and spec.get("on_timeout") is not None:
            written = "{{ failed() and not timed_out() }}"  # (a timeout: on_timeout only)
        condition, text = reader.condition(written, path + (key,)) if written else (None, None)
        found.append(
            Transition(
                when=condition,
                when_text=text,
                publish=legacy_publish if key == "on_success" else (),
                do=tuple(reader.targets(spec[key], path + (key,))),
            )
        )
    for i, branch in enumerate(spec.get("decision") or []):
        where = path + ("decision", i)
        branch = reader.mapping(branch, where, "a decision branch (when, next)")
        condition, text = reader.condition(branch.get("when"), where + ("when",))
        found.append(
            Transition(
                when=condition,
                when_text=text,
                publish=(),
                do=tuple(reader.targets(branch.get("next") or branch.get("do"), where + ("next",))),
            )
        )
    if legacy_publish and spec.get("on_success") is None:
        reader.problem(path + ("publish",), "a task-level publish needs on_success (or use next)")
    return found


def _items(reader: Reader, spec: dict[str, Any], path: Path) -> Items | None:
    if spec.get("with_items") is None:
        for key in ("batch_size", "concurrency"):
            if spec.get(key) is not None:
                reader.problem(path + (key,), f"{key} applies to with_items, which is not given")
        return None
    concurrency = reader.number_or_template(
        spec.get("concurrency"), path + ("concurrency",), "a concurrency"
    )
    batch = reader.number_or_template(
        spec.get("batch_size"), path + ("batch_size",), "a batch size"
    )
    if concurrency == 0 or batch == 0:
        reader.problem(path, "concurrency and batch_size must be at least 1")
    if concurrency is not None and batch is not None:
        reader.problem(path + ("batch_size",), "give concurrency or batch_size, not both")
    items = items_of(reader, spec["with_items"], None, path + ("with_items",))
    if batch is not None:
        return Items(items.source, items.names, batch, batches=True)
    return Items(
        items.source, items.names, DEFAULT_ITEM_CONCURRENCY if concurrency is None else concurrency
    )


def _retry(reader: Reader, value: Any, path: Path) -> Retry | None:
    if value is None:
        return None
    spec = reader.mapping(value, path, "a retry (count, delay, backoff, max_delay, when)")
    reader.known_fields(spec, RETRY_FIELDS, path, "retry")
    count = reader.number_or_template(spec.get("count"), path + ("count",), "a count")
    if count is None:
        reader.problem(path + ("count",), "a retry needs a count")
    backoff = spec.get("backoff", 1)
    if isinstance(backoff, bool) or not isinstance(backoff, int | float) or backoff < 1:
        reader.problem(path + ("backoff",), f"a backoff is a factor >= 1, found {backoff!r}")
        backoff = 1
    max_delay = reader.number_or_template(spec.get("max_delay"), path + ("max_delay",), "a delay")
    when, text = reader.condition(spec.get("when"), path + ("when",))
    return Retry(
        count=count or 0,
        delay=reader.number_or_template(spec.get("delay"), path + ("delay",), "a delay") or 0,
        backoff=float(backoff),
        max_delay=max_delay if isinstance(max_delay, int | float) else None,
        when=when,
        when_text=text,
    )
