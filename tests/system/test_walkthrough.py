"""The README walkthrough, for real: `attune up`, the hello-world rule, `attune run`."""

from __future__ import annotations

import json
import time

import pytest

from tests.system.harness import wait_until

pytestmark = pytest.mark.slow


def test_hello_world_rule_runs_core_echo_within_15_seconds(attune_up) -> None:  # type: ignore[no-untyped-def]
    started = time.monotonic()
    attune = attune_up()
    with attune.client() as api:

        def hello() -> list:  # type: ignore[type-arg]
            items = api.get("/api/v1/executions", params={"status": "succeeded"}).json()["items"]
            return [e for e in items if e["rule"] == "examples.hello_world"]

        [execution, *_] = wait_until(hello, timeout=15 - (time.monotonic() - started))
        assert execution["action"] == "core.echo"
        assert execution["result"]["stdout"] == "hello, world"
        history = api.get(f"/api/v1/executions/{execution['id']}/history").json()
        statuses = [row["status"] for row in history]
        assert statuses == ["requested", "scheduled", "running", "succeeded"]
        assert execution["enforcement_id"]
        [enforcement] = [
            e
            for e in api.get("/api/v1/enforcements").json()["items"]
            if e["id"] == execution["enforcement_id"]
        ]
        assert enforcement["status"] == "processed"
        assert enforcement["execution_id"] == execution["id"]


def test_attune_run_waits_and_prints_the_status_and_output(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    result = attune.cli("run", "core.echo", "message=hi", "--wait")
    assert "status: succeeded" in result.stdout
    assert result.stdout.rstrip().splitlines()[-1] == "hi"

    listed = attune.cli("execution", "list")
    assert "core.echo" in listed.stdout and "succeeded" in listed.stdout
    assert "core.echo" in attune.cli("action", "list").stdout
    assert "core" in attune.cli("pack", "list").stdout
    assert "examples" not in attune.cli("pack", "list").stdout
    assert attune.cli("rule", "list").stdout.splitlines()[0].startswith("REF")
    listed_json = json.loads(attune.cli("execution", "list", "--json").stdout)
    history = attune.cli("execution", "history", listed_json["items"][0]["id"]).stdout
    assert [line.split()[1] for line in history.splitlines()[1:]] == [
        "requested",
        "scheduled",
        "running",
        "succeeded",
    ]
    assert listed_json["items"][0]["result"]["stdout"] == "hi"
    assert json.loads(attune.cli("--json", "pack", "list").stdout)["total"] == 1


def test_a_failing_command_is_reported_as_failed_with_its_exit_code(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    result = attune.cli("run", "core.local", "cmd=echo oops >&2; exit 3", "--wait", check=False)
    assert result.returncode == 1
    assert "status: failed" in result.stdout and "exited with code 3" in result.stdout
    assert "oops" in result.stderr
