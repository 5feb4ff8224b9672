"""Projections can be dropped and rebuilt from the log; the rebuild equals the live tables."""

from __future__ import annotations

from pathlib import Path

from projection_scenario import ECHO, Scenario, at
from sqlalchemy import Engine, create_engine

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.ids import new_runtime_id
from attune.projections.projector import Projector
from attune.projections.rebuild import dump_tables, rebuild
from attune.projections.schema import execution


def test_rebuild_equals_the_tables_a_live_projector_built_event_by_event(
    store: EventStore, commands: CommandService, read_engine: Engine, tmp_path: Path
) -> None:
    live = Projector(read_engine)

    def catch_up(_position: int) -> None:
        live.catch_up(store)

    store.on_saved(catch_up)
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=at(0)))
    for n in range(3):
        execution_id = new_runtime_id(at(n), bytes([n]) * 10)
        commands.execute(
            m.RequestExecution(
                execution_id=execution_id,
                action="core.echo",
                parameters={"message": str(n), "token": "t"},
                actor="api",
                at=at(n),
            )
        )
        commands.execute(
            m.ScheduleExecution(execution_id=execution_id, pool="p", actor="s", at=at(n + 1))
        )

    replayed = create_engine(f"sqlite:///{tmp_path / 'replayed.db'}")
    assert rebuild(store, replayed, batch_size=4) == store.position()
    assert dump_tables(replayed) == dump_tables(read_engine)
    replayed.dispose()


def test_rebuild_discards_rows_the_log_does_not_explain(
    store: EventStore, projector: Projector, read_engine: Engine, scenario: Scenario
) -> None:
    projector.catch_up(store)
    expected = dump_tables(read_engine)
    with read_engine.begin() as connection:
        connection.execute(execution.update().values(status="canceled"))

    assert rebuild(store, read_engine) == store.position()
    assert dump_tables(read_engine) == expected
