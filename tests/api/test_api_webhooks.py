"""Webhooks: POST /api/v1/webhooks/{name} (core.webhook) and POST /api/v1/webhooks (any
trigger type), with a credential or a signature; refused calls store nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from typing import Any

import pytest
from api_harness import at
from fastapi.testclient import TestClient

from attune.api.app import MAX_BODY_BYTES, create_app
from attune.api.dependencies import ApiServices
from attune.api.webhooks import WebhookLookups
from attune.commands import models as m
from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.keystore import KeyScope
from attune.domain.parameters import ParameterSpec
from attune.projections.projector import Projector

SECRET = "github-signing-secret-2718"

WEBHOOK = TriggerTypeDefinition(
    ref="core.webhook",
    pack="core",
    name="webhook",
    parameters={"url": ParameterSpec(type="string", required=True)},
    payload={"headers": ParameterSpec(type="object"), "body": ParameterSpec(type="any")},
)
DEPLOY = TriggerTypeDefinition(
    ref="ops.deployed",
    pack="ops",
    name="deployed",
    parameters={"env": ParameterSpec(type="string", enum=["prod", "test"])},
    payload={
        "version": ParameterSpec(type="string", required=True),
        "replicas": ParameterSpec(type="integer"),
    },
)


def rule(name: str, trigger: str, **fields: Any) -> RuleDefinition:
    return RuleDefinition(
        ref=f"ops.{name}",
        pack="ops",
        name=name,
        trigger=trigger,
        action="core.echo",
        action_params={"message": "hi"},
        **fields,
    )


@pytest.fixture(autouse=True)
def catalog(commands: CommandService, store: EventStore, projector: Projector) -> None:
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="ops"), actor="l", at=at(0)),
        m.RegisterTriggerType(definition=WEBHOOK, actor="l", at=at(0)),
        m.RegisterTriggerType(definition=DEPLOY, actor="l", at=at(0)),
        m.RegisterRule(
            definition=rule("on_push", "core.webhook", trigger_params={"url": "github"}),
            actor="l",
            at=at(0),
        ),
        m.RegisterRule(
            definition=rule("on_alert", "core.webhook", trigger_params={"url": "alerts"}),
            actor="l",
            at=at(0),
        ),
        m.RegisterRule(
            definition=rule(
                "off", "core.webhook", trigger_params={"url": "disabled"}, enabled=False
            ),
            actor="l",
            at=at(0),
        ),
        SetKey(
            actor="l",
            at=at(0),
            name="webhook.github",
            scope=KeyScope.SYSTEM,
            value=SECRET,
            encrypt=True,
        ),
    ]:
        commands.execute(command)
    projector.catch_up(store)


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stored_event(
    client: TestClient, store: EventStore, projector: Projector, answer: Any
) -> dict[str, Any]:
    assert answer.status_code == 202, answer.text
    projector.catch_up(store)
    event = client.get(f"/api/v1/events/{answer.json()['id']}")
    assert event.status_code == 200, event.text
    found: dict[str, Any] = event.json()
    return found


def test_a_named_webhook_fires_core_webhook_with_headers_and_the_parsed_body(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    answer = client.post(
        "/api/v1/webhooks/github",
        json={"ref": "refs/heads/main", "commits": 3},
        headers={"X-GitHub-Event": "push", "Cookie": "session=s3cr3t"},
    )
    event = stored_event(client, store, projector, answer)

    assert (event["trigger"], event["trigger_params"]) == ("core.webhook", {"url": "github"})
    assert event["payload"]["body"] == {"ref": "refs/heads/main", "commits": 3}
    headers = event["payload"]["headers"]
    assert headers["x-github-event"] == "push"
    assert headers["content-type"] == "application/json"
    assert "authorization" not in headers and "cookie" not in headers


def test_a_correct_signature_stands_for_a_credential(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    body = b'{"action": "opened"}'
    anonymous = TestClient(client.app)
    answer = anonymous.post(
        "/api/v1/webhooks/github",
        content=body,
        headers={"Content-Type": "application/json", "X-Attune-Signature": signed(body)},
    )
    event = stored_event(client, store, projector, answer)
    assert event["payload"]["body"] == {"action": "opened"}
    assert "x-attune-signature" not in event["payload"]["headers"]


@pytest.mark.parametrize(
    ("name", "signature"),
    [
        ("github", signed(b"another body")),  # not this body's
        ("github", signed(b'{"a": 1}', "another secret")),
        ("github", "sha256=zz"),
        ("github", "md5=abc"),
        ("alerts", signed(b'{"a": 1}')),  # a webhook without a secret
    ],
)
def test_a_bad_signature_is_401_and_stores_nothing(
    client: TestClient, store: EventStore, name: str, signature: str
) -> None:
    before = store.position()
    answer = TestClient(client.app).post(
        f"/api/v1/webhooks/{name}",
        content=b'{"a": 1}',
        headers={"Content-Type": "application/json", "X-Attune-Signature": signature},
    )
    assert answer.status_code == 401, answer.text
    assert answer.json()["detail"] == "the signature does not match the body"
    assert store.position() == before


def test_no_credential_and_no_signature_is_401(client: TestClient, store: EventStore) -> None:
    before = store.position()
    answer = TestClient(client.app).post("/api/v1/webhooks/github", json={"a": 1})
    assert answer.status_code == 401 and store.position() == before


@pytest.mark.parametrize("name", ["nobody", "disabled"])
def test_a_webhook_no_enabled_rule_listens_to_is_404(
    client: TestClient, store: EventStore, name: str
) -> None:
    before = store.position()
    answer = client.post(f"/api/v1/webhooks/{name}", json={})
    assert answer.status_code == 404 and name in answer.json()["detail"]
    assert store.position() == before


@pytest.mark.parametrize(
    ("content_type", "body", "parsed"),
    [
        (
            "application/x-www-form-urlencoded",
            b"a=1&b=x&b=y&c=",
            {"a": "1", "b": ["x", "y"], "c": ""},
        ),
        ("text/plain; charset=utf-8", "déployé".encode(), "déployé"),
        (None, b"plain", "plain"),
        ("application/vnd.api+json", b"[1, 2]", [1, 2]),
        ("application/json", b"", None),
    ],
)
def test_bodies_are_parsed_by_their_content_type(
    client: TestClient,
    store: EventStore,
    projector: Projector,
    content_type: str | None,
    body: bytes,
    parsed: Any,
) -> None:
    headers = {} if content_type is None else {"Content-Type": content_type}
    answer = client.post("/api/v1/webhooks/alerts", content=body, headers=headers)
    assert stored_event(client, store, projector, answer)["payload"]["body"] == parsed


@pytest.mark.parametrize(
    ("content_type", "body", "problem"),
    [
        ("application/json", b'{"a": ', "is not valid application/json"),
        ("application/json", b'{"a": NaN}', "NaN is not a JSON number"),
        ("application/json", b'{"a": "\\u0000"}', "NUL"),
        ("text/plain", b"\xff\xfe", "is not UTF-8 text"),
    ],
)
def test_a_body_that_cannot_be_read_or_stored_is_422(
    client: TestClient, store: EventStore, content_type: str, body: bytes, problem: str
) -> None:
    before = store.position()
    answer = client.post(
        "/api/v1/webhooks/alerts", content=body, headers={"Content-Type": content_type}
    )
    assert answer.status_code == 422, answer.text
    [refusal] = answer.json()["detail"]
    assert refusal["parameter"].startswith("body") and problem in refusal["message"]
    assert store.position() == before


def test_an_oversized_body_is_413_and_stores_nothing(client: TestClient, store: EventStore) -> None:
    before = store.position()
    answer = client.post("/api/v1/webhooks/alerts", content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.status_code == 413 and store.position() == before


def test_headers_of_the_setting_are_dropped_too(
    services: ApiServices, admin_key: str, store: EventStore, projector: Projector
) -> None:
    dropping = replace(services, webhook_dropped_headers=frozenset({"x-internal-token"}))
    with TestClient(create_app(dropping)) as client:
        client.headers["Authorization"] = f"Bearer {admin_key}"
        answer = client.post(
            "/api/v1/webhooks/alerts",
            json={},
            headers={"X-Internal-Token": "t0k", "X-Api-Key": "k3y", "X-Kept": "yes"},
        )
        headers = stored_event(client, store, projector, answer)["payload"]["headers"]
    assert headers["x-kept"] == "yes"
    assert not {"x-internal-token", "x-api-key", "authorization"} & set(headers)


def test_the_generic_webhook_fires_any_trigger_type_with_a_payload_that_fits(
    client: TestClient, store: EventStore, projector: Projector
) -> None:
    answer = client.post(
        "/api/v1/webhooks",
        json={
            "trigger": "ops.deployed",
            "trigger_params": {"env": "prod"},
            "payload": {"version": "1.4.2", "replicas": 3, "by": "ci"},  # `by`: undeclared
        },
    )
    event = stored_event(client, store, projector, answer)
    assert (event["trigger"], event["trigger_params"]) == ("ops.deployed", {"env": "prod"})
    assert event["payload"] == {"version": "1.4.2", "replicas": 3, "by": "ci"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"trigger": "ops.deployed", "payload": {"replicas": 3}}, ["payload.version"]),
        (
            {"trigger": "ops.deployed", "payload": {"version": 1, "replicas": "3"}},
            ["payload.version", "payload.replicas"],
        ),
        (
            {
                "trigger": "ops.deployed",
                "trigger_params": {"env": "dev"},
                "payload": {"version": "1"},
            },
            ["trigger_params.env"],
        ),
        ({"trigger": "ops.deployed", "payload": {"version": "\u0000"}}, ["payload.version"]),
    ],
)
def test_a_generic_payload_that_does_not_fit_is_422_naming_the_field(
    client: TestClient, store: EventStore, body: dict[str, Any], fields: list[str]
) -> None:
    before = store.position()
    answer = client.post(
        "/api/v1/webhooks",
        content=json.dumps(body),
        headers={"Content-Type": "application/json"},  # (json=: httpx refuses the NUL)
    )
    assert answer.status_code == 422, answer.text
    assert [p["parameter"] for p in answer.json()["detail"]] == fields
    assert store.position() == before


def test_the_generic_webhook_needs_a_known_type_and_a_credential(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    unknown = client.post("/api/v1/webhooks", json={"trigger": "ops.nosuch", "payload": {}})
    assert unknown.status_code == 404 and "ops.nosuch" in unknown.text
    body = json.dumps({"trigger": "ops.deployed", "payload": {"version": "1"}}).encode()
    signed_only = TestClient(client.app).post(
        "/api/v1/webhooks",
        content=body,
        headers={"Content-Type": "application/json", "X-Attune-Signature": signed(body)},
    )
    assert signed_only.status_code == 401
    assert store.position() == before


def test_a_webhook_whose_rule_was_just_created_is_found_at_once(
    client: TestClient, commands: CommandService, store: EventStore, projector: Projector
) -> None:
    assert client.post("/api/v1/webhooks/later", json={}).status_code == 404
    commands.execute(
        m.RegisterRule(
            definition=rule("later", "core.webhook", trigger_params={"url": "later"}),
            actor="l",
            at=at(1),
        )
    )
    projector.catch_up(store)
    assert client.post("/api/v1/webhooks/later", json={}).status_code == 202


def test_a_replaced_secret_applies_once_the_remembered_one_expires(
    client: TestClient,
    commands: CommandService,
    store: EventStore,
    projector: Projector,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(WebhookLookups, "REMEMBERED", 0.0)
    body = b"{}"
    headers = {"Content-Type": "application/json"}
    anonymous = TestClient(client.app)
    sent = anonymous.post(
        "/api/v1/webhooks/github",
        content=body,
        headers=headers | {"X-Attune-Signature": signed(body)},
    )
    assert sent.status_code == 202
    commands.execute(
        SetKey(actor="l", at=at(1), name="webhook.github", scope=KeyScope.SYSTEM, value="rotated")
    )
    projector.catch_up(store)
    for secret, status in ((SECRET, 401), ("rotated", 202)):
        answer = anonymous.post(
            "/api/v1/webhooks/github",
            content=body,
            headers=headers | {"X-Attune-Signature": signed(body, secret)},
        )
        assert answer.status_code == status, answer.text
