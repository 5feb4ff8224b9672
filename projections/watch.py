"""PositionWatch: the position a projection has committed, for readers that wait on it.

The projector advances it after each commit; an API request that carries a write's store
position waits here until the projection has reached it (read-your-writes). Threads wait
with `wait_for`; coroutines `await reached(...)`, which holds no thread while it waits.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass


@dataclass(frozen=True, eq=False)  # each waiter is itself, whatever it waits for
class _Waiter:
    position: int
    loop: asyncio.AbstractEventLoop
    arrived: asyncio.Future[None]


def _settle(arrived: asyncio.Future[None]) -> None:
    if not arrived.done():
        arrived.set_result(None)


class PositionWatch:
    """A monotonic position with a blocking and an async wait; safe to share between threads."""

    def __init__(self, position: int = 0) -> None:
        self._position = position
        self._changed = threading.Condition()
        self._waiters: list[_Waiter] = []

    def position(self) -> int:
        with self._changed:
            return self._position

    def waiting(self) -> int:
        """How many coroutines are waiting for a position not yet reached."""
        with self._changed:
            return len(self._waiters)

    def advance(self, position: int) -> None:
        with self._changed:
            if position <= self._position:
                return
            self._position = position
            self._changed.notify_all()
            due = [w for w in self._waiters if w.position <= position]
            self._waiters = [w for w in self._waiters if w.position > position]
        for waiter in due:
            waiter.loop.call_soon_threadsafe(_settle, waiter.arrived)

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the position is at least `position`; False if `timeout` passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._position >= position, timeout)

    async def reached(self, position: int, timeout: float) -> bool:
        """Like `wait_for`, awaited on the event loop instead of blocking a thread."""
        loop = asyncio.get_running_loop()
        waiter = _Waiter(position, loop, loop.create_future())
        with self._changed:
            if self._position >= position:
                return True
            self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter.arrived, timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._changed:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
