"""The event store on PostgreSQL (distributed mode): same behaviour as on SQLite."""

from __future__ import annotations

from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from attune.commands import models as m
from attune.commands.errors import UnknownEntity
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.execution import Execution
from attune.infra.settings import Settings
from tests.conftest import NOW

ID = UUID("019b0000-0000-7000-8000-0000000000f1")


@pytest.fixture
def backend() -> str:
    return "postgresql"


def test_the_store_is_postgresql_and_behaves_as_on_sqlite(
    commands: CommandService, store: EventStore, settings: Settings
) -> None:
    assert type(store.factory).__module__ == "eventsourcing.postgres"
    assert not settings.events_db.exists()  # nothing written to a SQLite file

    position = commands.execute(
        m.RequestExecution(actor="api", at=NOW, execution_id=ID, action="core.noop")
    )
    with pytest.raises(UnknownEntity):
        commands.execute(m.RequestExecution(actor="api", at=NOW, execution_id=ID, action="x.y"))
    assert store.position() == position

    schedule = m.ScheduleExecution(actor="scheduler", at=NOW, execution_id=ID, pool="local")
    assert commands.apply_batch([schedule], Tracking("scheduler", position)).position > position
    repeated = commands.apply_batch([schedule], Tracking("scheduler", position))
    assert repeated.position == 0  # the same notification, processed again: nothing written
    assert store.tracked_position("scheduler") == position

    [(_, requested), (_, scheduled)] = store.read(position - 1, 10)
    assert type(requested).TOPIC == "execution.requested"  # type: ignore[attr-defined]
    assert requested.timestamp == NOW and scheduled.actor == "scheduler"
    loaded = store.load(ID)
    assert isinstance(loaded, Execution) and loaded.status == "scheduled"
