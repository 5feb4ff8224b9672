"""Workflow actions in packs: an action's `workflow_file` (or StackStorm's `runner_type:
orquesta` with its `entry_point`) read and checked when the pack loads, every problem
named with the workflow file's line; a bad workflow keeps only its action out."""

from __future__ import annotations

from pathlib import Path

import pytest

from attune.infra.pack_loader import load_packs
from tests.infra.test_pack_loader import make_pack, problems_of, write, write_noop

DEPLOY = """
version: "1.0"
tasks:
  - name: build
    action: ops.build
    next:
      - when: "{{ succeeded() }}"
        do: [ship]
  - name: ship
    action: ops.ship
"""


@pytest.fixture
def pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # (problems name files relative to it)
    directory = make_pack(tmp_path / "packs", "ops")
    write_noop(directory, "build")
    write_noop(directory, "ship")
    return directory


def test_a_workflow_action_holds_its_definition_as_read(pack: Path) -> None:
    write(pack / "actions" / "deploy.yaml", "workflow_file: workflows/deploy.workflow.yaml\n")
    write(pack / "actions" / "workflows" / "deploy.workflow.yaml", DEPLOY)
    write(
        pack / "actions" / "legacy.yaml", "runner_type: orquesta\nentry_point: workflows/l.yaml\n"
    )
    write(
        pack / "actions" / "workflows" / "l.yaml",
        "version: 1.0\ntasks:\n  a: {action: ops.build}\n",
    )

    [loaded], problems = load_packs([pack])

    assert problems == [] and problems_of(loaded) == []
    actions = {a.ref: a for a in loaded.actions}
    deploy = actions["ops.deploy"]
    assert deploy.runner_type == "workflow" and deploy.entry_point is None
    assert deploy.workflow_file == "workflows/deploy.workflow.yaml"
    assert [t["name"] for t in deploy.workflow["tasks"]] == ["build", "ship"]  # type: ignore[index]
    legacy = actions["ops.legacy"]
    assert legacy.runner_type == "workflow" and legacy.workflow_file == "workflows/l.yaml"


def test_every_problem_of_a_workflow_names_its_file_and_line_and_only_it_is_refused(
    pack: Path,
) -> None:
    write(pack / "actions" / "deploy.yaml", "workflow_file: workflows/deploy.yaml\n")
    write(
        pack / "actions" / "workflows" / "deploy.yaml",
        DEPLOY.replace("do: [ship]", "do: [shipp]").replace('"{{ succeeded() }}"', '"{{ $.ok }}"'),
    )
    write(pack / "actions" / "other.yaml", "workflow_file: workflows/other.yaml\n")
    write(pack / "actions" / "workflows" / "other.yaml", DEPLOY.replace("ops.ship", "ops.nosuch"))
    write(pack / "actions" / "missing.yaml", "workflow_file: workflows/nowhere.yaml\n")

    [loaded], _ = load_packs([pack])

    file = "packs/ops/actions/workflows/deploy.yaml"
    assert problems_of(loaded) == [
        f"{file}:6: tasks[0].next[0].when: bad expression: '$' is YAQL syntax, not supported: "
        "use ctx() or a namespace name at 1:4 in {{ $.ok }}",
        f"{file}:7: tasks[0].next[0].do[0]: unknown task 'shipp' (did you mean 'ship'?)",
        "packs/ops/actions/missing.yaml:1: field 'workflow_file': 'workflows/nowhere.yaml' does "
        "not exist (packs/ops/actions/workflows/nowhere.yaml)",
        "packs/ops/actions/workflows/other.yaml:9: tasks[1].action: unknown action 'ops.nosuch'",
    ]
    assert sorted(a.ref for a in loaded.actions) == ["ops.build", "ops.ship"]
