"""A read that passes a write's store position sees that write, or is told it cannot yet."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from attune.api.read_your_writes import MAX_WAITS_PER_CALLER, WaitLimit
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


def test_pending_waits_hold_no_thread_and_the_api_answers_others_meanwhile(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    """More waits than the thread pool has threads (40): none of them holds one."""
    client.app.state.wait_limit = WaitLimit(per_caller=100)  # type: ignore[attr-defined]
    position = client.post("/api/v1/executions", json={"action": "core.noop"}).json()["position"]
    params = {"position": position, "wait": 30}
    with ThreadPoolExecutor(max_workers=60) as pool:
        waits = [pool.submit(client.get, "/api/v1/packs", params=params) for _ in range(60)]
        while projector.watch.waiting() < 60:
            time.sleep(0.01)

        health = client.get("/health")
        packs = client.get("/api/v1/packs")
        executions = client.get("/api/v1/executions")

        still_waiting = sum(not w.done() for w in waits)
        projector.catch_up(store)
        answers = [w.result() for w in waits]
    assert (health.status_code, packs.status_code, executions.status_code) == (200, 200, 200)
    assert still_waiting == 60
    assert [a.status_code for a in answers] == [200] * 60


def test_a_caller_may_have_only_so_many_waits_pending(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    position = client.post("/api/v1/executions", json={"action": "core.noop"}).json()["position"]
    params = {"position": position, "wait": 30}
    with ThreadPoolExecutor(max_workers=MAX_WAITS_PER_CALLER) as pool:
        waits = [
            pool.submit(client.get, "/api/v1/executions", params=params)
            for _ in range(MAX_WAITS_PER_CALLER)
        ]
        while projector.watch.waiting() < MAX_WAITS_PER_CALLER:
            time.sleep(0.01)

        one_more = client.get("/api/v1/executions", params=params)

        projector.catch_up(store)
        answers = [w.result().status_code for w in waits]
    assert one_more.status_code == 429 and one_more.headers["Retry-After"] == "1"
    assert f"already has {MAX_WAITS_PER_CALLER} reads waiting" in one_more.json()["detail"]
    assert answers == [200] * MAX_WAITS_PER_CALLER


def test_a_position_beyond_the_stores_head_is_refused_at_once(
    client: TestClient, store: EventStore
) -> None:
    head = store.position()
    response = client.get("/api/v1/actions", params={"position": 10**12, "wait": 30})

    assert response.status_code == 422
    [problem] = response.json()["detail"]
    assert problem["parameter"] == "position"
    assert f"beyond the store's head, {head}" in problem["message"]


def test_an_invalid_parameter_is_answered_before_any_wait(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    position = client.post("/api/v1/executions", json={"action": "core.noop"}).json()["position"]

    response = client.get(
        "/api/v1/executions", params={"limit": -1, "position": position, "wait": 30}
    )
    unknown_status = client.get(
        "/api/v1/executions", params={"status": "nope", "position": position, "wait": 30}
    )

    assert (response.status_code, unknown_status.status_code) == (422, 422)
    assert [p["parameter"] for p in response.json()["detail"]] == ["limit"]
    assert [p["parameter"] for p in unknown_status.json()["detail"]] == ["status"]
