"""The audit trail names actor, time and source; the API refuses what it should not take."""

from __future__ import annotations

from fastapi.testclient import TestClient

from attune.commands.store import EventStore
from attune.projections.projector import Projector


def test_the_audit_lists_who_did_what_from_where_including_decrypted_reads(
    client: TestClient, store: EventStore, projector: Projector, live_projection: None
) -> None:
    requested = client.post("/api/v1/executions", json={"action": "core.noop"}).json()
    client.put("/api/v1/keys/system/db", json={"value": "pw", "encrypted": True})
    projector.catch_up(store)
    shown = client.get("/api/v1/keys/system/db", params={"decrypt": "true"}).json()
    assert shown["value"] == "pw"
    projector.catch_up(store)

    entries = client.get("/api/v1/audit", params={"actor": "admin"}).json()["items"]
    by_event = {e["event"]: e for e in entries}
    assert by_event["execution.requested"]["aggregate_id"] == requested["id"]
    assert by_event["key.revealed"]["actor"] == "admin"
    assert all(e["source"] == "testclient" for e in by_event.values())
    assert entries == sorted(entries, key=lambda e: -e["position"])  # newest first
    only = client.get("/api/v1/audit", params={"event": "key.revealed"}).json()
    assert [e["event"] for e in only["items"]] == ["key.revealed"]


def test_no_cross_origin_access_is_granted(client: TestClient) -> None:
    answer = client.get("/api/v1/packs", headers={"Origin": "https://evil.example"})
    preflight = client.options(
        "/api/v1/executions",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert "access-control-allow-origin" not in answer.headers
    assert "access-control-allow-origin" not in preflight.headers


def test_an_oversized_body_is_refused_before_it_is_read(client: TestClient) -> None:
    huge = {"action": "core.noop", "parameters": {"blob": "x" * (2 * 1024 * 1024)}}
    answer = client.post("/api/v1/executions", json=huge)
    assert answer.status_code == 413 and "larger than 1048576 bytes" in answer.json()["detail"]


def test_error_bodies_carry_a_message_not_a_stack_trace(client: TestClient) -> None:
    answer = client.get("/api/v1/executions/not-a-uuid")
    assert answer.status_code == 422
    assert "Traceback" not in answer.text and 'File "' not in answer.text
    login = client.post("/auth/v1/login", json={"login": "admin", "password": "wrong-password"})
    assert login.status_code == 401 and login.json() == {"detail": "wrong login or password"}
