"""The scheduler and the claim registry, fed events directly."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from attune.commands import models as m
from attune.streams.claims import ClaimRegistry
from attune.streams.scheduler import Scheduler
from tests.streams.events import at, execution_lifecycle

A = UUID("019b0000-0000-7000-8000-00000000000a")
B = UUID("019b0000-0000-7000-8000-00000000000b")


def test_a_requested_execution_is_scheduled_on_the_local_pool() -> None:
    requested = execution_lifecycle(A)[0]

    [schedule] = Scheduler().handle(requested, at(1))

    assert isinstance(schedule, m.ScheduleExecution)
    assert (schedule.execution_id, schedule.pool, schedule.actor) == (A, "local", "scheduler")
    assert schedule.correlation_id == A  # an API request starts its own trace


def test_the_scheduler_ignores_other_events_and_repeats_itself_on_redelivery() -> None:
    scheduler = Scheduler()
    events = execution_lifecycle(A)
    assert [scheduler.handle(e, at(1)) for e in events[1:]] == [[], [], []]
    assert scheduler.handle(events[0], at(1)) == scheduler.handle(events[0], at(1))


def test_the_scheduler_answers_each_execution_whatever_the_interleaving() -> None:
    a, b = execution_lifecycle(A), execution_lifecycle(B)
    for order in ([a[0], b[0]], [b[0], a[0]]):
        scheduler = Scheduler()
        scheduled = {c.execution_id for e in order for c in scheduler.handle(e, at(1))}  # type: ignore[attr-defined]
        assert scheduled == {A, B}


def test_a_lost_worker_has_its_running_executions_abandoned() -> None:
    claims = ClaimRegistry()
    running_a = execution_lifecycle(A, worker="old", end=None)
    finished_b = execution_lifecycle(B, worker="old")
    for event in [*running_a, *finished_b, *running_a]:  # redelivery changes nothing
        assert claims.handle(event, at(1)) == []

    assert claims.workers() == ["old"]
    [lost, abandon] = claims.declare_lost("old", "worker restarted", at(2))

    assert isinstance(lost, m.DeclareWorkerLost)
    assert (lost.worker, lost.reason) == ("old", "worker restarted")
    assert isinstance(abandon, m.AbandonExecution)
    assert (abandon.execution_id, abandon.reason) == (A, "worker restarted")
    [only_lost] = claims.declare_lost("someone-else", "x", at(2))
    assert isinstance(only_lost, m.DeclareWorkerLost)


def test_an_abandoned_or_finished_run_is_no_longer_held() -> None:
    claims = ClaimRegistry()
    for event in execution_lifecycle(A, worker="old", end="abandon"):
        claims.handle(event, at(1))
    assert claims.workers() == []


def test_a_run_past_its_deadline_and_margin_is_timed_out_once_and_an_ended_one_never() -> None:
    claims = ClaimRegistry(margin=timedelta(seconds=5))
    for event in execution_lifecycle(A, end=None, timeout=10):
        claims.handle(event, at(0))
    for event in execution_lifecycle(B, timeout=10):  # it ended in time
        claims.handle(event, at(0))
    assert claims.overdue(at(14)) == []  # (CAUSE is at 0: due after 15 s)
    [late] = claims.overdue(at(16))
    assert isinstance(late, m.TimeOutExecution) and late.execution_id == A
    assert "5 s past its timeout" in late.reason
    assert claims.overdue(at(30)) == []  # asked once


def test_the_scheduler_keeps_the_unfinished_executions_of_each_action_as_a_set() -> None:
    scheduler = Scheduler()
    a, b = execution_lifecycle(A), execution_lifecycle(B)
    for event in [a[0], b[0], a[0]]:  # a redelivered request is one member, not two
        scheduler.handle(event, at(1))
    action = a[0].action  # type: ignore[attr-defined]
    assert scheduler.active.members(action) == {A, B}
    for event in [*a[1:], *a[1:]]:  # ... and a redelivered end removes it once
        scheduler.handle(event, at(2))
    assert scheduler.active.members(action) == {B}
    for event in b[1:]:
        scheduler.handle(event, at(3))
    assert scheduler.active.groups() == []


def test_a_canceled_run_frees_its_place_everywhere_a_run_is_counted() -> None:
    scheduler, claims = Scheduler(), ClaimRegistry(margin=timedelta(0))
    canceled = execution_lifecycle(A, worker="w1", end="cancel", timeout=1)
    for event in canceled:
        scheduler.handle(event, at(1))
        claims.handle(event, at(1))
    assert scheduler.active.groups() == [] and claims.workers() == []
    assert claims.overdue(at(100)) == []  # no backstop for a run that ended


def test_a_claim_arriving_after_its_worker_was_declared_lost_is_abandoned_on_arrival() -> None:
    claims = ClaimRegistry()
    claims.declare_lost("old", "no heartbeat for 3 s", at(2))
    claimed = execution_lifecycle(A, worker="old", end=None)[-1]

    [abandon] = claims.handle(claimed, at(3))

    assert isinstance(abandon, m.AbandonExecution)
    assert (abandon.execution_id, abandon.reason) == (A, "no heartbeat for 3 s")
    assert claims.workers() == []
