"""Which worker holds which running execution, so a lost worker's runs can be abandoned.

A run whose worker died is never silently re-run (its action may have had effects): it
becomes `abandoned`; only an explicit retry policy may run it again as a new attempt.
"""

from __future__ import annotations

from datetime import datetime

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause, event_name
from attune.streams.id_sets import IdSets, InMemoryIdSets

ACTOR = "supervisor"
ENDING_EVENTS = frozenset(
    {"execution.succeeded", "execution.failed", "execution.timed_out", "execution.abandoned"}
)


class ClaimRegistry:
    name = "claims"

    def __init__(self, held: IdSets | None = None) -> None:
        self.held: IdSets = InMemoryIdSets() if held is None else held  # worker -> its runs

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        kind = event_name(event)
        if kind == "execution.claimed":
            self.held.add(event.worker, event.originator_id)  # type: ignore[attr-defined]
        elif kind in ENDING_EVENTS:
            self.held.remove(event.originator_id)
        return []

    def workers(self) -> list[str]:
        return self.held.groups()

    def declare_lost(self, worker: str, reason: str, now: datetime) -> list[m.Command]:
        """Record the worker's loss and abandon every run it held."""
        cause = Cause(ACTOR, now)
        return [
            m.DeclareWorkerLost.because(cause, worker=worker, reason=reason),
            *(
                m.AbandonExecution.because(cause, execution_id=execution_id, reason=reason)
                for execution_id in sorted(self.held.members(worker), key=str)
            ),
        ]
