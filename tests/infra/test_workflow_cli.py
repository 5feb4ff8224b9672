"""`attune workflow validate|rehearse` on files, no system running: exit codes, the
problems with their lines, the differences of a failed rehearsal, JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from attune.infra.cli.main import main

SUITE = Path(__file__).parents[1] / "domain" / "workflows" / "rehearsals"


def attune(*args: str) -> Result:
    return CliRunner().invoke(main, ["workflow", *args])


def test_validate_prints_the_task_graph_of_a_valid_workflow() -> None:
    result = attune("validate", str(SUITE / "workflows" / "split.yaml"))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("valid (orquesta format): 7 tasks, starting with task1")
    assert "  task4: core.noop [split]\n    -> task5 when {{ succeeded() }}" in result.output


def test_validate_prints_every_problem_with_its_line_and_fails(tmp_path: Path) -> None:
    file = tmp_path / "bad.yaml"
    file.write_text(
        "version: 1.0\n"
        "tasks:\n"
        "  a:\n"
        "    action: core.noop\n"
        "    next:\n"
        '      - when: "{{ $.ok }}"\n'
        "        do: [b, zz]\n"
        "  b:\n"
        "    join: 3\n"
    )
    result = attune("validate", str(file))
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{file}:6: tasks.a.next[0].when: bad expression: '$' is YAQL syntax, not supported: "
        "use ctx() or a namespace name at 1:4 in {{ $.ok }}",
        f"{file}:7: tasks.a.next[0].do[1]: unknown task 'zz'",
        f"{file}:9: tasks.b.join: join 3 can never be satisfied: only 1 task(s) lead here (a)",
    ]
    as_json = json.loads(
        CliRunner().invoke(main, ["--json", "workflow", "validate", str(file)]).output
    )
    assert as_json["valid"] is False and len(as_json["problems"]) == 3


def test_rehearse_passes_or_fails_with_the_differences(tmp_path: Path) -> None:
    spec = SUITE / "join_all.yaml"
    passed = attune("rehearse", str(spec))
    assert passed.exit_code == 0 and "passed (7 tasks, succeeded)" in passed.output

    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(spec.read_text().replace("- task5", "- task9"))
    failed = attune("rehearse", str(wrong), "--base", str(SUITE))
    assert failed.exit_code == 1
    assert "expected_task_sequence differs (- expected, + actual):" in failed.output
    assert "  - task9\n  + task5" in failed.output


def test_rehearse_json_prints_what_the_run_did() -> None:
    result = attune("rehearse", str(SUITE / "split_basic.yaml"), "--json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.output)
    assert run["passed"] is True and run["differences"] == []
    assert run["expected_routes"] == [[], ["task2__t0"], ["task3__t0"]]
    assert run["expected_task_sequence"][:4] == ["task1", "task2", "task3", "task4__r1"]


def test_a_spec_that_cannot_run_is_a_clear_error(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("workflow: missing.yaml\nexpected_task_sequence: []\n")
    result = attune("rehearse", str(spec))
    assert result.exit_code == 1 and "cannot read a workflow" in result.output
    assert "missing.yaml" in result.output
