"""PositionWatch lets a reader wait until the projection has committed a position."""

from __future__ import annotations

import threading
import time

from projection_scenario import Scenario

from attune.commands.store import EventStore
from attune.projections.projector import Projector
from attune.projections.watch import PositionWatch


def test_wait_for_returns_once_the_position_is_reached() -> None:
    watch = PositionWatch()
    threading.Timer(0.1, watch.advance, args=(7,)).start()

    started = time.monotonic()
    assert watch.wait_for(7, timeout=5)
    assert time.monotonic() - started < 2
    assert watch.position() == 7


def test_wait_for_gives_up_after_the_timeout_and_never_goes_back() -> None:
    watch = PositionWatch(10)
    watch.advance(3)

    assert watch.position() == 10
    assert watch.wait_for(10, timeout=0)
    assert not watch.wait_for(11, timeout=0.05)


def test_the_projector_advances_its_watch_after_each_commit(
    store: EventStore, projector: Projector, scenario: Scenario
) -> None:
    assert projector.watch.position() == 0
    projector.apply(store.read(0, 3))
    assert projector.watch.position() == 3
    projector.catch_up(store)
    assert projector.watch.position() == store.position()
