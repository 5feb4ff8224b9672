"""Stopping runs, in `attune up` and in distributed mode.

Cancel: a running `core.local` whose command starts a child and a grandchild leaves no
process of its tree alive and ends `canceled`; a run still waiting for a worker slot ends
`canceled` without a process; a second cancel is a 409 naming the status. (The worker runs
one action at a time there, `ATTUNE_WORKER_CONCURRENCY=1`, so a second request waits.)

Crash: SIGKILL of `attune up` (of `attune worker`) while actions run; after the restart no
process of those actions is alive, each run is `abandoned` once, and none ran twice.

Timeouts: a run with `timeout: 1` of a long sleep ends `timeout` within 1 s plus the kill
grace; a worker SIGSTOPped while it holds a running run (distributed) has the run timed
out by the monitor's backstop or abandoned, once, never both.

Graceful stop: SIGINT of `attune up` (SIGTERM of `attune worker`) with a 2 s and a 120 s
run in flight: the first succeeds, the second ends `canceled` ("Attune stopped") after the
stop's grace period, and the process exits.
"""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.system.distributed import Cluster
from tests.system.harness import wait_until

pytestmark = pytest.mark.slow

ONE_AT_A_TIME = {"ATTUNE_WORKER_CONCURRENCY": "1", "ATTUNE_KILL_GRACE_SECONDS": "1"}


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


def request(api: httpx.Client, cmd: str, **fields: Any) -> str:
    accepted = api.post(
        "/api/v1/executions",
        json={"action": "core.local", "parameters": {"cmd": cmd}, **fields},
    )
    assert accepted.status_code == 202, accepted.text
    return str(accepted.json()["id"])


def unique_sleep() -> str:
    """A `sleep` command no other process runs: it marks one test's processes."""
    return f"sleep {random.randrange(10**6, 10**7)}"


def cancel_scenario(api: httpx.Client) -> None:
    running_marker, waiting_marker = unique_sleep(), unique_sleep()
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


STOP_GRACE = 4.0
KILL_GRACE = 1.0


def timeout_scenario(api: httpx.Client) -> None:
    marker = unique_sleep()
    # (it ignores SIGTERM: the kill grace passes, then SIGKILL)
    run = request(api, f"trap '' TERM; {marker}", timeout=1)
    wait_until(lambda: status(api, run) == "timeout", timeout=30)
    ended = api.get(f"/api/v1/executions/{run}").json()
    took = datetime.fromisoformat(ended["ended_at"]) - datetime.fromisoformat(ended["started_at"])
    assert 1.0 <= took.total_seconds() < 1.0 + KILL_GRACE + 1.0, took
    assert ended["error"] == "the action ran longer than 1 s"
    assert processes_running(marker) == []


def start_runs_to_crash(api: httpx.Client, ran: Path, marker: str) -> list[str]:
    runs = [request(api, f"echo $ATTUNE_EXEC_ID >> {ran}; sh -c '{marker}'") for _ in range(2)]
    wait_until(lambda: all(status(api, r) == "running" for r in runs), timeout=60)
    wait_until(lambda: len(processes_running(marker)) >= 2, timeout=30)
    return runs


def assert_abandoned_once_and_run_once(api: httpx.Client, runs: list[str], ran: Path) -> None:
    wait_until(lambda: all(status(api, r) == "abandoned" for r in runs), timeout=60)
    for run in runs:
        events = [h["event"] for h in api.get(f"/api/v1/executions/{run}/history").json()]
        assert events.count("execution.abandoned") == 1 and events.count("execution.claimed") == 1
    time.sleep(1)  # (time for a second run, if anything were to start one)
    assert sorted(ran.read_text().split()) == sorted(runs)  # each action started once


def start_short_and_long_runs(api: httpx.Client, marker: str) -> tuple[str, str]:
    short, long = request(api, "sleep 2; echo done"), request(api, marker)
    wait_until(lambda: status(api, short) == status(api, long) == "running", timeout=60)
    return short, long


def assert_stopped_gracefully(api: httpx.Client, short: str, long: str, stopped_at: float) -> None:
    wait_until(lambda: status(api, long) == "canceled", timeout=60)
    assert api.get(f"/api/v1/executions/{short}").json()["status"] == "succeeded"
    canceled = api.get(f"/api/v1/executions/{long}").json()
    assert canceled["error"] == "Attune stopped"
    ended = datetime.fromisoformat(canceled["ended_at"]).timestamp()
    assert ended - stopped_at >= STOP_GRACE - 0.5  # it had the grace period to end


