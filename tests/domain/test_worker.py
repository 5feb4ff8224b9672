"""A distributed worker's life: started, then perhaps lost, after which it may not work."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from attune.domain.events import Cause
from attune.domain.worker import Worker, WorkerLost

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_a_lost_worker_may_not_take_work_and_is_lost_once() -> None:
    worker = Worker.start("w1@host/42", "local", Cause("worker:w1@host/42", NOW))
    assert worker.id == Worker.id_for("w1@host/42")
    worker.check_may_work()

    worker.declare_lost("no heartbeat for 6 s", Cause("supervisor", NOW))
    worker.declare_lost("no heartbeat for 7 s", Cause("supervisor", NOW))

    assert [type(e).TOPIC for e in worker.collect_events()] == [  # type: ignore[attr-defined]
        "worker.started",
        "worker.lost",
    ]
    with pytest.raises(WorkerLost, match="w1@host/42"):
        worker.check_may_work()
