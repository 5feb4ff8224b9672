"""On TimescaleDB the runtime read models are hypertables, with hourly continuous
aggregates and refresh, compression and retention policies; analytics read the aggregates.

Background jobs do not run in the WASM server: tests refresh the aggregates themselves.
"""

from __future__ import annotations

from typing import Any

import pytest
from analytics_scenario import (
    EXECUTIONS_PER_HOUR,
    TRIGGER_EVENTS_PER_HOUR,
    at,
    execution_id,
    play_analytics,
)
from sqlalchemy import Connection, Engine, text

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.projections.analytics import executions_per_hour, trigger_events_per_hour
from attune.projections.projector import Projector
from attune.projections.rebuild import rebuild

HYPERTABLES = {
    "event": "occurred_at",
    "enforcement": "created_at",
    "execution": "created_at",
    "execution_history": "occurred_at",
}
AGGREGATES = {"execution_hourly": "execution", "event_hourly": "event"}


@pytest.fixture
def backend() -> str:
    return "timescaledb"


def rows(connection: Connection, query: str) -> list[dict[str, Any]]:
    return [dict(row._mapping) for row in connection.execute(text(query))]


def jobs(read_engine: Engine) -> list[tuple[str, str, dict[str, Any]]]:
    with read_engine.connect() as connection:
        found = rows(
            connection,
            "SELECT proc_name, hypertable_name, config FROM timescaledb_information.jobs "
            "WHERE hypertable_schema = current_schema() ORDER BY hypertable_name, proc_name",
        )
    return [(job["hypertable_name"], job["proc_name"], job["config"]) for job in found]


def refresh(read_engine: Engine) -> None:
    # A procedure that commits as it goes: outside any transaction.
    with read_engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for view in AGGREGATES:
            connection.execute(
                text(f"CALL public.refresh_continuous_aggregate('{view}', NULL, NULL)")
            )


def answers(read_engine: Engine) -> tuple[list[Any], list[Any]]:
    with read_engine.connect() as connection:
        return (
            executions_per_hour(connection, at(-5), at(5)),
            trigger_events_per_hour(connection, at(-5), at(5)),
        )


def test_the_runtime_tables_are_compressed_hypertables_partitioned_by_time(
    projector: Projector, read_engine: Engine
) -> None:
    assert projector.timescaledb
    with read_engine.connect() as connection:
        hypertables = rows(
            connection,
            "SELECT h.hypertable_name, h.compression_enabled, d.column_name "
            "FROM timescaledb_information.hypertables h "
            "JOIN timescaledb_information.dimensions d USING (hypertable_schema, hypertable_name) "
            "WHERE h.hypertable_schema = current_schema()",
        )
    assert {h["hypertable_name"]: h["column_name"] for h in hypertables} == HYPERTABLES
    assert all(h["compression_enabled"] for h in hypertables)


def test_hourly_continuous_aggregates_back_analytics_with_real_time_aggregation(
    projector: Projector, read_engine: Engine
) -> None:
    with read_engine.connect() as connection:
        aggregates = rows(
            connection,
            "SELECT view_name, hypertable_name, materialized_only "
            "FROM timescaledb_information.continuous_aggregates "
            "WHERE view_schema = current_schema()",
        )
    assert {a["view_name"]: a["hypertable_name"] for a in aggregates} == AGGREGATES
    assert not any(a["materialized_only"] for a in aggregates)


def test_policies_compress_weekly_keep_the_retention_and_refresh_within_it(
    read_engine: Engine,
) -> None:
    Projector(read_engine, retention_days=30)

    expected: dict[tuple[str, str], dict[str, str]] = {}
    for table in HYPERTABLES:
        expected[table, "policy_compression"] = {"compress_after": "7 days"}
        expected[table, "policy_retention"] = {"drop_after": "30 days"}
    for view in AGGREGATES:
        window = {"start_offset": "30 days", "end_offset": "01:00:00"}
        expected[view, "policy_refresh_continuous_aggregate"] = window
    found = jobs(read_engine)
    assert sorted((name, proc) for name, proc, _ in found) == sorted(expected)
    for name, proc, config in found:
        assert expected[name, proc].items() <= config.items()


def test_a_restart_with_another_retention_replaces_the_policies_that_depend_on_it(
    read_engine: Engine,
) -> None:
    Projector(read_engine, retention_days=30)
    Projector(read_engine, retention_days=45)

    retention = {
        (name, proc): config.get("drop_after", config.get("start_offset"))
        for name, proc, config in jobs(read_engine)
        if proc != "policy_compression"
    }
    assert len(jobs(read_engine)) == 2 * len(HYPERTABLES) + len(AGGREGATES)
    assert set(retention.values()) == {"45 days"}


def test_aggregates_answer_as_the_tables_once_refreshed_and_follow_changes_at_the_next_refresh(
    commands: CommandService, store: EventStore, projector: Projector, read_engine: Engine
) -> None:
    play_analytics(commands)
    projector.catch_up(store)
    assert answers(read_engine) == (EXECUTIONS_PER_HOUR, TRIGGER_EVENTS_PER_HOUR)
    refresh(read_engine)
    assert answers(read_engine) == (EXECUTIONS_PER_HOUR, TRIGGER_EVENTS_PER_HOUR)

    # The execution requested at 12:59:59 is scheduled: its hour was materialised already.
    commands.execute(
        m.ScheduleExecution(execution_id=execution_id(1), pool="p", actor="s", at=at(2))
    )
    projector.catch_up(store)
    assert answers(read_engine)[0] == EXECUTIONS_PER_HOUR  # until the next refresh
    refresh(read_engine)
    scheduled = {**EXECUTIONS_PER_HOUR[0], "status": "scheduled"}
    assert answers(read_engine)[0] == [scheduled, *EXECUTIONS_PER_HOUR[1:]]


def test_a_rebuild_recreates_the_aggregates_over_the_rebuilt_tables(
    commands: CommandService, store: EventStore, projector: Projector, read_engine: Engine
) -> None:
    play_analytics(commands)
    projector.catch_up(store)
    refresh(read_engine)

    assert rebuild(store, read_engine) == store.position()
    assert answers(read_engine) == (EXECUTIONS_PER_HOUR, TRIGGER_EVENTS_PER_HOUR)
    refresh(read_engine)
    assert answers(read_engine) == (EXECUTIONS_PER_HOUR, TRIGGER_EVENTS_PER_HOUR)
    assert len(jobs(read_engine)) == 2 * len(HYPERTABLES) + len(AGGREGATES)
