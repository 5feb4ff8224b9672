"""Listing executions: filters, newest-first order and pagination."""

from __future__ import annotations

from uuid import UUID

import pytest
from api_harness import at
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.projections.projector import Projector


@pytest.fixture
def ids(client: TestClient, commands: CommandService, store: EventStore, projector: Projector):
    """Five echo runs (the first two scheduled) then two noop runs, one second apart."""
    ids = []
    for action in ["core.echo"] * 5 + ["core.noop"] * 2:
        body = {"action": action, "parameters": {"message": "m"} if action == "core.echo" else {}}
        ids.append(client.post("/api/v1/executions", json=body).json()["id"])
    for execution_id in ids[:2]:
        commands.execute(
            m.ScheduleExecution(execution_id=UUID(execution_id), pool="p", actor="s", at=at(60))
        )
    projector.catch_up(store)
    return ids


def listed(client: TestClient, **params: object) -> dict:
    response = client.get("/api/v1/executions", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_newest_first_with_total_limit_and_offset(client: TestClient, ids: list[str]) -> None:
    page = listed(client, limit=2, offset=2)

    assert [item["id"] for item in page["items"]] == [ids[4], ids[3]]
    assert (page["total"], page["limit"], page["offset"]) == (7, 2, 2)
    assert listed(client)["limit"] == 50


def test_filters_by_status_and_action(client: TestClient, ids: list[str]) -> None:
    scheduled = listed(client, status="scheduled")
    noop = listed(client, action="core.noop")

    assert {item["id"] for item in scheduled["items"]} == set(ids[:2])
    assert scheduled["total"] == 2
    assert [item["id"] for item in noop["items"]] == [ids[6], ids[5]]


def test_filters_by_creation_time(client: TestClient, ids: list[str]) -> None:
    # The API's clock ticks one second per request, starting one second after T0.
    window = listed(client, since="2024-05-01T12:00:02Z", until="2024-05-01T12:00:04Z")
    naive_means_utc = listed(client, since="2024-05-01T12:00:07")

    assert [item["id"] for item in window["items"]] == [ids[2], ids[1]]
    assert [item["id"] for item in naive_means_utc["items"]] == [ids[6]]


def test_filters_by_rule(
    client: TestClient, commands: CommandService, store: EventStore, projector: Projector
) -> None:
    by_rule = UUID("018f3000-0000-7000-8000-0000000000aa")
    commands.execute(
        m.RequestExecution(
            execution_id=by_rule, action="core.noop", rule="core.on_hook", actor="re", at=at(1)
        )
    )
    client.post("/api/v1/executions", json={"action": "core.noop"})
    projector.catch_up(store)

    page = listed(client, rule="core.on_hook")

    assert [(item["id"], item["rule"]) for item in page["items"]] == [
        (str(by_rule), "core.on_hook")
    ]


def test_an_unknown_status_is_a_422_naming_the_value(client: TestClient) -> None:
    response = client.get("/api/v1/executions", params={"status": "finished"})

    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["parameter"] == "status"
    assert "'finished'" in problem["message"] and "succeeded" in problem["message"]


def test_a_page_larger_than_1000_is_refused(client: TestClient) -> None:
    response = client.get("/api/v1/executions", params={"limit": 1001})

    assert response.status_code == 422
    assert response.json()["detail"][0]["parameter"] == "limit"
