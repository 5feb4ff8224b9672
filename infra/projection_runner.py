"""Keeps the read models up to date: a background loop tailing the store's log into the
projector, woken by every save."""

from __future__ import annotations

from attune.commands.store import EventStore
from attune.projections.projector import Projector
from attune.streams.background import WakeableLoop

# Let a few more events arrive before each round: one transaction per few events.
COALESCE_SECONDS = 0.003


def projection_loop(store: EventStore, projector: Projector, poll_interval: float) -> WakeableLoop:
    def catch_up() -> bool:
        projector.catch_up(store)
        return False  # everything there was is applied: sleep until the next save

    return WakeableLoop("projector", catch_up, lambda: poll_interval, COALESCE_SECONDS)
