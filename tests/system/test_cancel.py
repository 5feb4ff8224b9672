"""Canceling runs, in `attune up` and in distributed mode: a running `core.local` whose
command starts a child and a grandchild leaves no process of its tree alive and ends
`canceled`; a run still waiting for a worker slot ends `canceled` without a process; a
second cancel is a 409 naming the status.

The worker runs one action at a time (`ATTUNE_WORKER_CONCURRENCY=1`), so a second request
waits, scheduled, while the first runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.system.distributed import Cluster
from tests.system.harness import wait_until

pytestmark = pytest.mark.slow

ONE_AT_A_TIME = {"ATTUNE_WORKER_CONCURRENCY": "1"}


def processes_running(marker: str) -> list[int]:
    """The pids of live processes whose command line holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            cmdline = Path("/proc", entry, "cmdline").read_bytes().replace(b"\0", b" ")
            state = Path("/proc", entry, "stat").read_text().split(") ")[-1][0]
        except OSError:
            continue  # it ended meanwhile
        if marker.encode() in cmdline and state != "Z":
            found.append(int(entry))
    return found


def status(api: httpx.Client, execution_id: str) -> str | None:
    response = api.get(f"/api/v1/executions/{execution_id}")
    return response.json()["status"] if response.status_code == 200 else None


def request(api: httpx.Client, cmd: str) -> str:
    accepted = api.post(
        "/api/v1/executions", json={"action": "core.local", "parameters": {"cmd": cmd}}
    )
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["id"])


def cancel_scenario(api: httpx.Client, tag: str) -> None:
    # A unique sleep length marks this test's processes: `sleep 3<tag>7`.
    running_marker, waiting_marker = f"sleep 3{tag}7", f"sleep 3{tag}8"
    running = request(api, f"sh -c '{running_marker} & {running_marker}'")
    wait_until(lambda: status(api, running) == "running", timeout=60)
    # the shell, its child shell, and the child's two sleeps
    wait_until(lambda: len(processes_running(running_marker)) >= 3, timeout=30)
    waiting = request(api, waiting_marker)
    wait_until(lambda: status(api, waiting) == "scheduled", timeout=60)

    answer: dict[str, Any] = api.delete(f"/api/v1/executions/{waiting}").json()
    assert answer["status"] == "canceled"
    answer = api.delete(f"/api/v1/executions/{running}").json()
    assert answer["status"] in {"canceling", "canceled"}

    wait_until(lambda: status(api, running) == "canceled", timeout=30)
    assert processes_running(running_marker) == []
    run = api.get(f"/api/v1/executions/{running}").json()
    assert run["error"].startswith("canceled by ") and run["result"]["exit_code"] < 0
    history = api.get(f"/api/v1/executions/{running}/history").json()
    assert [h["event"] for h in history][-2:] == [
        "execution.cancel_requested",
        "execution.canceled",
    ]
    # The waiting run never started; the freed slot takes no canceled work.
    assert status(api, waiting) == "canceled" and processes_running(waiting_marker) == []
    again = api.delete(f"/api/v1/executions/{running}")
    assert again.status_code == 409 and "it is canceled" in again.json()["detail"]


def test_cancel_in_attune_up(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples", env=ONE_AT_A_TIME)
    with attune.client() as api:
        cancel_scenario(api, "1")


@pytest.fixture
def cluster(
    tmp_path: Path, kafka_broker: str, postgres_server: str, postgres_schema: str
) -> Iterator[Cluster]:
    cluster = Cluster(
        tmp_path / "run", postgres_server, postgres_schema, kafka_broker, env=ONE_AT_A_TIME
    )
    cluster.attune("kafka", "init")
    cluster.start()
    yield cluster
    cluster.stop()
    print(cluster.logs())  # shown when the test failed


def test_cancel_in_distributed_mode(cluster: Cluster) -> None:
    with cluster.client() as api:
        cancel_scenario(api, "2")
