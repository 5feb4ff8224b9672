"""The worker's queue, fed events directly: what it hands out, and never twice."""

from __future__ import annotations

from uuid import UUID

from attune.domain.execution import Execution
from attune.streams.worker.queue import WorkQueue
from tests.streams.events import CAUSE, action_registered, at

A = UUID("019b0000-0000-7000-8000-00000000000a")
B = UUID("019b0000-0000-7000-8000-00000000000b")
C = UUID("019b0000-0000-7000-8000-00000000000c")


def scheduled(execution_id: UUID, action: str = "core.noop", pool: str = "local"):  # type: ignore[no-untyped-def]
    execution = Execution.request(execution_id, action, {"x": 1}, CAUSE)
    execution.schedule(pool, CAUSE)
    return execution, list(execution.collect_events())


def queue_with(*events) -> WorkQueue:  # type: ignore[no-untyped-def]
    queue = WorkQueue("local")
    for event in [
        action_registered(
            "core.noop", runner_type="noop", entry_point=None, parameters={"x": {"type": "integer"}}
        ),
        action_registered("core.echo"),
        *events,
    ]:
        assert queue.handle(event, at(0)) == []
    return queue


def test_scheduled_executions_of_its_pool_are_handed_out_once_in_order() -> None:
    _, a = scheduled(A)
    _, b = scheduled(B)
    _, other_pool = scheduled(C, pool="gpu")
    queue = queue_with(*a, *b, *other_pool)

    jobs = queue.take(limit=10, process_slots=10)

    assert [j.execution_id for j in jobs] == [A, B]
    assert jobs[0].parameters == {"x": 1} and jobs[0].action.runner_type == "noop"
    assert queue.take(10, 10) == []


def test_redelivered_scheduled_event_does_not_hand_the_job_out_again() -> None:
    _, a = scheduled(A)
    queue = queue_with(*a)
    assert len(queue.take(10, 10)) == 1
    queue.handle(a[1], at(1))  # execution.scheduled again
    assert queue.take(10, 10) == []


def test_executions_claimed_elsewhere_or_ended_are_not_handed_out() -> None:
    execution, events = scheduled(A)
    execution.claim("another-worker", CAUSE)
    queue = queue_with(*events, *execution.collect_events())
    assert queue.take(10, 10) == []


def test_process_slots_limit_only_actions_that_need_a_process() -> None:
    _, echo = scheduled(A, action="core.echo")
    _, b = scheduled(B)
    _, c = scheduled(C, action="core.echo")
    queue = queue_with(*echo, *b, *c)

    assert [j.execution_id for j in queue.take(10, process_slots=1)] == [A, B]
    assert [j.execution_id for j in queue.take(10, process_slots=1)] == [C]


def test_jobs_put_back_are_handed_out_again_first_in_their_order() -> None:
    runs = [scheduled(i, action="core.echo")[1] for i in (A, B, C)]
    queue = queue_with(*(e for events in runs for e in events))
    first_two = queue.take(10, process_slots=2)
    assert [j.execution_id for j in first_two] == [A, B]

    queue.put_back(first_two)  # (their claims were never written)

    assert [j.execution_id for j in queue.take(10, process_slots=2)] == [A, B]
    assert [j.execution_id for j in queue.take(10, process_slots=2)] == [C]
