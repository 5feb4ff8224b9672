"""Hardening: one caller's bad request fails only itself, and the contract holds."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from attune.api.request_body import RequestBody
from attune.commands.store import EventStore


def as_json(body: Any) -> dict[str, Any]:
    """A request's JSON with every non-ASCII character escaped, as a client may send it
    (httpx would encode the lone surrogate itself, and fail)."""
    return {"content": json.dumps(body), "headers": {"Content-Type": "application/json"}}


def test_a_lone_surrogate_is_refused_alone_and_its_neighbours_are_accepted(
    client: TestClient, store: EventStore
) -> None:
    def request(i: int) -> tuple[int, int, object]:
        message = "a\udc00b" if i % 20 == 7 else f"run {i}"
        body = {"action": "core.echo", "parameters": {"message": message}}
        answer = client.post("/api/v1/executions", **as_json(body))
        return i, answer.status_code, answer.json()

    before = store.position()
    with ThreadPoolExecutor(max_workers=42) as pool:
        answers = list(pool.map(request, range(42)))

    bad = [(status, body) for i, status, body in answers if i % 20 == 7]
    assert [status for status, _ in bad] == [422, 422]
    assert all(body["detail"][0]["parameter"] == "parameters.message" for _, body in bad)  # type: ignore[index]
    assert all("surrogate" in body["detail"][0]["message"] for _, body in bad)  # type: ignore[index]
    assert [status for i, status, _ in answers if i % 20 != 7] == [202] * 40
    assert store.position() == before + 40


def test_a_lone_surrogate_in_a_key_is_refused_without_echoing_it(client: TestClient) -> None:
    answer = client.put("/api/v1/keys/system/db", **as_json({"value": {"a\ud800": 1}}))
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["parameter"] == "value"


def test_every_request_body_refuses_what_cannot_be_stored(client: TestClient) -> None:
    bodies = [
        route.body_field.field_info.annotation  # type: ignore[union-attr]
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.body_field is not None
    ]
    assert bodies and all(issubclass(body, RequestBody) for body in bodies), bodies
