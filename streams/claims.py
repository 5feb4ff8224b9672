"""Which worker holds which running execution, so a lost worker's runs can be abandoned.

A run whose worker died is never silently re-run (its action may have had effects): it
becomes `abandoned`; only an explicit retry policy may run it again as a new attempt.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause, event_name

ACTOR = "supervisor"
ENDING_EVENTS = frozenset(
    {"execution.succeeded", "execution.failed", "execution.timed_out", "execution.abandoned"}
)


class ClaimRegistry:
    name = "claims"

    def __init__(self) -> None:
        self.held: dict[str, set[UUID]] = {}  # worker -> the executions it runs
        self._holder: dict[UUID, str] = {}

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        kind = event_name(event)
        if kind == "execution.claimed":
            worker: str = event.worker  # type: ignore[attr-defined]
            self.held.setdefault(worker, set()).add(event.originator_id)
            self._holder[event.originator_id] = worker
        elif kind in ENDING_EVENTS:
            holder = self._holder.pop(event.originator_id, None)
            if holder is not None:
                self.held[holder].discard(event.originator_id)
        return []

    def workers(self) -> list[str]:
        return sorted(w for w, runs in self.held.items() if runs)

    def declare_lost(self, worker: str, reason: str, now: datetime) -> list[m.Command]:
        """Abandon every run the lost worker held."""
        cause = Cause(ACTOR, now)
        return [
            m.AbandonExecution.because(cause, execution_id=execution_id, reason=reason)
            for execution_id in sorted(self.held.get(worker, ()), key=str)
        ]
