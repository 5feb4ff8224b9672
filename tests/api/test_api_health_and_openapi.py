"""Health reports both positions; the OpenAPI document describes every route."""

from __future__ import annotations

from fastapi.testclient import TestClient

from attune.commands.store import EventStore
from attune.projections.projector import Projector


def test_health_reports_the_store_and_projection_positions(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    projected = projector.position()
    client.post("/api/v1/executions", json={"action": "core.noop"})
    lagging = client.get("/health").json()
    projector.catch_up(store)
    current = client.get("/health").json()

    written = store.position()
    assert lagging == {"status": "ok", "store_position": written, "projection_position": projected}
    assert projected < written
    assert current == {"status": "ok", "store_position": written, "projection_position": written}


def test_openapi_lists_every_route_with_named_operations(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()

    operations = {
        (method.upper(), path): operation["operationId"]
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    }
    assert operations == {
        ("GET", "/health"): "health",
        ("GET", "/api/v1/packs"): "list_packs",
        ("GET", "/api/v1/actions"): "list_actions",
        ("GET", "/api/v1/actions/{ref}"): "get_action",
        ("GET", "/api/v1/triggers"): "list_trigger_types",
        ("GET", "/api/v1/triggers/{ref}"): "get_trigger_type",
        ("GET", "/api/v1/rules"): "list_rules",
        ("GET", "/api/v1/rules/{ref}"): "get_rule",
        ("POST", "/api/v1/rules"): "create_rule",
        ("PUT", "/api/v1/rules/{ref}"): "replace_rule",
        ("DELETE", "/api/v1/rules/{ref}"): "delete_rule",
        ("POST", "/api/v1/rules/{ref}/enable"): "enable_rule",
        ("POST", "/api/v1/rules/{ref}/disable"): "disable_rule",
        ("POST", "/api/v1/rules/test"): "test_rule",
        ("POST", "/api/v1/rules/what-if"): "what_if",
        ("POST", "/api/v1/webhooks/{name}"): "send_webhook",
        ("POST", "/api/v1/webhooks"): "send_generic_webhook",
        ("GET", "/api/v1/packs/{ref}/config"): "get_pack_config",
        ("PUT", "/api/v1/packs/{ref}/config"): "set_pack_config",
        ("GET", "/api/v1/events"): "list_events",
        ("GET", "/api/v1/events/{event_id}"): "get_event",
        ("POST", "/api/v1/events/{event_id}/re-emit"): "re_emit_event",
        ("GET", "/api/v1/enforcements"): "list_enforcements",
        ("GET", "/api/v1/executions"): "list_executions",
        ("POST", "/api/v1/executions"): "request_execution",
        ("DELETE", "/api/v1/executions/{execution_id}"): "cancel_execution",
        ("GET", "/api/v1/executions/{execution_id}"): "get_execution",
        ("GET", "/api/v1/executions/{execution_id}/history"): "get_execution_history",
        ("POST", "/auth/v1/login"): "login",
        ("POST", "/auth/v1/refresh"): "refresh",
        ("POST", "/auth/v1/logout"): "logout",
        ("GET", "/api/v1/identities"): "list_identities",
        ("POST", "/api/v1/identities"): "create_identity",
        ("PUT", "/api/v1/identities/{login}/roles"): "set_roles",
        ("PUT", "/api/v1/identities/{login}/password"): "change_password",
        ("DELETE", "/api/v1/identities/{login}"): "disable_identity",
        ("GET", "/api/v1/roles"): "list_roles",
        ("PUT", "/api/v1/roles/{name}"): "define_role",
        ("GET", "/api/v1/apikeys"): "list_api_keys",
        ("POST", "/api/v1/apikeys"): "create_api_key",
        ("DELETE", "/api/v1/apikeys/{key_id}"): "revoke_api_key",
        ("GET", "/api/v1/audit"): "list_audit",
        ("GET", "/api/v1/keys"): "list_key_values",
        ("GET", "/api/v1/keys/{scope}/{name}"): "get_key_value",
        ("GET", "/api/v1/keys/{scope}/{name}/sealed"): "get_sealed_key",
        ("PUT", "/api/v1/keys/{scope}/{name}"): "set_key_value",
        ("DELETE", "/api/v1/keys/{scope}/{name}"): "delete_key_value",
    }
    assert client.get("/docs").status_code == 200
