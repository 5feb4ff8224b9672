"""Orquesta's native workflow format (`version: 1.0`, `tasks` a mapping) read into the
model.

    version: 1.0
    input: [name, {name: default}]
    vars: [{name: value}]
    tasks:
      fetch:
        action: core.local cmd="curl -s {{ ctx().url }}"   # inline parameters
        input: {timeout: 30}
        with: {items: "x in {{ ctx().hosts }}", concurrency: 2}
        retry: {when: "{{ failed() }}", count: 3, delay: 1}
        delay: 5
        join: all            # or a count
        next:
          - when: "{{ succeeded() }}"
            publish: [{body: "{{ result().stdout }}"}]
            do: [parse, notify]    # or "parse, notify"
    output: [{body: "{{ ctx().body }}"}]

Expressions are Attune's language in `{{ }}` or `<% %>` blocks; YAQL syntax is refused
where it is written.
"""

from __future__ import annotations

import json
import re
from typing import Any

from attune.domain.workflows.model import MISSING, Items, Retry, TaskSpec
from attune.domain.workflows.problems import Path
from attune.domain.workflows.reading import Reader, is_template

WORKFLOW_FIELDS = frozenset({"version", "description", "input", "vars", "tasks", "output"})
TASK_FIELDS = frozenset({"action", "input", "next", "join", "with", "retry", "delay", "timeout"})
TRANSITION_FIELDS = frozenset({"when", "publish", "do"})
WITH_FIELDS = frozenset({"items", "concurrency"})
RETRY_FIELDS = frozenset({"when", "count", "delay"})
_INLINE = re.compile(r"""\s*([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|\S+)""")
_NAMED_ITEMS = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*(?:\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*)\s+in\s+")


def is_orquesta(document: dict[str, Any]) -> bool:
    return isinstance(document.get("tasks"), dict)


def read_workflow(reader: Reader, document: dict[str, Any]) -> dict[str, Any]:
    """The workflow's parts (`Workflow`'s fields but the derived ones)."""
    reader.known_fields(document, WORKFLOW_FIELDS, (), "a workflow")
    if str(document.get("version", "1.0")) != "1.0":
        reader.problem(("version",), f"unsupported version {document['version']!r} (1.0 only)")
    inputs = tuple(
        (name, MISSING if value is MISSING else value)
        for name, value in reader.pairs(document.get("input"), ("input",), "input")
    )
    variables = tuple(
        (name, None if value is MISSING else value)
        for name, value in reader.pairs(document.get("vars"), ("vars",), "variable")
    )
    output = tuple(
        (name, None if value is MISSING else value)
        for name, value in reader.pairs(document.get("output"), ("output",), "output")
    )
    tasks: dict[str, TaskSpec] = {}
    for name, spec in reader.mapping(document.get("tasks"), ("tasks",)).items():
        path: Path = ("tasks", name)
        if reader.name(name, path, "a task's name") is not None:
            tasks[name] = _task(reader, name, reader.mapping(spec, path, "a task"), path)
    description = document.get("description")
    return {
        "format": "orquesta",
        "tasks": tasks,
        "input": inputs,
        "vars": variables,
        "output": output,
        "description": description if isinstance(description, str) else None,
        "paths": {name: ("tasks", name) for name in tasks},
    }


def _task(reader: Reader, name: str, spec: dict[str, Any], path: Path) -> TaskSpec:
    reader.known_fields(spec, TASK_FIELDS, path, "a task")
    action, inline = _action(reader, spec.get("action"), path + ("action",))
    given = reader.mapping(spec.get("input"), path + ("input",))
    for key in set(inline) & set(given):
        reader.problem(path + ("input", key), "given twice: inline in 'action' and in 'input'")
    parameters = inline | given
    reader.templates(parameters, path + ("input",))
    return TaskSpec(
        name=name,
        action=action,
        input=parameters,
        next=tuple(reader.transitions(spec.get("next"), path + ("next",), TRANSITION_FIELDS)),
        join=join_of(reader, spec.get("join"), path + ("join",)),
        items=_items(reader, spec.get("with"), path + ("with",)),
        retry=_retry(reader, spec.get("retry"), path + ("retry",)),
        delay=reader.number_or_template(spec.get("delay"), path + ("delay",), "a delay"),
        timeout=reader.number_or_template(spec.get("timeout"), path + ("timeout",), "a timeout"),
    )


def _action(reader: Reader, value: Any, path: Path) -> tuple[str | None, dict[str, Any]]:
    """The action's ref and its inline parameters (``core.local cmd="ls -l" timeout=5``)."""
    if value is None:
        return None, {}
    if not isinstance(value, str) or not value.strip():
        reader.problem(path, f"expected an action's ref, found {value!r}")
        return None, {}
    ref, _, rest = value.strip().partition(" ")
    parameters: dict[str, Any] = {}
    position = 0
    while rest[position:].strip():
        found = _INLINE.match(rest, position)
        if found is None:
            reader.problem(path, f"cannot read inline parameters at {rest[position:].strip()!r}")
            break
        key, raw = found.groups()
        parameters[key] = raw[1:-1] if raw[:1] in "\"'" and len(raw) > 1 else _scalar(raw)
        position = found.end()
    return ref, parameters


def _scalar(raw: str) -> Any:
    """An unquoted inline value: a JSON number, boolean or null as such, else the text."""
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def join_of(reader: Reader, value: Any, path: Path) -> Any:
    if value is None or value == "all":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        reader.problem(path, f"a join is 'all' or a count of inbound tasks >= 1, found {value!r}")
        return None
    return value


def items_of(reader: Reader, source: Any, concurrency: Any, path: Path) -> Items:
    """``x in <expr>`` (or ``x, y in <expr>``: zipped), a bare template, or a list."""
    names: tuple[str, ...] = ()
    if isinstance(source, str):
        named = _NAMED_ITEMS.match(source)
        if named is not None and is_template(source[named.end() :]):
            names = tuple(n.strip() for n in named.group(1).split(","))
            source = source[named.end() :].strip()
        if not is_template(source):
            reader.problem(path, f"expected a list or an expression giving one, found {source!r}")
        reader.templates(source, path)
    elif not isinstance(source, list):
        reader.problem(path, "expected a list or an expression giving one")
    return Items(source, names, concurrency)


def _items(reader: Reader, value: Any, path: Path) -> Items | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return items_of(reader, value, None, path)
    reader.known_fields(value, WITH_FIELDS, path, "with")
    if "items" not in value:
        reader.problem(path, "'with' needs 'items'")
    concurrency = reader.number_or_template(
        value.get("concurrency"), path + ("concurrency",), "a concurrency"
    )
    if concurrency == 0:
        reader.problem(path + ("concurrency",), "a concurrency must be at least 1")
    return items_of(reader, value.get("items"), concurrency, path + ("items",))


def _retry(reader: Reader, value: Any, path: Path) -> Retry | None:
    if value is None:
        return None
    spec = reader.mapping(value, path, "a retry (count, when, delay)")
    reader.known_fields(spec, RETRY_FIELDS, path, "retry")
    when, text = reader.condition(spec.get("when"), path + ("when",))
    count = reader.number_or_template(spec.get("count"), path + ("count",), "a count")
    if count is None:
        reader.problem(path + ("count",), "a retry needs a count")
    delay = reader.number_or_template(spec.get("delay"), path + ("delay",), "a delay")
    return Retry(count=count or 0, delay=delay or 0, when=when, when_text=text)
