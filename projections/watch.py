"""PositionWatch: the position a projection has committed, for readers that wait on it.

The projector advances it after each commit; an API request that carries a write's store
position waits here until the projection has reached it (read-your-writes).
"""

from __future__ import annotations

import threading


class PositionWatch:
    """A monotonic position with a blocking wait; safe to share between threads."""

    def __init__(self, position: int = 0) -> None:
        self._position = position
        self._changed = threading.Condition()

    def position(self) -> int:
        with self._changed:
            return self._position

    def advance(self, position: int) -> None:
        with self._changed:
            if position > self._position:
                self._position = position
                self._changed.notify_all()

    def wait_for(self, position: int, timeout: float) -> bool:
        """Block until the position is at least `position`; False if `timeout` passes first."""
        with self._changed:
            return self._changed.wait_for(lambda: self._position >= position, timeout)
