"""Which worker holds which running execution, so a lost worker's runs can be abandoned,
and the monitor's backstop for runs that outlive their deadline.

A run whose worker died is never silently re-run (its action may have had effects): it
becomes `abandoned`; only an explicit retry policy may run it again as a new attempt.

A claim carries the bound the worker applies, so each held run has a deadline. A worker
ends a run at it; a run still going `margin` after it (its worker stuck, or stopped
without being declared lost yet) is timed out by the monitor (`overdue`). Whichever of
that and an abandon is recorded first stands; the other is a no-op.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from datetime import datetime, timedelta
from uuid import UUID

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause
from attune.domain.execution import Execution, ExecutionEnded
from attune.domain.workflow_execution import ORCHESTRATOR
from attune.streams.dispatch import EventDispatch
from attune.streams.id_sets import IdSets, InMemoryIdSets

ACTOR = "supervisor"
DEFAULT_MARGIN = timedelta(seconds=15)


class ClaimRegistry:
    """The runs each worker holds, and the workers declared lost.

    In distributed mode the claims arrive through a stream that may lag behind the
    liveness check, so a claim that shows up after its worker was declared lost is
    abandoned when it arrives (the store accepts no claim from a lost worker, so no other
    late claim can come).
    """

    name = "claims"

    def __init__(
        self,
        held: IdSets | None = None,
        lost: MutableMapping[str, str] | None = None,
        deadlines: MutableMapping[str, str] | None = None,
        margin: timedelta = DEFAULT_MARGIN,
    ) -> None:
        self.held: IdSets = InMemoryIdSets() if held is None else held  # worker -> its runs
        self.lost: MutableMapping[str, str] = {} if lost is None else lost  # worker -> why
        # run id -> when the monitor times it out (ISO), for the runs held
        self.deadlines: MutableMapping[str, str] = {} if deadlines is None else deadlines
        self.margin = margin
        self._dispatch = (
            EventDispatch[list[m.Command]](list)
            .on(Execution.Claimed, self._claimed)
            .on(ExecutionEnded, self._ended)
        )

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        return self._dispatch(event, now)

    def _claimed(self, claimed: Execution.Claimed, now: datetime) -> list[m.Command]:
        if claimed.worker == ORCHESTRATOR:
            return []  # (a workflow's run lives in the log: no worker holds it)
        reason = self.lost.get(claimed.worker)
        if reason is not None:
            cause = Cause(ACTOR, now)
            return [
                m.AbandonExecution.because(cause, execution_id=claimed.originator_id, reason=reason)
            ]
        self.held.add(claimed.worker, claimed.originator_id)
        if claimed.timeout is not None:
            backstop = claimed.timestamp + timedelta(seconds=claimed.timeout) + self.margin
            self.deadlines[str(claimed.originator_id)] = backstop.isoformat()
        return []

    def _ended(self, ended: ExecutionEnded, _now: datetime) -> list[m.Command]:
        self.held.remove(ended.originator_id)
        self.deadlines.pop(str(ended.originator_id), None)
        return []

    def overdue(self, now: datetime) -> list[m.Command]:
        """Time out the held runs past their deadline and margin (each asked once)."""
        late = [run for run, at in list(self.deadlines.items()) if datetime.fromisoformat(at) < now]
        cause = Cause(ACTOR, now)
        commands: list[m.Command] = []
        for run in sorted(late):
            self.deadlines.pop(run, None)
            reason = f"still running {self.margin.total_seconds():g} s past its timeout"
            commands.append(
                m.TimeOutExecution.because(cause, execution_id=UUID(run), reason=reason)
            )
        return commands

    def workers(self) -> list[str]:
        return self.held.groups()

    def declare_lost(self, worker: str, reason: str, now: datetime) -> list[m.Command]:
        """Record the worker's loss and abandon every run it held."""
        self.lost[worker] = reason
        cause = Cause(ACTOR, now)
        return [
            m.DeclareWorkerLost.because(cause, worker=worker, reason=reason),
            *(
                m.AbandonExecution.because(cause, execution_id=execution_id, reason=reason)
                for execution_id in sorted(self.held.members(worker), key=str)
            ),
        ]
