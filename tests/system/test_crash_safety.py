"""Crash safety: SIGKILL `attune up` with 200 runs in flight, restart, and account for all.

Each run appends its execution id to a file *before* sleeping, so a run started twice
would leave its id twice. The processes of runs in flight at the kill outlive it; those
runs must end `abandoned`, not be started again.
"""

from __future__ import annotations

import sqlite3
import subprocess
from collections import Counter
from pathlib import Path

import pytest

from attune.infra.bootstrap import open_read_engine
from attune.infra.settings import Settings
from attune.projections.rebuild import dump_tables
from tests.system.harness import ATTUNE, AttuneUp, executions_of, request_local_runs, wait_until

pytestmark = pytest.mark.slow

RUNS = 200


def statuses(api, ids: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {i: e["status"] for i, e in executions_of(api, ids).items()}


def test_sigkill_with_runs_in_flight_loses_nothing_and_runs_nothing_twice(tmp_path: Path) -> None:
    workdir = tmp_path / "run"
    ran = tmp_path / "ran.txt"
    cmd = f'echo "$ATTUNE_EXEC_ID" >> {ran}; sleep 0.4'
    attune = AttuneUp(workdir, "--no-examples").start()
    try:
        with attune.client() as api:
            requested = request_local_runs(api, cmd, RUNS)
            wait_until(lambda: ran.exists() and len(ran.read_text().split()) >= 20, timeout=30)
        attune.kill()
        assert len(ran.read_text().split()) < RUNS  # the kill really happened mid-flight

        restarted = AttuneUp(workdir, "--no-examples").start()
        try:
            with restarted.client() as api:
                final = wait_until(
                    lambda: (
                        (s := statuses(api, requested))
                        and len(s) == RUNS
                        and all(v in ("succeeded", "abandoned") for v in s.values())
                        and s
                    ),
                    timeout=90,
                    interval=0.5,
                )
        finally:
            restarted.stop()
    finally:
        attune.stop()

    appended = Counter(ran.read_text().split())
    assert max(appended.values()) == 1, "an execution ran twice"
    assert set(final) == set(requested), "a requested execution is missing"
    succeeded = {i for i, s in final.items() if s == "succeeded"}
    abandoned = {i for i, s in final.items() if s == "abandoned"}
    assert succeeded <= set(appended)  # every success really ran, once
    assert abandoned, "the kill left no run in flight; the test proved nothing"
    assert len(abandoned) <= Settings().worker_concurrency  # only runs that were running
    assert set(appended) <= succeeded | abandoned  # nothing ran that is not accounted for

    # The read models equal a rebuild from the log.
    settings = Settings(state_dir=workdir / ".attune")
    live = dump_tables(open_read_engine(settings))
    replay = subprocess.run(
        [ATTUNE, "replay", "projections"], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    assert replay.returncode == 0, replay.stderr
    assert dump_tables(open_read_engine(settings)) == live
    assert sqlite3.connect(settings.events_db).execute("PRAGMA integrity_check").fetchone() == (
        "ok",
    )
