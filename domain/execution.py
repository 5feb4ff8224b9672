"""Execution: one run of an action, and its state machine (StackStorm's statuses).

``requested → scheduled → running → succeeded | failed | timeout``; a run whose worker
died is ``abandoned`` (never silently re-run). A cancel ends a run that has not started
at once (``canceled``); a running one goes ``canceling`` until its worker has stopped the
action and reports ``canceled`` (or the action ended first: that end stands). The other
statuses (delayed, pending, pausing, paused, resuming) are part of the machine for the
policies and inquiries that later issues add.

Every transition method is idempotent: asking for a state the execution has already
reached or passed records nothing, so a redelivered command has no effect. Asking for a
state the machine forbids raises `IllegalTransition`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar
from uuid import UUID

from attune.domain.errors import AlreadyClaimed, AlreadyEnded, IllegalTransition, NotTheHolder
from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import caused_id


class ExecutionStatus(StrEnum):
    REQUESTED = "requested"
    SCHEDULED = "scheduled"
    DELAYED = "delayed"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMEOUT = "timeout"
    ABANDONED = "abandoned"
    CANCELING = "canceling"
    CANCELED = "canceled"
    PENDING = "pending"
    PAUSING = "pausing"
    PAUSED = "paused"
    RESUMING = "resuming"


S = ExecutionStatus
TERMINAL = frozenset({S.SUCCEEDED, S.FAILED, S.TIMEOUT, S.ABANDONED, S.CANCELED})
ENDINGS = frozenset({S.SUCCEEDED, S.FAILED, S.TIMEOUT, S.ABANDONED})

TRANSITIONS: dict[ExecutionStatus, frozenset[ExecutionStatus]] = {
    S.REQUESTED: frozenset({S.SCHEDULED, S.DELAYED, S.CANCELED, S.FAILED, S.ABANDONED}),
    S.DELAYED: frozenset({S.REQUESTED, S.SCHEDULED, S.CANCELED, S.FAILED}),
    S.SCHEDULED: frozenset({S.RUNNING, S.CANCELED, S.FAILED, S.ABANDONED}),
    S.RUNNING: frozenset(ENDINGS | {S.CANCELING, S.PAUSING, S.PENDING}),
    S.PENDING: frozenset({S.RUNNING, S.CANCELED, S.FAILED, S.TIMEOUT, S.ABANDONED}),
    S.CANCELING: frozenset(ENDINGS | {S.CANCELED}),
    S.PAUSING: frozenset({S.PAUSED, S.CANCELING} | ENDINGS),
    S.PAUSED: frozenset({S.RESUMING, S.CANCELING, S.ABANDONED}),
    S.RESUMING: frozenset({S.RUNNING, S.CANCELING} | ENDINGS),
    **{terminal: frozenset() for terminal in TERMINAL},
}

# How far along the lifecycle a status is: a request for a status at or behind the current
# stage is a duplicate (already done), not an error.
_STAGE: dict[ExecutionStatus, int] = {
    S.REQUESTED: 0,
    S.DELAYED: 1,
    S.SCHEDULED: 2,
    S.RUNNING: 3,
    S.PENDING: 4,
    S.PAUSING: 4,
    S.PAUSED: 4,
    S.RESUMING: 4,
    S.CANCELING: 4,
    **{terminal: 5 for terminal in TERMINAL},
}


class ExecutionEnded(AttuneEvent):
    """Base of the events that end a run; each subclass names its final status."""

    TOPIC: ClassVar[str]  # (each subclass's public name)
    result: dict[str, Any] | None
    error: str | None

    def apply(self, execution: Any) -> None:
        execution.status = self.final_status()
        execution.result, execution.error = self.result, self.error
        execution.ended_at = self.timestamp

    def final_status(self) -> ExecutionStatus:
        raise NotImplementedError


class Execution(AttuneAggregate):
    """A run of `action` with `parameters` (secret values sealed), and what came of it."""

    TOPIC = "execution"

    action: str
    parameters: dict[str, Any]
    enforcement_id: UUID | None = None
    rule: str | None = None
    trigger_event_id: UUID | None = None
    timeout: float | None = None
    runner_type: str | None = None
    parent: dict[str, Any] | None = None
    status: str = S.REQUESTED
    pool: str | None = None
    worker: str | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    canceled_by: str | None = None

    class Requested(AttuneCreated):
        TOPIC = "execution.requested"
        action: str
        parameters: dict[str, Any]
        enforcement_id: UUID | None
        rule: str | None
        trigger_event_id: UUID | None
        timeout: float | None = None  # this run's own bound, over its action's
        # How its action runs (a workflow's run goes to the orchestrator, not a worker).
        runner_type: str | None = None
        # A workflow's task: the workflow run, and the task's task, route, item, attempt
        # and iteration (`TaskIdentity`); none for other runs.
        parent: dict[str, Any] | None = None

    class Scheduled(AttuneEvent):
        TOPIC = "execution.scheduled"
        pool: str

        def apply(self, execution: Execution) -> None:
            execution.status, execution.pool = S.SCHEDULED, self.pool

    class Claimed(AttuneEvent):
        """A worker claimed the execution; only now may it start the action's process."""

        TOPIC = "execution.claimed"
        worker: str
        timeout: float | None = None  # the bound the worker applies (seconds from now)

        def apply(self, execution: Execution) -> None:
            execution.status, execution.worker = S.RUNNING, self.worker
            execution.started_at = self.timestamp

    class Succeeded(ExecutionEnded):
        TOPIC = "execution.succeeded"

        def final_status(self) -> ExecutionStatus:
            return S.SUCCEEDED

    class Failed(ExecutionEnded):
        TOPIC = "execution.failed"

        def final_status(self) -> ExecutionStatus:
            return S.FAILED

    class TimedOut(ExecutionEnded):
        TOPIC = "execution.timed_out"

        def final_status(self) -> ExecutionStatus:
            return S.TIMEOUT

    class CancelRequested(AttuneEvent):
        """Someone canceled the run while it ran; its worker is to stop the action."""

        TOPIC = "execution.cancel_requested"
        canceled_by: str

        def apply(self, execution: Execution) -> None:
            execution.status, execution.canceled_by = S.CANCELING, self.canceled_by

    class Canceled(ExecutionEnded):
        TOPIC = "execution.canceled"
        canceled_by: str

        def apply(self, execution: Any) -> None:
            super().apply(execution)
            execution.canceled_by = self.canceled_by

        def final_status(self) -> ExecutionStatus:
            return S.CANCELED

    class Abandoned(ExecutionEnded):
        TOPIC = "execution.abandoned"

        def final_status(self) -> ExecutionStatus:
            return S.ABANDONED

    @staticmethod
    def id_for_enforcement(enforcement_id: UUID, at: datetime) -> UUID:
        """Deterministic: an enforcement requests exactly one execution."""
        return caused_id(at, "execution", enforcement_id)

    @classmethod
    def request(
        cls,
        id: UUID,  # noqa: A002
        action: str,
        parameters: dict[str, Any],
        cause: Cause,
        enforcement_id: UUID | None = None,
        rule: str | None = None,
        trigger_event_id: UUID | None = None,
        timeout: float | None = None,
        runner_type: str | None = None,
        parent: dict[str, Any] | None = None,
    ) -> Execution:
        return cls._begin(
            cls.Requested,
            id,
            cause,
            action=action,
            parameters=parameters,
            enforcement_id=enforcement_id,
            rule=rule,
            trigger_event_id=trigger_event_id,
            timeout=timeout,
            runner_type=runner_type,
            parent=parent,
        )

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    def _must_move(self, target: ExecutionStatus) -> bool:
        """True if moving to `target` must be recorded, False if it is a duplicate."""
        current = ExecutionStatus(self.status)
        if target in TRANSITIONS[current]:
            return True
        if current == target or _STAGE[target] < _STAGE[current]:
            return False  # reached or passed already: a repeated command
        raise IllegalTransition("execution", self.id, current, target)

    def schedule(self, pool: str, cause: Cause) -> None:
        if self._must_move(S.SCHEDULED):
            self._happen(self.Scheduled, cause, pool=pool)

    def claim(self, worker: str, cause: Cause, timeout: float | None = None) -> None:
        """Accept exactly one claimant; the same worker claiming again changes nothing."""
        if self.worker is not None:
            if self.worker != worker:
                raise AlreadyClaimed(self.id, self.worker, worker)
            return
        if self.status != S.SCHEDULED:
            raise IllegalTransition("execution", self.id, self.status, S.RUNNING)
        self._happen(self.Claimed, cause, worker=worker, timeout=timeout)

    def _end(
        self,
        event_class: type[ExecutionEnded],
        target: ExecutionStatus,
        cause: Cause,
        result: dict[str, Any] | None,
        error: str | None,
    ) -> None:
        if self.status == target:
            return
        if self._must_move(target):
            self._happen(event_class, cause, result=result, error=error)

    def _check_holder(self, worker: str) -> None:
        if self.worker != worker:
            raise NotTheHolder(self.id, self.worker, worker)

    def succeed(self, result: dict[str, Any] | None, worker: str, cause: Cause) -> None:
        """The holding worker reports a good end."""
        self._check_holder(worker)
        self._end(self.Succeeded, S.SUCCEEDED, cause, result, None)

    def fail(self, result: dict[str, Any] | None, error: str, worker: str, cause: Cause) -> None:
        self._check_holder(worker)
        self._end(self.Failed, S.FAILED, cause, result, error)

    def time_out(
        self, result: dict[str, Any] | None, error: str, worker: str, cause: Cause
    ) -> None:
        self._check_holder(worker)
        self._end(self.TimedOut, S.TIMEOUT, cause, result, error)

    def cancel(self, by: str, cause: Cause) -> None:
        """`by` stops the run: at once if no action runs yet, else through its worker.
        A run already canceling stays so; one that ended raises `AlreadyEnded`."""
        if self.is_terminal:
            raise AlreadyEnded(self.id, self.status)
        if self.status == S.CANCELING:
            return
        if self.worker is None:  # (requested, delayed, scheduled: no process to stop)
            self._canceled(by, None, f"canceled by {by}", cause)
        else:
            self._must_move(S.CANCELING)
            self._happen(self.CancelRequested, cause, canceled_by=by)

    def confirm_canceled(
        self, result: dict[str, Any] | None, worker: str, cause: Cause, reason: str | None = None
    ) -> None:
        """The holding worker stopped the action: of a run being canceled, or of its own
        accord, giving the `reason` (Attune stopping)."""
        self._check_holder(worker)
        if self.status == S.CANCELED:
            return
        if self.status == S.CANCELING:
            by = self.canceled_by or "unknown"
            self._canceled(by, result, f"canceled by {by}", cause)
        elif self.status == S.RUNNING and reason is not None:
            self._canceled(worker, result, reason, cause)
        else:
            raise IllegalTransition("execution", self.id, self.status, S.CANCELED)

    def _canceled(self, by: str, result: dict[str, Any] | None, error: str, cause: Cause) -> None:
        self._happen(self.Canceled, cause, result=result, error=error, canceled_by=by)

    def abandon(self, reason: str, cause: Cause) -> None:
        """The worker that held this run is gone; the run is not retried implicitly. A run
        that ended meanwhile (the monitor timed it out, say) keeps its end."""
        if not self.is_terminal:
            self._end(self.Abandoned, S.ABANDONED, cause, None, reason)

    def overdue(self, reason: str, cause: Cause) -> None:
        """The monitor's backstop: the run is still going long past its deadline, so its
        worker is stuck or gone; it ends ``timeout``. A run that ended meanwhile (its
        worker was declared lost, say) keeps its end."""
        if not self.is_terminal:
            self._end(self.TimedOut, S.TIMEOUT, cause, None, reason)


# The names of the events that end a run, for the processors that count running runs
# (derived, so a new way to end cannot be forgotten by one of them).
ENDING_EVENTS = frozenset(ended.TOPIC for ended in ExecutionEnded.__subclasses__())
