"""Fault tolerance of distributed Attune: 500 runs in flight while the relay, the faust
worker, the command service, a worker and the projector are SIGKILLed and restarted, one
at a time. Each run appends its execution id to a file before it sleeps, so a run started
twice would leave its id twice."""

from __future__ import annotations

import re
import subprocess
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy

from attune.projections.rebuild import dump_tables
from tests.system.distributed import Cluster
from tests.system.harness import ATTUNE, executions_of, request_local_runs, wait_until

pytestmark = pytest.mark.slow

RUNS = 500
CONCURRENCY = 8


def test_killing_each_process_in_turn_loses_nothing_and_runs_nothing_twice(
    tmp_path: Path, kafka_broker: str, postgres_server: str, postgres_schema: str
) -> None:
    ran = tmp_path / "ran.txt"
    cmd = f'echo "$ATTUNE_EXEC_ID" >> {ran}; sleep 0.3'
    cluster = Cluster(
        tmp_path / "run",
        postgres_server,
        postgres_schema,
        kafka_broker,
        env={"ATTUNE_EXAMPLES": "false", "ATTUNE_WORKER_CONCURRENCY": str(CONCURRENCY)},
    )
    cluster.attune("kafka", "init")
    cluster.start()
    killed_worker = ""
    try:
        with cluster.client() as api:
            requested = set(request_local_runs(api, cmd, RUNS))

            def ran_at_least(count: int) -> bool:
                return ran.exists() and len(ran.read_text().split()) >= count

            progress = 20
            for name in ("relay", "streams", "commands", "worker", "project"):
                wait_until(lambda n=progress: ran_at_least(n), timeout=120)
                if name == "worker":
                    killed_worker = re.findall(r"worker (\S+) serves pool", cluster.log("worker"))[
                        -1
                    ]
                cluster.restart(name)
                progress += 40
            assert not ran_at_least(RUNS), "every run was over before the last kill"

            seen: dict[str, dict] = {}  # type: ignore[type-arg]

            def all_terminal():  # type: ignore[no-untyped-def]
                seen.update(executions_of(api, requested))
                done = {"succeeded", "failed", "abandoned"}
                if len(seen) == RUNS and all(e["status"] in done for e in seen.values()):
                    return seen
                return None

            try:
                final = wait_until(all_terminal, timeout=240, interval=1.0)
            except TimeoutError:
                unfinished = [e for e in seen.values() if e["status"] not in {"succeeded"}]
                counts = Counter(e["status"] for e in seen.values())
                raise AssertionError(f"not all terminal: {counts}, {unfinished[:3]}") from None
    finally:
        cluster.stop()
        print(cluster.logs())

    appended = Counter(ran.read_text().split())
    assert max(appended.values()) == 1, "an execution ran twice"
    by_status: dict[str, set[str]] = {}
    for execution_id, execution in final.items():
        by_status.setdefault(execution["status"], set()).add(execution_id)
    succeeded, abandoned = by_status.get("succeeded", set()), by_status.get("abandoned", set())
    assert set(by_status) <= {"succeeded", "abandoned"}, by_status.keys()
    assert succeeded <= set(appended), "a run is recorded as succeeded but never ran"
    assert set(appended) <= succeeded | abandoned, "a run ran but is not accounted for"
    assert set(appended) <= requested
    # Only runs the killed worker held were abandoned, at most as many as it ran at once.
    assert abandoned, "the worker kill left no run in flight; the test proved nothing"
    assert {final[i]["worker"] for i in abandoned} == {killed_worker}
    assert len(abandoned) <= CONCURRENCY

    # The read models equal a rebuild from the log.
    engine = sqlalchemy.create_engine(
        postgres_server.replace("postgresql://", "postgresql+psycopg://", 1),
        connect_args={"options": f"-csearch_path={postgres_schema}"},
    )
    live = dump_tables(engine)
    replay = subprocess.run(
        [ATTUNE, "replay", "projections"],
        cwd=cluster.workdir,
        capture_output=True,
        text=True,
        timeout=300,
        env=cluster.env,
    )
    assert replay.returncode == 0, replay.stderr
    assert dump_tables(engine) == live
    engine.dispose()
