"""The scheduler: requested executions in, `ScheduleExecution` to a worker pool out.

Embedded Attune has one pool, `local`. Policies (concurrency, delays) arrive with later
issues; their state will be kept here as sets of execution ids per action.
"""

from __future__ import annotations

from datetime import datetime

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause, event_name

ACTOR = "scheduler"
LOCAL_POOL = "local"


class Scheduler:
    name = "scheduler"

    def __init__(self, pool: str = LOCAL_POOL) -> None:
        self.pool = pool

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        if event_name(event) != "execution.requested":
            return []
        cause = Cause.following(event, ACTOR, now)
        return [
            m.ScheduleExecution.because(cause, execution_id=event.originator_id, pool=self.pool)
        ]
