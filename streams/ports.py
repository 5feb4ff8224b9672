"""The ports stream processors and their hosts need; `attune.infra` provides them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from eventsourcing.persistence import Tracking

from attune.commands.models import Command
from attune.commands.service import Outcome
from attune.domain.events import AttuneEvent


class Processor(Protocol):
    """Consumes domain events, keeps the state it needs, and answers with commands.

    `handle` must be deterministic in the event and its own state (ids of what it asks for
    derive from the event), so a redelivered event asks for nothing new.
    """

    name: str

    def handle(self, event: AttuneEvent, now: datetime) -> list[Command]: ...


class EventLog(Protocol):
    def read(self, after: int, limit: int) -> list[tuple[int, AttuneEvent]]: ...

    def tracked_position(self, processor: str) -> int: ...


class CommandBus(Protocol):
    def apply_batch(
        self, commands: Sequence[Command], tracking: Tracking | None = None
    ) -> Outcome: ...
