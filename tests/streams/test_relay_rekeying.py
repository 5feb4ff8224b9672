"""The relay's re-keyed copies of execution events, for the scheduler and the supervisor."""

from __future__ import annotations

from uuid import UUID

from attune.domain.execution import Execution
from attune.streams.relay import ExecutionRekeying, records_of
from tests.streams.events import CAUSE

A = UUID("019b0000-0000-7000-8000-00000000000a")


def finished_run() -> tuple[Execution, list]:  # type: ignore[type-arg]
    execution = Execution.request(A, "core.echo", {}, CAUSE)
    execution.schedule("local", CAUSE)
    execution.claim("w1", CAUSE)
    execution.succeed({}, "w1", CAUSE)
    return execution, list(execution.collect_events())


def test_requests_go_by_action_claims_by_worker_and_ends_to_both() -> None:
    _, events = finished_run()
    rekeying = ExecutionRekeying("by-action", "by-worker", load=lambda _: None)
    records = records_of(list(enumerate(events, start=1)), lambda _: "executions", rekeying)
    assert [(r.topic, r.key.decode(), r.position) for r in records] == [
        ("executions", str(A), 1),
        ("by-action", "core.echo", 1),
        ("executions", str(A), 2),
        ("executions", str(A), 3),
        ("by-worker", "w1", 3),
        ("executions", str(A), 4),
        ("by-action", "core.echo", 4),
        ("by-worker", "w1", 4),
    ]
    assert records[0].value == records[1].value  # a copy is the same envelope


def test_after_a_restart_the_store_says_whose_run_ended() -> None:
    execution, events = finished_run()
    rekeying = ExecutionRekeying("by-action", "by-worker", load={A: execution}.get)
    assert rekeying.copies(events[-1]) == [("by-action", "core.echo"), ("by-worker", "w1")]
