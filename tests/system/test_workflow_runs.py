"""Workflow runs in a real `attune up` and in distributed mode: a workflow action of a
pack runs its tasks as executions of their own through the scheduler and the worker: a
fan-out into a join, a loop over items, a decision, a failure handled; its execution
ends with the output. A cancel of a workflow's execution cancels its running tasks (no
process of theirs is left) and ends it canceled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.system.distributed import Cluster
from tests.system.harness import wait_until, write_pack
from tests.system.test_stopping_runs import processes_running, status, unique_sleep

pytestmark = pytest.mark.slow

MARKER = unique_sleep()
WORKFLOW = """\
version: 1.0
input:
  - hosts: [web1, web2, web3]
vars:
  - greeting: hello
tasks:
  start:
    action: core.noop
    next:
      - do: left, right
  left:
    action: core.local cmd="echo left"
    next:
      - when: "{{ succeeded() }}"
        publish: [{left: "{{ result().stdout }}"}]
        do: merge
  right:
    action: core.local cmd="exit 3"
    next:
      - when: "{{ failed() }}"
        publish: [{right: "{{ 'failed with ' + string(result().exit_code) }}"}]
        do: merge
  merge:
    join: all
    next:
      - do: each
  each:
    action: core.local
    with:
      items: host in {{ ctx().hosts }}
      concurrency: 2
    input:
      cmd: "echo {{ ctx().greeting }} {{ item().host }}"
    next:
      - when: "{{ succeeded() and length(result()) == 3 }}"
        publish: [{greetings: "{{ result() }}"}]
        do: done
  done:
    action: core.noop
output:
  - left: "{{ ctx().left }}"
  - right: "{{ ctx().right }}"
  - greetings: "{{ ctx().greetings }}"
"""


SLOW = f"""\
version: 1.0
tasks:
  start:
    action: core.noop
    next: [{{do: "one, two"}}]
  one:
    action: core.local cmd="sh -c '{MARKER} & {MARKER}'"
    next: [{{do: never}}]
  two:
    action: core.local cmd="{MARKER}"
  never:
    action: core.noop
"""


def write_flows_pack(packs: Path) -> None:
    write_pack(
        packs,
        "flows",
        {
            "actions/fan.yaml": "workflow_file: workflows/fan.yaml\n",
            "actions/workflows/fan.yaml": WORKFLOW,
            "actions/slow.yaml": "workflow_file: workflows/slow.yaml\n",
            "actions/workflows/slow.yaml": SLOW,
        },
    )


def fan_out_join_loop_decide_handle(api: httpx.Client) -> None:
    accepted = api.post("/api/v1/executions", json={"action": "flows.fan"})
    assert accepted.status_code == 202, accepted.text
    run = accepted.json()["id"]

    def ended() -> dict[str, Any] | None:
        answer = api.get(f"/api/v1/executions/{run}")
        if answer.status_code != 200:
            return None  # (not projected yet)
        execution: dict[str, Any] = answer.json()
        return execution if execution["status"] in ("succeeded", "failed") else None

    try:
        execution = wait_until(ended, timeout=90)
    except TimeoutError:
        print(api.get("/api/v1/executions", params={"limit": 100}).json())  # (what ran)
        raise
    assert execution["status"] == "succeeded", execution
    assert execution["result"]["output"] == {
        "left": "left",
        "right": "failed with 3",
        "greetings": [
            {"exit_code": 0, "stdout": f"hello {h}", "stderr": ""} for h in ("web1", "web2", "web3")
        ],
    }
    assert [e["message"] for e in execution["result"]["errors"]] == [
        "Execution failed. See result for details."  # (right's failure, handled)
    ]
    tasks = api.get("/api/v1/executions", params={"limit": 100}).json()["items"]
    local = [t for t in tasks if t["action"] == "core.local"]
    assert len(local) == 5 and {t["status"] for t in local} == {"succeeded", "failed"}


def cancel_ends_the_run_and_its_tasks(api: httpx.Client) -> None:
    """Cancel of a workflow's execution: its running tasks are canceled, their processes
    killed, no further task starts, and the workflow ends canceled."""
    accepted = api.post("/api/v1/executions", json={"action": "flows.slow"})
    assert accepted.status_code == 202, accepted.text
    run = accepted.json()["id"]
    wait_until(lambda: len(processes_running(MARKER)) >= 3, timeout=60)

    answer = api.delete(f"/api/v1/executions/{run}")
    assert answer.status_code == 202 and answer.json()["status"] == "canceling", answer.text

    wait_until(lambda: status(api, run) == "canceled", timeout=60)
    assert processes_running(MARKER) == []
    tasks = api.get("/api/v1/executions", params={"limit": 100}).json()["items"]
    local = [t for t in tasks if MARKER in t["parameters"].get("cmd", "")]
    assert len(local) == 2 and {t["status"] for t in local} == {"canceled"}
    assert not [
        t for t in tasks if t["action"] == "core.noop" and t["created_at"] > local[0]["created_at"]
    ]
    assert all(t["error"] == "canceled by orchestrator" for t in local), local


def test_a_workflow_runs_its_tasks_through_the_workers_in_attune_up(
    attune_up,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    write_flows_pack(tmp_path / "run" / "packs")
    attune = attune_up("--no-examples")
    with attune.client() as api:
        fan_out_join_loop_decide_handle(api)
        cancel_ends_the_run_and_its_tasks(api)


def test_a_workflow_runs_its_tasks_through_the_workers_in_distributed_mode(
    tmp_path: Path, kafka_broker: str, postgres_server: str, postgres_schema: str
) -> None:
    write_flows_pack(tmp_path / "run" / "packs")
    cluster = Cluster(tmp_path / "run", postgres_server, postgres_schema, kafka_broker)
    cluster.attune("kafka", "init")
    cluster.start()
    try:
        with cluster.client() as api:
            fan_out_join_loop_decide_handle(api)
            cancel_ends_the_run_and_its_tasks(api)
    finally:
        cluster.stop()
        print(cluster.logs())  # (shown when the test failed)
