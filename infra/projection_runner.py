"""Keeps the read models up to date: tails the store's log into the projector."""

from __future__ import annotations

import logging
import threading

from attune.commands.store import EventStore
from attune.projections.projector import Projector

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.003


class ProjectionRunner:
    def __init__(self, store: EventStore, projector: Projector, poll_interval: float) -> None:
        self.store = store
        self.projector = projector
        self.poll_interval = poll_interval
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="projector", daemon=True)

    def wake(self, _position: int = 0) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            # Let a few more events arrive: one transaction per few events, not per event.
            self._stopping.wait(COALESCE_SECONDS)
            self._wake.clear()
            try:
                self.projector.catch_up(self.store)
            except Exception:  # the next round retries from the recorded position
                log.exception("projection failed; retrying")
                self._stopping.wait(1.0)
                continue
            self._wake.wait(self.poll_interval)
