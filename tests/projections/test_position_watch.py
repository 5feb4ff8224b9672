"""PositionWatch lets a reader wait until the projection has committed a position."""

from __future__ import annotations

import asyncio
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


def test_coroutines_wait_without_a_thread_each_and_wake_when_reached() -> None:
    watch = PositionWatch(5)

    async def scenario() -> tuple[list[bool], int, int]:
        before = threading.active_count()
        waits = [asyncio.create_task(watch.reached(p, timeout=5)) for p in (6, 8, 8, 100)]
        await asyncio.sleep(0.01)
        pending = watch.waiting()
        threads = threading.active_count() - before
        threading.Timer(0.05, watch.advance, args=(8,)).start()  # the projector's thread
        early = await asyncio.gather(*waits[:3])
        waits[3].cancel()
        return [*early, await watch.reached(5, timeout=0)], pending, threads

    results, pending, threads = asyncio.run(scenario())
    assert results == [True, True, True, True]
    assert pending == 4
    assert threads == 0  # four waits, no thread for any of them
    assert watch.waiting() == 0  # the cancelled one is gone too


def test_a_coroutine_gives_up_after_the_timeout() -> None:
    watch = PositionWatch(1)
    assert not asyncio.run(watch.reached(2, timeout=0.05))
    assert watch.waiting() == 0
