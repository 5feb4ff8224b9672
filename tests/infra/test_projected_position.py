"""The distributed API's view of the projector (another process): its position row, which
many waiting reads share one polling thread to watch."""

from __future__ import annotations

import asyncio
import threading
from uuid import UUID

import sqlalchemy

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.infra.distributed import ProjectedPosition
from attune.projections.projector import Projector
from tests.conftest import NOW


def test_waiting_reads_share_one_poller_and_wake_when_the_projector_commits(
    store: EventStore,
    commands: CommandService,
    read_engine: sqlalchemy.Engine,
    projector: Projector,
) -> None:
    projector.catch_up(store)
    position = commands.execute(
        m.RequestExecution(actor="api", at=NOW, action="core.noop", execution_id=NOW_ID)
    )
    projected = ProjectedPosition(read_engine)  # reads the row, as another process would

    async def scenario() -> tuple[list[bool], int, bool]:
        before = threading.active_count()
        waits = [asyncio.create_task(projected.reached(position, timeout=10)) for _ in range(50)]
        await asyncio.sleep(0.2)
        threads = threading.active_count() - before
        threading.Timer(0.1, projector.catch_up, args=(store,)).start()
        reached = await asyncio.gather(*waits)
        return reached, threads, await projected.reached(position + 1, timeout=0.05)

    reached, threads, beyond = asyncio.run(scenario())
    assert reached == [True] * 50
    assert threads == 1  # one poller for fifty waits
    assert beyond is False


NOW_ID = UUID("019b0000-0000-7000-8000-00000000abcd")
