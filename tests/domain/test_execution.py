"""The execution state machine: StackStorm's statuses, typed refusals, idempotent moves."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

import pytest

from attune.domain.errors import AlreadyClaimed, AlreadyEnded, IllegalTransition, NotTheHolder
from attune.domain.events import Cause
from attune.domain.execution import TERMINAL, TRANSITIONS, Execution, ExecutionStatus

CAUSE = Cause("test", datetime(2026, 1, 1, tzinfo=UTC))
ID = UUID("019b0000-0000-7000-8000-000000000001")


def scheduled() -> Execution:
    execution = Execution.request(ID, "core.noop", {}, CAUSE)
    execution.schedule("local", CAUSE)
    return execution


def names(execution: Execution) -> list[str]:
    return [type(e).TOPIC for e in execution.collect_events()]  # type: ignore[attr-defined]


def test_the_statuses_are_stackstorms() -> None:
    assert {s.value for s in ExecutionStatus} == {
        "requested",
        "scheduled",
        "delayed",
        "running",
        "succeeded",
        "failed",
        "timeout",
        "abandoned",
        "canceling",
        "canceled",
        "pending",
        "pausing",
        "paused",
        "resuming",
    }
    assert set(TRANSITIONS) == set(ExecutionStatus)
    assert all(not TRANSITIONS[s] for s in TERMINAL)


def test_a_run_goes_requested_scheduled_running_succeeded_with_the_cause_time() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.succeed({"stdout": "hi"}, "w1", CAUSE)
    assert execution.status == "succeeded" and execution.worker == "w1"
    assert execution.result == {"stdout": "hi"} and execution.ended_at == CAUSE.at
    assert names(execution) == [
        "execution.requested",
        "execution.scheduled",
        "execution.claimed",
        "execution.succeeded",
    ]


def test_repeated_commands_record_nothing_new() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.collect_events()
    execution.schedule("local", CAUSE)
    execution.claim("w1", CAUSE)
    execution.succeed({}, "w1", CAUSE)
    execution.succeed({}, "w1", CAUSE)
    assert names(execution) == ["execution.succeeded"]


def test_only_one_worker_may_claim() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    with pytest.raises(AlreadyClaimed, match="already claimed by w1, not w2"):
        execution.claim("w2", CAUSE)


def test_only_the_holder_may_end_a_run() -> None:
    execution = scheduled()
    with pytest.raises(NotTheHolder, match="is not claimed; w1 cannot end it"):
        execution.succeed({}, "w1", CAUSE)
    execution.claim("w1", CAUSE)
    with pytest.raises(NotTheHolder, match="held by w1; w2 cannot end it"):
        execution.fail(None, "boom", "w2", CAUSE)


def test_illegal_transitions_raise_a_typed_error_naming_both_states() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.abandon("worker lost", CAUSE)
    with pytest.raises(IllegalTransition, match="from 'abandoned' to 'succeeded'"):
        execution.succeed({}, "w1", CAUSE)
    assert execution.status == "abandoned" and execution.error == "worker lost"


def test_a_claim_on_an_unscheduled_run_is_refused() -> None:
    execution = Execution.request(ID, "core.noop", {}, CAUSE)
    with pytest.raises(IllegalTransition):
        execution.claim("w1", CAUSE)


def test_a_run_not_started_is_canceled_at_once_with_who_canceled_it() -> None:
    for execution in (Execution.request(ID, "core.noop", {}, CAUSE), scheduled()):
        execution.collect_events()
        execution.cancel("alice", CAUSE)
        assert execution.status == "canceled" and execution.canceled_by == "alice"
        assert execution.error == "canceled by alice" and execution.ended_at == CAUSE.at
        assert names(execution) == ["execution.canceled"]
        with pytest.raises(IllegalTransition):
            execution.claim("w1", CAUSE)  # a worker that took it late does not run it


def test_a_running_run_is_canceling_until_its_worker_confirms() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.collect_events()
    execution.cancel("alice", CAUSE)
    execution.cancel("bob", CAUSE)  # already canceling: nothing more
    assert execution.status == "canceling" and names(execution) == ["execution.cancel_requested"]
    with pytest.raises(NotTheHolder):
        execution.confirm_canceled(None, "w2", CAUSE)
    execution.confirm_canceled({"exit_code": -15}, "w1", CAUSE)
    execution.confirm_canceled({"exit_code": -15}, "w1", CAUSE)  # redelivered
    assert execution.status == "canceled" and execution.error == "canceled by alice"
    assert names(execution) == ["execution.canceled"]


def test_an_action_that_ended_before_the_cancel_took_effect_keeps_its_end() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.cancel("alice", CAUSE)
    execution.succeed({"stdout": "done"}, "w1", CAUSE)
    assert execution.status == "succeeded"


def test_canceling_a_run_that_ended_is_refused_with_its_status() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    execution.fail(None, "exit 1", "w1", CAUSE)
    with pytest.raises(AlreadyEnded, match="already ended: it is failed"):
        execution.cancel("alice", CAUSE)
    canceled = scheduled()
    canceled.cancel("alice", CAUSE)
    with pytest.raises(AlreadyEnded, match="it is canceled"):
        canceled.cancel("alice", CAUSE)


def test_a_worker_may_cancel_its_own_run_giving_the_reason() -> None:
    execution = scheduled()
    execution.claim("w1", CAUSE)
    with pytest.raises(IllegalTransition):
        execution.confirm_canceled(None, "w1", CAUSE)  # no cancel asked, no reason given
    execution.confirm_canceled(None, "w1", CAUSE, "Attune stopped")
    assert execution.status == "canceled" and execution.error == "Attune stopped"
    assert execution.canceled_by == "w1"


def test_the_monitors_timeout_and_an_abandon_whichever_comes_first_wins() -> None:
    first_overdue = scheduled()
    first_overdue.claim("w1", CAUSE)
    first_overdue.overdue("past its deadline", CAUSE)
    first_overdue.abandon("w1 is lost", CAUSE)
    assert first_overdue.status == "timeout" and first_overdue.error == "past its deadline"
    first_lost = scheduled()
    first_lost.claim("w1", CAUSE)
    first_lost.abandon("w1 is lost", CAUSE)
    first_lost.overdue("past its deadline", CAUSE)
    assert first_lost.status == "abandoned"
    ends = [n for n in names(first_lost) if n in ("execution.abandoned", "execution.timed_out")]
    assert ends == ["execution.abandoned"]
