"""Concurrent user commands share transactions but not their fate."""

from __future__ import annotations

import threading
from uuid import UUID

import pytest

from attune.commands import models as m
from attune.commands.errors import UnknownEntity
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from tests.conftest import NOW


def test_concurrent_requests_each_get_their_own_answer(
    commands: CommandService, store: EventStore
) -> None:
    results: dict[int, object] = {}
    start = threading.Barrier(40)

    def request(i: int) -> None:
        action = "core.nope" if i % 5 == 0 else "core.noop"
        command = m.RequestExecution(
            actor="api",
            at=NOW,
            action=action,
            execution_id=UUID(int=(0x019B << 112) | (7 << 76) | i),
        )
        start.wait()
        try:
            results[i] = commands.execute(command)
        except UnknownEntity as refusal:
            results[i] = refusal

    threads = [threading.Thread(target=request, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

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
    results: dict[int, object] = {}
    start = threading.Barrier(42)

    def request(i: int) -> None:
        message = "a\udc00b" if i in (7, 30) else f"run {i}"
        command = m.RequestExecution(
            actor="api",
            at=NOW,
            action="core.login",
            parameters={"cmd": message},
            execution_id=UUID(int=(0x019C << 112) | (7 << 76) | i),
        )
        start.wait()
        try:
            results[i] = commands.execute(command)
        except Exception as failure:
            results[i] = failure

    threads = [threading.Thread(target=request, args=(i,)) for i in range(42)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    failed = {i for i, r in results.items() if not isinstance(r, int)}
    assert failed == {7, 30}
    stored = [e for _, e in store.read(0, 1000) if type(e).TOPIC == "execution.requested"]  # type: ignore[attr-defined]
    assert len(stored) == 40
