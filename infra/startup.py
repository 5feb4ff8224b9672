"""Waiting for a service at start: retry with a growing pause instead of crash-looping.

A distributed process whose broker or database is not reachable yet logs the address it
tried and tries again (1 s, 2 s, 4 s ... up to 30 s), so a supervisor sees a live process
that names its problem, and the process starts working as soon as the service is there.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("attune")

T = TypeVar("T")
MAX_PAUSE_SECONDS = 30.0


def connect_with_retry(what: str, connect: Callable[[], T], stopping: threading.Event) -> T | None:
    """`connect()` until it works; None if `stopping` is set first. `what` names the service."""
    pause = 1.0
    while not stopping.is_set():
        try:
            return connect()
        except Exception as problem:
            log.error("cannot reach %s: %s; retrying in %.0f s", what, problem, pause)
            stopping.wait(pause)
            pause = min(pause * 2, MAX_PAUSE_SECONDS)
    return None
