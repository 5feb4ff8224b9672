"""A store written by an earlier version of Attune still loads, replays and projects."""

from __future__ import annotations

import shutil
from pathlib import Path

from attune.commands.store import EventStore
from attune.domain.execution import Execution
from attune.infra.bootstrap import open_store
from attune.infra.settings import Settings
from attune.projections.projector import Projector
from attune.projections.rebuild import dump_tables

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "store_v1" / "events.db"


def test_the_issue_3_store_loads_with_the_envelope_fields_added_since(
    tmp_path: Path, read_engine
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(state_dir=tmp_path / "old")
    settings.state_dir.mkdir()
    shutil.copy(FIXTURE, settings.events_db)  # a copy: reading may write WAL files
    store: EventStore = open_store(settings)

    events = [event for _, event in store.read(0, 1000)]
    assert len(events) == 18 and all(event.source is None for event in events)
    [echo] = [e for e in events if type(e).TOPIC == "execution.requested" and e.rule]  # type: ignore[attr-defined]
    execution = store.load(echo.originator_id)
    assert isinstance(execution, Execution) and execution.status == "succeeded"
    assert execution.result["stdout"] == "hello, world"  # type: ignore[index]

    Projector(read_engine).catch_up(store)
    tables = dump_tables(read_engine)
    assert {row["status"] for row in tables["execution"]} == {"succeeded"}
    assert [row["rule"] for row in tables["enforcement"]] == ["examples.hello_world"]
