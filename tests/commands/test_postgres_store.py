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
from attune.infra.bootstrap import open_store
from attune.infra.security.secret_box import AesGcmSecretBox
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


def test_aggregates_loaded_together_include_other_processes_events(
    commands: CommandService, store: EventStore, settings: Settings, secret_box: AesGcmSecretBox
) -> None:
    """Each process caches aggregates; another process's events must still be seen."""
    ids = [UUID(int=ID.int + n) for n in range(3)]
    for execution_id in ids:
        commands.execute(
            m.RequestExecution(actor="api", at=NOW, execution_id=execution_id, action="core.noop")
        )
    cached = store.load_many(ids)  # now cached by this process
    assert [type(cached[i]) for i in ids] == [Execution] * 3

    other = open_store(settings)  # a second process on the same store
    try:
        elsewhere = CommandService(other, secret_box)
        elsewhere.apply_batch(
            [m.ScheduleExecution(actor="scheduler", at=NOW, execution_id=ids[0], pool="p")]
        )
    finally:
        other.close()

    unknown = UUID(int=ID.int + 99)
    loaded = store.load_many([*ids, unknown])
    assert loaded[unknown] is None
    assert [loaded[i].status for i in ids] == ["scheduled", "requested", "requested"]  # type: ignore[union-attr]
    assert loaded[ids[0]].version == store.load(ids[0]).version  # type: ignore[union-attr]

    # A batch over the cached aggregates writes after the other process's events.
    claims = [
        m.ClaimExecution(actor="worker:w", at=NOW, execution_id=i, worker="w") for i in ids[:1]
    ]
    assert commands.apply_batch(claims).refused == []
    assert store.load(ids[0]).status == "running"  # type: ignore[union-attr]
