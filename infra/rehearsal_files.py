"""Rehearsal and workflow files on disk: `rehearse_file` runs a rehearsal spec file (as
Orquesta's `orquesta-rehearse -p BASE -f SPEC` does), `read_workflow_file` a workflow
file; both name the file and line of what is wrong.

    from attune.infra.rehearsal_files import rehearse_file
    outcome = rehearse_file(Path("tests/deploy.yaml"))
    assert outcome.passed, "\\n".join(outcome.differences)

The spec's `workflow` (and a mock's `result_path`) is a path relative to `base`, by
default the spec's own folder; `workflow` may also be the workflow itself, inline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.workflows.model import Workflow
from attune.domain.workflows.rehearsal import InvalidRehearsal, Outcome, rehearse
from attune.infra.pack_loader import PackLoadError, YamlDocument, read_workflow, read_yaml_file


def rehearse_file(
    spec_file: Path, base: Path | None = None, limits: Limits = DEFAULT_LIMITS
) -> Outcome:
    """Run the rehearsal `spec_file` holds. Raises `InvalidRehearsal` for a spec that
    cannot run (naming the file)."""
    base = base or spec_file.parent
    spec = _read(spec_file, "a rehearsal spec").data
    if isinstance(spec.get("workflow"), dict):
        workflow = spec["workflow"]
    elif isinstance(spec.get("workflow"), str):
        workflow = _read(base / spec["workflow"], "a workflow").data
    else:
        raise InvalidRehearsal(f"{spec_file}: 'workflow' names the workflow file it runs")
    mocks = spec.get("mock_action_executions") or []
    for i, mock in enumerate(mocks if isinstance(mocks, list) else []):
        if isinstance(mock, dict) and "result_path" in mock:
            mocks[i] = {k: v for k, v in mock.items() if k != "result_path"}
            mocks[i]["result"] = _result(base / str(mock["result_path"]))
    try:
        return rehearse(spec, workflow, limits)
    except InvalidRehearsal as invalid:
        raise InvalidRehearsal(f"{spec_file}: {invalid}") from None


def read_workflow_file(
    file: Path, actions: set[str] | None = None
) -> tuple[Workflow | None, list[str]]:
    """The workflow `file` defines, or None and every problem, each as
    ``file:line: path: message``."""
    try:
        _, workflow, problems = read_workflow(file, actions)
    except PackLoadError as unreadable:
        raise InvalidRehearsal(f"cannot read a workflow: {unreadable}") from None
    return workflow, [str(problem) for problem in problems]


def _read(file: Path, what: str) -> YamlDocument:
    try:
        return read_yaml_file(file)
    except PackLoadError as failed:
        raise InvalidRehearsal(f"cannot read {what}: {failed}") from None


def _result(file: Path) -> Any:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise InvalidRehearsal(f"cannot read a mock's result_path: {error}") from None
    if file.suffix == ".json":
        return json.loads(text)
    if file.suffix in (".yaml", ".yml"):
        return yaml.safe_load(text)
    return text
