"""The scheduler: requested executions in, `ScheduleExecution` to a worker pool out.

Its state is the set of executions of each action that have not ended (by action ref,
as sets of ids), which is what per-action concurrency policies will read when they
arrive. In distributed mode the execution stream is repartitioned by action ref so that
one scheduler instance sees every execution of an action.
"""

from __future__ import annotations

from datetime import datetime

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause, event_name
from attune.domain.execution import ENDING_EVENTS
from attune.domain.workflow_execution import WORKFLOW_POOL
from attune.streams.id_sets import IdSets, InMemoryIdSets

ACTOR = "scheduler"
LOCAL_POOL = "local"


class Scheduler:
    name = "scheduler"

    def __init__(self, pool: str = LOCAL_POOL, active: IdSets | None = None) -> None:
        self.pool = pool
        self.active: IdSets = InMemoryIdSets() if active is None else active

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        kind = event_name(event)
        if kind in ENDING_EVENTS:
            self.active.remove(event.originator_id)
            return []
        if kind != "execution.requested":
            return []
        self.active.add(event.action, event.originator_id)  # type: ignore[attr-defined]
        cause = Cause.following(event, ACTOR, now)
        # A workflow's execution goes to the orchestrator, every other to the workers.
        workflow = event.runner_type == "workflow"  # type: ignore[attr-defined]
        pool = WORKFLOW_POOL if workflow else self.pool
        return [m.ScheduleExecution.because(cause, execution_id=event.originator_id, pool=pool)]
