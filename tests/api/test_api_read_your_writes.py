"""A read that passes a write's store position sees that write, or is told it cannot yet."""

from __future__ import annotations

import threading
import time

from fastapi.testclient import TestClient

from attune.commands.store import EventStore
from attune.projections.projector import Projector


def test_a_read_waits_until_the_projection_reaches_the_position(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    accepted = client.post("/api/v1/executions", json={"action": "core.noop"}).json()
    threading.Timer(0.3, projector.catch_up, args=(store,)).start()

    started = time.monotonic()
    response = client.get(
        f"/api/v1/executions/{accepted['id']}", params={"position": accepted["position"]}
    )

    assert response.status_code == 200
    assert response.json()["id"] == accepted["id"]
    assert time.monotonic() - started >= 0.25


def test_a_read_whose_position_is_not_reached_in_time_is_a_503_naming_both_positions(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    projector.catch_up(store)
    behind = projector.position()
    position = client.post("/api/v1/executions", json={"action": "core.noop"}).json()["position"]

    response = client.get("/api/v1/executions", params={"position": position, "wait": 0.1})

    assert response.status_code == 503
    detail = response.json()["detail"]
    assert f"at position {behind}," in detail and f"position {position}," in detail


def test_a_read_without_a_position_answers_at_once_from_what_is_projected(
    client: TestClient,
) -> None:
    client.post("/api/v1/executions", json={"action": "core.noop"})

    page = client.get("/api/v1/executions").json()

    assert (page["items"], page["total"]) == ([], 0)
