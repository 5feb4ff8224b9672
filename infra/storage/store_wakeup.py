"""Waking a process when the event store grows: LISTEN/NOTIFY on PostgreSQL.

eventsourcing's PostgreSQL recorder NOTIFYs a channel named after its events table after
every write. A `StoreWakeUp` LISTENs on it in a thread of its own and sets an event, so a
tailing process (the relay, say) reacts within milliseconds instead of its poll interval.
On SQLite there is no such signal between processes: the event is never set and the
caller's poll interval is the fallback, as it is whenever the listener has to reconnect.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg
from psycopg import sql

from attune.commands.store import EventStore
from attune.infra.settings import Settings
from attune.infra.storage.databases import postgres_url

log = logging.getLogger(__name__)

STOP_CHECK_SECONDS = 0.5


class StoreWakeUp:
    def __init__(self, settings: Settings, store: EventStore, stopping: threading.Event) -> None:
        self.arrived = threading.Event()
        self._stopping = stopping
        url = postgres_url(settings)
        channel = getattr(store.recorder, "channel_name", None)
        self._thread: threading.Thread | None = None
        if url is not None and channel is not None:
            conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._thread = threading.Thread(
                target=self._listen, args=(conninfo, channel), name="store wake-up", daemon=True
            )
            self._thread.start()

    def wait(self, timeout: float) -> None:
        """Return when the store has grown (maybe), on stop, or after `timeout`."""
        deadline = time.monotonic() + timeout
        while not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self.arrived.wait(min(remaining, STOP_CHECK_SECONDS)):
                break
        self.arrived.clear()

    def join(self) -> None:
        """Wait for the listener to end (after the caller's `stopping` was set)."""
        if self._thread is not None:
            self._thread.join(5)

    def _listen(self, conninfo: str, channel: str) -> None:
        while not self._stopping.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(sql.SQL("LISTEN {}").format(sql.Identifier(channel)))
                    while not self._stopping.is_set():
                        for _ in connection.notifies(timeout=0.5, stop_after=1):
                            self.arrived.set()
            except psycopg.Error:
                log.warning("lost the store's notifications; polling until reconnected")
                self._stopping.wait(1.0)
