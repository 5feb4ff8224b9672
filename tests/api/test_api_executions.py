"""Requesting executions and reading them back: what a CLI or client relies on."""

from __future__ import annotations

from uuid import UUID

from api_harness import at
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import ActionDefinition
from attune.projections.projector import Projector


def request(client: TestClient, action: str, **parameters: object) -> dict:
    response = client.post("/api/v1/executions", json={"action": action, "parameters": parameters})
    assert response.status_code == 202, response.text
    return response.json()


def test_a_request_is_accepted_with_its_id_status_and_store_position(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    accepted = request(client, "core.echo", message="hello")

    assert accepted["status"] == "requested"
    assert accepted["position"] == store.position()
    execution_id = UUID(accepted["id"])
    assert execution_id.version == 7
    projector.catch_up(store)
    execution = client.get(f"/api/v1/executions/{execution_id}").json()
    assert (execution["action"], execution["status"]) == ("core.echo", "requested")
    assert execution["parameters"] == {"message": "hello", "count": 1}
    assert execution["correlation_id"] == accepted["id"]


def test_an_unknown_action_is_a_404_naming_it_and_writes_nothing(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    response = client.post("/api/v1/executions", json={"action": "x.y"})

    assert response.status_code == 404
    assert response.json() == {"detail": "unknown action 'x.y'"}
    assert store.position() == before


def test_invalid_parameters_are_a_422_naming_each_parameter_and_write_nothing(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    response = client.post(
        "/api/v1/executions",
        json={"action": "core.echo", "parameters": {"count": "three", "colour": "red"}},
    )

    assert response.status_code == 422
    assert sorted(response.json()["detail"], key=lambda p: p["parameter"]) == [
        {"parameter": "colour", "message": "is not a parameter of core.echo"},
        {"parameter": "count", "message": "must be of type integer, got str"},
        {"parameter": "message", "message": "is required"},
    ]
    assert store.position() == before


def test_a_malformed_request_body_is_a_422_naming_the_field(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    missing = client.post("/api/v1/executions", json={"parameters": {}})
    wrong_type = client.post(
        "/api/v1/executions", json={"action": "core.echo", "parameters": ["s3cret"]}
    )

    assert missing.status_code == wrong_type.status_code == 422
    assert [p["parameter"] for p in missing.json()["detail"]] == ["action"]
    assert [p["parameter"] for p in wrong_type.json()["detail"]] == ["parameters"]
    assert "s3cret" not in wrong_type.text  # body values are never echoed
    assert store.position() == before


def test_a_disabled_action_is_a_409(
    client: TestClient, commands: CommandService, store: EventStore
) -> None:
    retired = ActionDefinition(
        ref="core.retired", pack="core", name="retired", runner_type="noop", enabled=False
    )
    commands.execute(m.RegisterAction(definition=retired, actor="loader", at=at(0)))
    before = store.position()

    response = client.post("/api/v1/executions", json={"action": "core.retired"})

    assert response.status_code == 409
    assert response.json() == {"detail": "action 'core.retired' is disabled"}
    assert store.position() == before


def test_secret_parameters_are_masked_in_every_response(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    accepted = request(client, "core.echo", message="hi", token="s3cret")
    projector.catch_up(store)

    one = client.get(f"/api/v1/executions/{accepted['id']}")
    listed = client.get("/api/v1/executions")

    assert one.json()["parameters"] == {"message": "hi", "count": 1, "token": "********"}
    assert listed.json()["items"][0]["parameters"]["token"] == "********"
    assert "s3cret" not in one.text + listed.text
    assert "$secret" not in one.text + listed.text  # nor its sealed form


def test_an_unknown_execution_is_a_404_naming_its_id(client: TestClient) -> None:
    missing = "018f3000-0000-7000-8000-000000000000"
    for path in (f"/api/v1/executions/{missing}", f"/api/v1/executions/{missing}/history"):
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"detail": f"unknown execution '{missing}'"}


def test_history_lists_the_lifecycle_in_order(
    client: TestClient, commands: CommandService, store: EventStore, projector: Projector
) -> None:
    execution_id = UUID(request(client, "core.noop")["id"])
    for command in (
        m.ScheduleExecution(execution_id=execution_id, pool="default", actor="scheduler", at=at(5)),
        m.ClaimExecution(execution_id=execution_id, worker="w1", actor="w1", at=at(6)),
        m.CompleteExecution(
            execution_id=execution_id,
            worker="w1",
            outcome="failed",
            error="boom",
            actor="w1",
            at=at(7),
        ),
    ):
        commands.execute(command)
    projector.catch_up(store)

    history = client.get(f"/api/v1/executions/{execution_id}/history").json()

    assert [(h["event"], h["status"], h["actor"]) for h in history] == [
        ("execution.requested", "requested", "admin"),
        ("execution.scheduled", "scheduled", "scheduler"),
        ("execution.claimed", "running", "w1"),
        ("execution.failed", "failed", "w1"),
    ]
    assert [h["details"] for h in history[1:]] == [
        {"pool": "default"},
        {"worker": "w1"},
        {"error": "boom"},
    ]
    assert [h["position"] for h in history] == sorted(h["position"] for h in history)
    assert history[-1]["occurred_at"] == "2024-05-01T12:00:07Z"


def test_a_run_not_started_is_canceled_at_once_and_a_second_cancel_is_a_409(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    accepted = request(client, "core.echo", message="hello")

    canceled = client.delete(f"/api/v1/executions/{accepted['id']}")
    assert canceled.status_code == 202, canceled.text
    assert canceled.json()["status"] == "canceled"
    assert canceled.json()["position"] == store.position()
    projector.catch_up(store)
    execution = client.get(f"/api/v1/executions/{accepted['id']}").json()
    assert execution["status"] == "canceled" and execution["error"].startswith("canceled by ")
    before = store.position()
    again = client.delete(f"/api/v1/executions/{accepted['id']}")
    assert again.status_code == 409
    assert "has already ended: it is canceled" in again.json()["detail"]
    assert store.position() == before


def test_canceling_an_unknown_run_is_a_404(client: TestClient) -> None:
    response = client.delete("/api/v1/executions/019b0000-0000-7000-8000-00000000dead")
    assert response.status_code == 404
