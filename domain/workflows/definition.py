"""Reading a workflow definition, in either format, into one checked `Workflow`.

`parse_workflow(document)` tells the formats apart by their `tasks`: a mapping of task
specs is Orquesta's native format (`orquesta_format`), a list of named tasks is Attune's
(`attune_format`). Every problem is reported at once (`InvalidWorkflow.problems`), each
with its path; nothing half-read is returned.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from typing import Any

from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.workflows import attune_format, orquesta_format
from attune.domain.workflows.model import Workflow
from attune.domain.workflows.problems import InvalidWorkflow, Problem
from attune.domain.workflows.reading import Reader
from attune.domain.workflows.validation import graph_of


def parse_workflow(
    document: Any,
    actions: Collection[str] | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Workflow:
    """The workflow `document` (a parsed YAML or JSON mapping) defines; `actions`, when
    given, are the refs a task may run. Raises `InvalidWorkflow` with every problem."""
    if not isinstance(document, dict):
        raise InvalidWorkflow([Problem((), "a workflow is a mapping of fields")])
    reader = Reader(limits)
    if orquesta_format.is_orquesta(document):
        parts = orquesta_format.read_workflow(reader, document)
    elif isinstance(document.get("tasks"), list):
        parts = attune_format.read_workflow(reader, document)
    else:
        raise InvalidWorkflow(
            [Problem(("tasks",), "a workflow needs 'tasks': a mapping (Orquesta) or a list")]
        )
    parts |= graph_of(reader, parts["tasks"], parts.pop("paths"), actions)
    if reader.problems:
        raise InvalidWorkflow(reader.problems)
    return Workflow(**parts)


def content_hash(document: Any) -> str:
    """The sha256 of a definition's content (its JSON, keys sorted): the same definition,
    however written or loaded, has the same hash."""
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def problems_of(
    document: Any, actions: Collection[str] | None = None, limits: Limits = DEFAULT_LIMITS
) -> list[Problem]:
    """Every problem of `document` (none: it is a valid workflow)."""
    try:
        parse_workflow(document, actions, limits)
    except InvalidWorkflow as invalid:
        return invalid.problems
    return []