def test_cancel_and_timeout_in_attune_up(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples", env=ONE_AT_A_TIME)
    with attune.client() as api:
        cancel_scenario(api)
        timeout_scenario(api)


def test_after_attune_up_was_killed_no_action_process_is_left(attune_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    ran, marker = tmp_path / "ran", unique_sleep()
    with attune.client() as api:
        runs = start_runs_to_crash(api, ran, marker)
    attune.kill()
    assert processes_running(marker)  # the crash itself left them running
    again = attune_up("--no-examples", workdir=attune.workdir)
    assert processes_running(marker) == []  # killed before it took any work
    with again.client() as api:
        assert_abandoned_once_and_run_once(api, runs, ran)


def test_sigint_of_attune_up_lets_runs_end_then_cancels_the_rest(attune_up) -> None:  # type: ignore[no-untyped-def]
    env = {"ATTUNE_STOP_GRACE_SECONDS": str(STOP_GRACE)}
    attune = attune_up("--no-examples", env=env)
    with attune.client() as api:
        short, long = start_short_and_long_runs(api, marker := unique_sleep())
    stopped_at = time.time()
    attune.process.send_signal(signal.SIGINT)
    attune.process.wait(STOP_GRACE + 20)  # it exits
    assert processes_running(marker) == []
    again = attune_up("--no-examples", workdir=attune.workdir, env=env)
    with again.client() as api:
        assert_stopped_gracefully(api, short, long, stopped_at)


@contextmanager
def running_cluster(
    workdir: Path, servers: tuple[str, str, str], env: dict[str, str]
) -> Iterator[Cluster]:
    """Every distributed process, on (postgres, schema, broker), with `env` set."""
    postgres, schema, broker = servers
    cluster = Cluster(workdir, postgres, schema, broker, env=env)
    cluster.attune("kafka", "init")
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()
        print(cluster.logs())  # shown when the test failed


@pytest.fixture
def servers(kafka_broker: str, postgres_server: str, postgres_schema: str) -> tuple[str, str, str]:
    return postgres_server, postgres_schema, kafka_broker


@pytest.fixture
def cluster(tmp_path: Path, servers: tuple[str, str, str]) -> Iterator[Cluster]:
    with running_cluster(tmp_path / "run", servers, ONE_AT_A_TIME) as cluster:
        yield cluster


def test_cancel_and_timeout_in_distributed_mode(cluster: Cluster) -> None:
    with cluster.client() as api:
        cancel_scenario(api)
        timeout_scenario(api)


@pytest.mark.parametrize("margin", ["0.5", "60"])
def test_a_stopped_worker_s_run_is_timed_out_or_abandoned_once(
    tmp_path: Path, servers: tuple[str, str, str], margin: str
) -> None:
    # A short margin: the monitor's backstop comes first (1.5 s, before the worker is
    # declared lost after 3 s of silence); a long one: the abandon comes first.
    env = {"ATTUNE_TIMEOUT_MARGIN_SECONDS": margin}
    with running_cluster(tmp_path / "run", servers, env) as cluster:
        worker = cluster.processes["worker"]
        with cluster.client() as api:
            marker = unique_sleep()
            run = request(api, marker, timeout=1)
            wait_until(lambda: status(api, run) == "running", timeout=60)
            worker.send_signal(signal.SIGSTOP)
            expected = "timeout" if margin == "0.5" else "abandoned"
            wait_until(lambda: status(api, run) == expected, timeout=60)
            worker.send_signal(signal.SIGCONT)  # it wakes, stops the action, reports late
            wait_until(lambda: processes_running(marker) == [], timeout=30)
            time.sleep(2)  # (its late report, and the other end, have had time to land)
            events = [h["event"] for h in api.get(f"/api/v1/executions/{run}/history").json()]
            ends = [e for e in events if e in ("execution.timed_out", "execution.abandoned")]
            assert len(ends) == 1 and status(api, run) == expected, events


def test_after_a_worker_was_killed_no_action_process_is_left(
    two_slot_cluster: Cluster, tmp_path: Path
) -> None:
    ran, marker = tmp_path / "ran", unique_sleep()
    with two_slot_cluster.client() as api:
        runs = start_runs_to_crash(api, ran, marker)
        two_slot_cluster.kill("worker")
        assert processes_running(marker)
        two_slot_cluster.start("worker")
        wait_until(lambda: processes_running(marker) == [], timeout=30)
        assert_abandoned_once_and_run_once(api, runs, ran)


@pytest.fixture
def two_slot_cluster(tmp_path: Path, servers: tuple[str, str, str]) -> Iterator[Cluster]:
    # (the worker's default concurrency: 8 slots)
    env = {"ATTUNE_STOP_GRACE_SECONDS": str(STOP_GRACE)}
    with running_cluster(tmp_path / "run", servers, env) as cluster:
        yield cluster


def test_sigterm_of_a_worker_lets_runs_end_then_cancels_the_rest(two_slot_cluster: Cluster) -> None:
    with two_slot_cluster.client() as api:
        short, long = start_short_and_long_runs(api, marker := unique_sleep())
        worker = two_slot_cluster.processes["worker"]
        stopped_at = time.time()
        worker.send_signal(signal.SIGTERM)
        worker.wait(STOP_GRACE + 20)  # it exits
        assert processes_running(marker) == []
        assert_stopped_gracefully(api, short, long, stopped_at)
        history = api.get(f"/api/v1/executions/{long}/history").json()
        assert "execution.abandoned" not in [h["event"] for h in history]  # not lost
