"""A short-lived memory of authenticated callers, so a request costs no database reads.

A credential seen in the last two seconds maps to its caller without looking the API key,
session and identity up again. Changes that take rights away — a logout, a revoked API
key, new roles, a disabled identity, a redefined role — clear the whole cache in the API
process that makes them, so they apply at once there; another API process (distributed
mode) notices within the two seconds. Execution tokens are never cached: they must stop
working the moment their execution ends.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")

TTL_SECONDS = 2.0
MAX_ENTRIES = 10_000


class CallerCache(Generic[T]):
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._entries: dict[str, tuple[T, float]] = {}
        self._lock = threading.Lock()

    def get(self, credential: str) -> T | None:
        entry = self._entries.get(credential)
        if entry is None or entry[1] < self._clock():
            return None
        return entry[0]

    def put(self, credential: str, caller: T) -> None:
        now = self._clock()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries = {k: v for k, v in self._entries.items() if v[1] >= now}
            self._entries[credential] = (caller, now + TTL_SECONDS)

    def clear(self) -> None:
        with self._lock:
            self._entries = {}
