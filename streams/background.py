"""WakeableLoop: a background thread that works whenever it is woken, until stopped.

The embedded host, the worker and the projection runner each tail something (the log,
their queue) and want the same shape: run a round of work; if there was work, go again at
once; otherwise sleep until woken (a save happened) or until a poll interval passes; log a
failed round and retry it, so one bad write never kills the thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class WakeableLoop:
    def __init__(
        self,
        name: str,
        work: Callable[[], bool],
        idle_seconds: Callable[[], float],
        settle_seconds: float = 0.0,
        retry_seconds: float = 1.0,
    ) -> None:
        """`work()` does one round and says whether there may be more right away;
        `idle_seconds()` is how long to sleep when there is none; `settle_seconds` lets a
        few more wake-ups accumulate before each round (bigger batches, fewer transactions).
        """
        self.name = name
        self._work = work
        self._idle_seconds = idle_seconds
        self._settle_seconds = settle_seconds
        self._retry_seconds = retry_seconds
        self._wake = threading.Event()
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def wake(self, _position: int = 0) -> None:
        self._wake.set()

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self.stopping.is_set():
            if self._settle_seconds:
                self.stopping.wait(self._settle_seconds)
            self._wake.clear()  # before the round: a save during it wakes the next one
            try:
                more = self._work()
            except Exception:
                log.exception("%s failed; retrying", self.name)
                self.stopping.wait(self._retry_seconds)
                continue
            if not more:
                self._wake.wait(self._idle_seconds())
