"""Hardening: one caller's bad request fails only itself, and the contract holds."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from attune.api import dependencies
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
    assert bodies and all(
        isinstance(body, type) and issubclass(body, RequestBody) for body in bodies
    ), bodies


def _operations(client: TestClient) -> list[tuple[str, str, dict[str, Any]]]:
    paths = client.get("/openapi.json").json()["paths"]
    return [(path, method, op) for path, ops in paths.items() for method, op in ops.items()]


def test_an_offset_a_database_cannot_hold_is_a_422_on_every_list(client: TestClient) -> None:
    lists = [
        path
        for path, method, op in _operations(client)
        if method == "get" and any(p["name"] == "offset" for p in op.get("parameters", []))
    ]
    params = {"owner": "core"}  # pack keys are listed per pack
    assert len(lists) >= 9
    for path in lists:
        too_far = client.get(path, params={**params, "offset": 2**63})
        farthest = client.get(path, params={**params, "offset": 2**63 - 1})
        assert too_far.status_code == 422, (path, too_far.text)
        assert [p["parameter"] for p in too_far.json()["detail"]] == ["offset"]
        assert farthest.status_code == 200, (path, farthest.text)
        assert farthest.json()["items"] == []


def test_every_integer_in_a_request_has_bounds(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    unbounded = [
        (path, p["name"])
        for path, _, op in _operations(client)
        for p in op.get("parameters", [])
        for schema in [p["schema"], *p["schema"].get("anyOf", [])]
        if schema.get("type") == "integer" and "maximum" not in schema
    ]
    bodies = [
        schema["$ref"].rpartition("/")[2]
        for _, _, op in _operations(client)
        if "requestBody" in op
        # (a named webhook's body is any JSON or text, read by the route: no model)
        for schema in [op["requestBody"]["content"]["application/json"]["schema"]]
        if "$ref" in schema
    ]
    unbounded += [
        (body, field)
        for body in bodies
        for field, schema in document["components"]["schemas"][body]["properties"].items()
        for option in [schema, *schema.get("anyOf", [])]
        if option.get("type") == "integer" and "maximum" not in option
    ]
    assert unbounded == []


def test_a_key_ttl_too_long_for_a_date_is_a_422(client: TestClient) -> None:
    answer = client.put("/api/v1/keys/system/db", json={"value": "x", "ttl": 10**30})
    assert answer.status_code == 422
    assert [p["parameter"] for p in answer.json()["detail"]] == ["ttl"]


def test_a_method_a_path_does_not_serve_is_answered_with_every_method_it_does(
    client: TestClient,
) -> None:
    for method in ("OPTIONS", "PATCH"):
        answer = client.request(method, "/api/v1/executions")
        assert answer.status_code == 405
        assert answer.headers["Allow"] == "GET, POST"
    key = client.options("/api/v1/keys/system/db")
    assert key.headers["Allow"] == "DELETE, GET, PUT"
    assert "is not served here" in key.json()["detail"]


def test_a_key_body_takes_json_booleans_and_numbers_only(client: TestClient) -> None:
    for body in ({"value": "x", "encrypted": 0}, {"value": "x", "ttl": "60"}):
        answer = client.put("/api/v1/keys/system/db", json=body)
        assert answer.status_code == 422, body


def test_every_operation_documents_the_answers_its_dependencies_may_give(
    client: TestClient,
) -> None:
    for path, method, op in _operations(client):
        documented = set(op["responses"])
        if path not in ("/health", "/auth/v1/login", "/auth/v1/refresh"):
            assert "401" in documented, (method, path)
        if op.get("parameters"):
            assert "422" in documented, (method, path)
        if "requestBody" in op:
            assert {"413", "422"} <= documented, (method, path)
            if "$ref" in op["requestBody"]["content"]["application/json"]["schema"]:
                assert "400" in documented, (method, path)  # a model's body FastAPI parses
        if any(p["name"] == "position" for p in op.get("parameters", [])):
            assert {"429", "503"} <= documented, (method, path)
        for status, response in op["responses"].items():
            assert "application/json" in response.get("content", {}) or status == "204", (
                method,
                path,
                status,
            )


def test_a_key_set_with_a_short_ttl_is_answered_as_set(
    client: TestClient, live_projection: None
) -> None:
    """The test clock ticks a second per reading: the key has expired when its row is read."""
    answer = client.put("/api/v1/keys/system/brief", json={"value": "x", "ttl": 1})
    assert answer.status_code == 200, answer.text
    assert answer.json()["expires_at"] is not None
    assert client.get("/api/v1/keys/system/brief").status_code == 404  # expired since


def test_a_write_is_answered_from_the_store_while_reads_lag_behind(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No projection follows the store here: each write's wait for its reads times out,
    and its answer still shows what it wrote (a loaded machine, or a concurrent delete of
    the same key, once turned a key just set into a 404)."""
    monkeypatch.setattr(dependencies, "VISIBLE_WITHIN", 0.05)

    key = client.put("/api/v1/keys/system/lagging", json={"value": {"a": 1}, "encrypted": False})
    secret = client.put("/api/v1/keys/system/hidden", json={"value": "pw", "encrypted": True})
    identity = client.post(
        "/api/v1/identities",
        json={"login": "ops", "kind": "service", "roles": ["operator", "operator"]},
    )
    api_key = client.post("/api/v1/apikeys", json={"name": "ci", "login": "ops"})

    assert (key.status_code, key.json()["value"], key.json()["owner"]) == (200, {"a": 1}, None)
    assert (secret.json()["value"], secret.json()["encrypted"]) == ("********", True)
    assert identity.status_code == 201, identity.text
    assert (identity.json()["roles"], identity.json()["enabled"]) == (["operator"], True)
    assert api_key.status_code == 201, api_key.text
    assert (api_key.json()["login"], api_key.json()["revoked"]) == ("ops", False)
    assert api_key.json()["id"].replace("-", "") in api_key.json()["key"]  # shown once
    assert client.get("/api/v1/keys/system/lagging").status_code == 404  # not projected yet
