"""The write side against a real SQLite store: refusals write nothing, repeats are no-ops."""

from __future__ import annotations

import sqlite3
from uuid import UUID

import pytest
from eventsourcing.persistence import Tracking

from attune.commands import models as m
from attune.commands.errors import UnknownEntity
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.errors import InvalidParameters
from attune.domain.execution import Execution
from attune.infra.settings import Settings
from tests.conftest import NOW

ID = UUID("019b0000-0000-7000-8000-000000000001")


def request(
    action: str = "core.noop", execution_id: UUID = ID, **parameters: object
) -> m.RequestExecution:
    return m.RequestExecution(
        actor="api", at=NOW, execution_id=execution_id, action=action, parameters=parameters
    )


def test_a_requested_execution_is_stored_with_defaults_and_returns_its_position(
    commands: CommandService, store: EventStore
) -> None:
    position = commands.execute(request("core.login", cmd="true"))
    assert position == store.position()
    execution = store.load(ID)
    assert isinstance(execution, Execution)
    assert execution.status == "requested" and execution.parameters == {"cmd": "true", "retries": 3}


def test_refused_commands_write_nothing(commands: CommandService, store: EventStore) -> None:
    before = store.position()
    with pytest.raises(UnknownEntity, match="unknown action 'core.nope'"):
        commands.execute(request("core.nope"))
    with pytest.raises(InvalidParameters, match="cmd: is required"):
        commands.execute(request("core.login"))
    with pytest.raises(InvalidParameters, match="retries: must be of type integer"):
        commands.execute(request("core.login", cmd="x", retries="3"))
    assert store.position() == before


def test_the_same_command_twice_changes_nothing_the_second_time(
    commands: CommandService, store: EventStore
) -> None:
    enforcement = UUID("019b0000-0000-7000-8000-0000000000ee")
    caused = request().model_copy(update={"enforcement_id": enforcement, "rule": "x.r"})
    commands.apply_batch([caused])
    position = store.position()
    commands.apply_batch([caused])
    schedule = m.ScheduleExecution(actor="scheduler", at=NOW, execution_id=ID, pool="local")
    commands.apply_batch([schedule])
    commands.apply_batch([schedule])
    assert store.position() == position + 1


def test_secret_parameters_are_sealed_before_they_are_stored(
    commands: CommandService, store: EventStore, settings: Settings, secret_box
) -> None:
    commands.execute(request("core.login", cmd="login", password="hunter2-very-secret"))
    execution = store.load(ID)
    assert isinstance(execution, Execution)
    token = execution.parameters["password"]["$secret"]
    assert secret_box.unseal(token) == "hunter2-very-secret"
    for file in settings.state_dir.glob("events.db*"):
        assert b"hunter2-very-secret" not in file.read_bytes()


def test_a_batch_reports_refusals_and_applies_the_rest_with_its_tracking(
    commands: CommandService, store: EventStore
) -> None:
    commands.execute(request())
    batch = [
        m.ClaimExecution(actor="w", at=NOW, execution_id=ID, worker="w1"),  # not scheduled yet
        m.ScheduleExecution(actor="scheduler", at=NOW, execution_id=ID, pool="local"),
    ]
    outcome = commands.apply_batch(batch, Tracking("scheduler", 1))
    assert [type(c).__name__ for c, _ in outcome.refused] == ["ClaimExecution"]
    assert store.tracked_position("scheduler") == 1
    assert store.load(ID).status == "scheduled"  # type: ignore[union-attr]

    # The same notifications processed again (another host, or a replay) write nothing.
    position = store.position()
    assert commands.apply_batch(batch[1:], Tracking("scheduler", 1)).position == 0
    assert store.position() == position


def test_stored_events_are_plain_json_under_their_stable_names(
    commands: CommandService, settings: Settings
) -> None:
    commands.execute(request())
    rows = (
        sqlite3.connect(settings.events_db)
        .execute("SELECT topic, state FROM stored_events ORDER BY rowid")
        .fetchall()
    )
    assert rows[-1][0] == "execution.requested"
    assert b'"originator_topic":"execution"' in rows[-1][1]
    assert b'"timestamp":"2026-01-01T12:00:00+00:00"' in rows[-1][1]


def test_a_rendered_secret_is_sealed_in_the_enforcement_and_reaches_the_execution_sealed(
    commands: CommandService, store: EventStore, settings: Settings, secret_box
) -> None:
    enforcement_id = UUID("019b0000-0000-7000-8000-0000000000e1")
    rendered = {"cmd": "login", "password": "rendered-secret-4411"}
    commands.apply_batch(
        [
            m.CreateEnforcement(
                actor="rule_engine",
                at=NOW,
                enforcement_id=enforcement_id,
                rule="x.r",
                trigger_event_id=ID,
                trigger="x.t",
                action="core.login",
                config=rendered,
            ),
        ]
    )
    enforcement = store.load(enforcement_id)
    sealed_config = enforcement.config  # type: ignore[union-attr]
    assert sealed_config["cmd"] == "login"
    assert secret_box.unseal(sealed_config["password"]["$secret"]) == "rendered-secret-4411"

    # The rule engine passes the stored config on; the request validates the opened value.
    commands.apply_batch(
        [
            request("core.login").model_copy(
                update={"parameters": sealed_config, "enforcement_id": enforcement_id}
            )
        ]
    )
    execution = store.load(ID)
    assert isinstance(execution, Execution) and execution.parameters["retries"] == 3
    assert secret_box.unseal(execution.parameters["password"]["$secret"]) == "rendered-secret-4411"
    for file in settings.state_dir.glob("events.db*"):
        assert b"rendered-secret-4411" not in file.read_bytes()


def test_a_sealed_value_that_does_not_open_is_refused_naming_the_parameter(
    commands: CommandService,
) -> None:
    forged = {"cmd": "x", "password": {"$secret": "0000000000000000:AAAA"}}
    with pytest.raises(InvalidParameters, match="password: is sealed, but not by a key"):
        commands.execute(request("core.login").model_copy(update={"parameters": forged}))
