"""Concurrent user commands share transactions but not their fate."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from uuid import UUID

import pytest

from attune.commands import models as m
from attune.commands.errors import UnknownEntity
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from tests.conftest import NOW


def all_at_once(commands: CommandService, requests: Sequence[m.Command]) -> dict[int, object]:
    """Execute every command from a thread of its own, all released at once; each thread's
    position, or the exception it got."""
    results: dict[int, object] = {}
    start = threading.Barrier(len(requests))

    def request(i: int) -> None:
        start.wait()
        try:
            results[i] = commands.execute(requests[i])
        except Exception as failure:
            results[i] = failure

    threads = [threading.Thread(target=request, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def run(i: int, action: str, **parameters: object) -> m.RequestExecution:
    return m.RequestExecution(
        actor="api",
        at=NOW,
        action=action,
        parameters=parameters,
        execution_id=UUID(int=(0x019B << 112) | (7 << 76) | i),
    )


def test_concurrent_requests_each_get_their_own_answer(
    commands: CommandService, store: EventStore
) -> None:
    results = all_at_once(
        commands, [run(i, "core.nope" if i % 5 == 0 else "core.noop") for i in range(40)]
    )

    refused = {i for i, r in results.items() if isinstance(r, UnknownEntity)}
    assert refused == {i for i in range(40) if i % 5 == 0}
    positions = [r for r in results.values() if isinstance(r, int)]
    assert len(positions) == 32 and all(0 < p <= store.position() for p in positions)
    stored = [e for _, e in store.read(0, 1000) if type(e).TOPIC == "execution.requested"]  # type: ignore[attr-defined]
    assert len(stored) == 32


def test_a_lone_refusal_still_raises_its_typed_error(commands: CommandService) -> None:
    with pytest.raises(UnknownEntity):
        commands.execute(
            m.RequestExecution(actor="api", at=NOW, action="x.y", execution_id=UUID(int=1))
        )


def test_a_command_the_store_cannot_write_fails_alone(
    commands: CommandService, store: EventStore
) -> None:
    """A lone surrogate cannot be encoded as UTF-8: writing that command fails, and the
    other commands of its group commit are written all the same."""
    requests = [
        run(i, "core.login", cmd="a\udc00b" if i in (7, 30) else f"run {i}") for i in range(42)
    ]
    results = all_at_once(commands, requests)

    failed = {i for i, r in results.items() if not isinstance(r, int)}
    assert failed == {7, 30}
    stored = [e for _, e in store.read(0, 1000) if type(e).TOPIC == "execution.requested"]  # type: ignore[attr-defined]
    assert len(stored) == 40
