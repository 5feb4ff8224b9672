"""The projector turns the store's log into rows: what each table holds, and that
applying events again (crash, redelivery, overlapping reads) changes nothing."""

from __future__ import annotations

from datetime import UTC, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from projection_scenario import CORE, ECHO, Scenario, at
from sqlalchemy import Engine, create_engine

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.catalogue import EVENT_TYPES
from attune.domain.ids import new_runtime_id
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.projections.handlers import HANDLERS
from attune.projections.projector import Projector
from attune.projections.rebuild import dump_tables
from attune.projections.watch import PositionWatch


def by_ref(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["ref"]: row for row in rows}


def test_configuration_rows_hold_filterable_fields_and_the_definition(
    store: EventStore, projector: Projector, read_engine: Engine, scenario: Scenario
) -> None:
    projector.catch_up(store)
    tables = dump_tables(read_engine)

    assert tables["pack"] == [
        {
            "ref": "core",
            "label": "Core",
            "version": "1.0.0",
            "description": "",
            "definition": CORE.as_json(),
            "registered_at": at(0),
            "updated_at": at(0),
        }
    ]
    action = by_ref(tables["action"])["core.echo"]
    assert (action["ref"], action["pack"], action["name"]) == ("core.echo", "core", "echo")
    assert (action["runner_type"], action["enabled"]) == ("noop", True)
    assert action["description"] == "Print a message"
    assert action["definition"] == ECHO.as_json()
    (trigger_type,) = tables["trigger_type"]
    assert (trigger_type["ref"], trigger_type["pack"]) == ("core.webhook", "core")
    (rule,) = tables["rule"]
    assert (rule["ref"], rule["trigger"], rule["action"], rule["enabled"]) == (
        "core.on_hook",
        "core.webhook",
        "core.echo",
        True,
    )
    assert rule["definition"]["action_params"] == {"message": "{{ trigger.msg }}"}


def test_redefining_an_action_updates_its_row_and_keeps_its_registration_time(
    store: EventStore, commands: CommandService, projector: Projector, read_engine: Engine
) -> None:
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=at(0)))
    projector.catch_up(store)
    disabled = ECHO.model_copy(update={"enabled": False, "description": "Retired"})
    commands.execute(m.RegisterAction(definition=disabled, actor="loader", at=at(60)))
    projector.catch_up(store)

    action = by_ref(dump_tables(read_engine)["action"])["core.echo"]
    assert (action["enabled"], action["description"]) == (False, "Retired")
    assert action["definition"] == disabled.as_json()
    assert (action["registered_at"], action["updated_at"]) == (at(0), at(60))


def test_runtime_rows_follow_a_trigger_event_to_a_succeeded_execution(
    store: EventStore,
    projector: Projector,
    read_engine: Engine,
    scenario: Scenario,
    secret_box: AesGcmSecretBox,
) -> None:
    projector.catch_up(store)
    tables = dump_tables(read_engine)

    assert tables["event"] == [
        {
            "id": str(scenario.trigger_event_id),
            "trigger": "core.webhook",
            "trigger_params": {},
            "payload": {"msg": "hi"},
            "occurred_at": at(10),
            "correlation_id": str(scenario.trigger_event_id),
        }
    ]
    assert tables["enforcement"] == [
        {
            "id": str(scenario.enforcement_id),
            "rule": "core.on_hook",
            "trigger_event_id": str(scenario.trigger_event_id),
            "trigger": "core.webhook",
            "action": "core.echo",
            "config": {"message": "{{ trigger.msg }}"},
            "status": "processed",
            "execution_id": str(scenario.execution_id),
            "reason": None,
            "created_at": at(11),
            "resolved_at": at(12),
        }
    ]
    (execution,) = tables["execution"]
    sealed = execution["parameters"]["token"]
    assert execution == {
        "id": str(scenario.execution_id),
        "action": "core.echo",
        "parameters": {"message": "hi", "token": sealed},
        "status": "succeeded",
        "pool": "default",
        "worker": "worker-1",
        "result": {"stdout": "hi"},
        "error": None,
        "enforcement_id": str(scenario.enforcement_id),
        "rule": "core.on_hook",
        "trigger_event_id": str(scenario.trigger_event_id),
        "created_at": at(12),
        "started_at": at(14),
        "ended_at": at(15),
        "updated_at": at(15),
        "correlation_id": str(scenario.trigger_event_id),
    }
    # The projection holds the secret sealed, as the events do.
    assert "s3cret" not in str(sealed)
    assert secret_box.unseal(sealed["$secret"]) == "s3cret"


def test_history_has_one_row_per_lifecycle_event_in_log_order(
    store: EventStore, projector: Projector, read_engine: Engine, scenario: Scenario
) -> None:
    projector.catch_up(store)
    history = dump_tables(read_engine)["execution_history"]

    assert [(h["event"], h["status"], h["actor"], h["details"]) for h in history] == [
        ("execution.requested", "requested", "rule-engine", {"action": "core.echo"}),
        ("execution.scheduled", "scheduled", "scheduler", {"pool": "default"}),
        ("execution.claimed", "running", "worker-1", {"worker": "worker-1"}),
        ("execution.succeeded", "succeeded", "worker-1", {}),
    ]
    assert [h["occurred_at"] for h in history] == [at(12), at(13), at(14), at(15)]
    positions = [h["position"] for h in history]
    assert positions == sorted(positions)


