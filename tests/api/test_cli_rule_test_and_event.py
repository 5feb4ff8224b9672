"""`attune rule test` and `attune event get|re-emit` against the real API (in process)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from attune.infra.cli import rule_test
from attune.infra.cli.event import event
from attune.infra.settings import Settings
from tests.api.test_api_rule_tester import OUTAGE, catalog  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("cli_in_process")


def run(command: Any, *args: str) -> Result:
    return CliRunner().invoke(command, list(args), obj={"settings": Settings(), "json": False})


def test_rule_test_prints_each_criterion_the_when_and_masked_parameters() -> None:
    result = run(rule_test.test_command, "ops.page", "--event", str(OUTAGE))

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(f"rule ops.page matches event {OUTAGE}")
    assert any(
        line.split()[:5] == ["trigger.status", "greaterthan", "503", "499", "matched"]
        for line in lines
    )
    assert any(line.split()[:4] == ["trigger.host", "startswith", "db-1", "db-"] for line in lines)
    assert 'when: "prod" in trigger.tags -> true (matched)' in lines
    assert "  token: ********" in lines and "  message: DB-1 answers 503" in lines


def test_rule_test_takes_a_yaml_rule_and_a_payload_file_and_prints_json(tmp_path: Path) -> None:
    rule_file = tmp_path / "rules" / "quiet.yaml"
    rule_file.parent.mkdir()
    (tmp_path / "pack.yaml").write_text("ref: ops\n")
    rule_file.write_text(
        "trigger: core.webhook\n"
        "criteria:\n  trigger.status: {type: lt, pattern: 500}\n"
        "action: core.echo\naction_params: {message: '{{ keystore.motd }}'}\n"
    )
    payload = tmp_path / "payload.json"
    payload.write_text(json.dumps({"status": 200}))

    result = run(
        rule_test.test_command,
        str(rule_file),
        "--payload",
        str(payload),
        "--trigger",
        "core.webhook",
        "--json",
    )

    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert (answer["rule"], answer["matched"]) == ("ops.quiet", True)
    assert answer["parameters"] == {"message": "********"}


def test_rule_test_needs_one_event_and_reports_the_api_refusal(tmp_path: Path) -> None:
    assert run(rule_test.test_command, "ops.page").exit_code != 0
    bad = tmp_path / "bad.yaml"
    bad.write_text("trigger: core.webhook\naction: core.nope\n")
    refused = run(rule_test.test_command, str(bad), "--payload", str(bad))
    assert refused.exit_code != 0 and "rule.action: unknown action 'core.nope'" in refused.output


def test_event_get_and_re_emit() -> None:
    shown = run(event, "get", str(OUTAGE))
    assert shown.exit_code == 0, shown.output
    assert f"id: {OUTAGE}" in shown.output and '"host": "db-1"' in shown.output
    assert "enforcements: none" in shown.output

    again = run(event, "re-emit", str(OUTAGE))
    assert again.exit_code == 0, again.output
    assert again.output.startswith(f"re-emitted {OUTAGE} as ")
    deadline = time.monotonic() + 10
    while (listed := run(event, "list")).output.count("core.webhook") < 2:
        assert time.monotonic() < deadline, listed.output  # the projections follow the store
        time.sleep(0.05)
    assert listed.exit_code == 0