def test_a_failed_execution_records_its_error_and_a_failed_enforcement_its_reason(
    store: EventStore, commands: CommandService, projector: Projector, read_engine: Engine
) -> None:
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=at(0)))
    execution_id = new_runtime_id(at(1), bytes(10))
    enforcement_id = new_runtime_id(at(1), b"\x01" * 10)
    trigger_event_id = new_runtime_id(at(1), b"\x02" * 10)
    for command in [
        m.RequestExecution(
            execution_id=execution_id,
            action="core.echo",
            parameters={"message": "x"},
            actor="api",
            at=at(1),
        ),
        m.ScheduleExecution(execution_id=execution_id, pool="default", actor="s", at=at(2)),
        m.ClaimExecution(execution_id=execution_id, worker="w", actor="w", at=at(3)),
        m.CompleteExecution(
            execution_id=execution_id,
            worker="w",
            outcome="failed",
            error="exit code 2",
            actor="w",
            at=at(4),
        ),
        m.CreateEnforcement(
            enforcement_id=enforcement_id,
            rule="core.r",
            trigger_event_id=trigger_event_id,
            trigger="core.t",
            action="core.echo",
            config=None,
            actor="re",
            at=at(5),
        ),
        m.FailEnforcement(
            enforcement_id=enforcement_id, reason="'x' is not defined", actor="re", at=at(6)
        ),
    ]:
        commands.execute(command)
    projector.catch_up(store)
    tables = dump_tables(read_engine)

    (execution,) = tables["execution"]
    assert (execution["status"], execution["error"], execution["ended_at"]) == (
        "failed",
        "exit code 2",
        at(4),
    )
    assert tables["execution_history"][-1]["details"] == {"error": "exit code 2"}
    (enforcement,) = tables["enforcement"]
    assert (enforcement["status"], enforcement["reason"], enforcement["resolved_at"]) == (
        "failed",
        "'x' is not defined",
        at(6),
    )
    assert enforcement["config"] is None


def test_applying_the_same_batch_twice_changes_nothing(
    store: EventStore, projector: Projector, read_engine: Engine, scenario: Scenario
) -> None:
    batch = store.read(0, 100)
    first = projector.apply(batch)
    once = dump_tables(read_engine)

    assert projector.apply(batch) == first == store.position()
    assert dump_tables(read_engine) == once


def test_overlapping_and_one_event_batches_give_the_same_rows_as_one_batch(
    store: EventStore, projector: Projector, read_engine: Engine, scenario: Scenario, tmp_path: Path
) -> None:
    log = store.read(0, 100)
    projector.apply(log[:7])
    projector.apply(log[4:9])
    for event in log[8:]:
        projector.apply([event])

    whole = create_engine(f"sqlite:///{tmp_path / 'whole.db'}")
    Projector(whole).apply(log)
    assert dump_tables(read_engine) == dump_tables(whole)
    whole.dispose()


def test_a_new_projector_resumes_from_the_stored_position(
    store: EventStore, read_engine: Engine, scenario: Scenario
) -> None:
    Projector(read_engine).apply(store.read(0, 5))

    watch = PositionWatch()  # as the composition root shares it with the API
    resumed = Projector(read_engine, watch)
    assert resumed.position() == watch.position() == 5
    assert resumed.catch_up(store, batch_size=2) == store.position() == watch.position()
    assert len(dump_tables(read_engine)["execution_history"]) == 4


def test_times_come_back_as_utc_aware_datetimes(
    store: EventStore, commands: CommandService, projector: Projector, read_engine: Engine
) -> None:
    paris = timezone(timedelta(hours=2))
    requested_at = at(0).astimezone(paris)
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=requested_at))
    commands.execute(
        m.RequestExecution(
            execution_id=new_runtime_id(requested_at, bytes(10)),
            action="core.echo",
            parameters={"message": "hi"},
            actor="api",
            at=requested_at,
        )
    )
    projector.catch_up(store)

    (execution,) = dump_tables(read_engine)["execution"]
    assert execution["created_at"] == requested_at
    assert execution["created_at"].tzinfo == UTC
    assert execution["created_at"].hour == 12


def test_every_domain_event_of_a_projected_aggregate_changes_the_projections() -> None:
    projected = {
        "pack",
        "action",
        "trigger_type",
        "rule",
        "trigger_event",
        "enforcement",
        "execution",
    }
    names = {name for name in EVENT_TYPES if name.split(".")[0] in projected}
    # The rules a pack's files define are the write side's (to unregister a rule whose
    # file is gone); the rule rows themselves follow rule.unregistered and rule.restored.
    write_side_only = {"pack.rules_listed"}

    assert names - HANDLERS.keys() == write_side_only


def test_timescaledb_is_used_where_the_database_has_the_extension(
    projector: Projector, backend: str
) -> None:
    assert projector.timescaledb == (backend == "timescaledb")


def test_the_retention_is_at_least_a_day(read_engine: Engine) -> None:
    with pytest.raises(ValueError, match="at least one day"):
        Projector(read_engine, retention_days=0)
