"""Writing rules through the API: create, read, replace, enable/disable, delete; refusals
name the field at fault; a rule its pack's files define is enabled or disabled only."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from api_harness import T0
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.access import GrantSpec, RoleDefinition
from attune.domain.configuration import Rule
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.events import AttuneEvent
from attune.domain.identity import IdentityKind
from attune.infra.security.credentials import LocalCredentials
from attune.projections.projector import Projector

RULE: dict[str, Any] = {
    "pack": "ops",
    "name": "page",
    "description": "page on a hook",
    "trigger": "core.webhook",
    "criteria": {"trigger.body.level": {"type": "equals", "pattern": "error"}},
    "action": "core.echo",
    "action_params": {"message": "{{ trigger.body.text }}"},
}


@pytest.fixture(autouse=True)
def catalog(
    commands: CommandService, store: EventStore, projector: Projector, live_projection: None
) -> None:
    """A webhook trigger type and pack `ops`, whose files define the rule ops.from_file."""
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="core"), actor="l", at=T0),
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(ref="core.webhook", pack="core", name="webhook"),
            actor="l",
            at=T0,
        ),
        m.RegisterRule(
            definition=RuleDefinition(
                ref="ops.from_file",
                pack="ops",
                name="from_file",
                trigger="core.webhook",
                action="core.noop",
            ),
            actor="l",
            at=T0,
        ),
        m.RegisterPack(
            definition=PackDefinition(ref="ops"), rules=["ops.from_file"], actor="l", at=T0
        ),
    ]:
        commands.execute(command)
    projector.catch_up(store)


def events_of(store: EventStore, ref: str) -> list[AttuneEvent]:
    rule_id = Rule.id_for(ref)
    return [e for _, e in store.read(after=0, limit=10_000) if e.originator_id == rule_id]


def key_of(
    commands: CommandService, credentials: LocalCredentials, login: str, roles: list[str], n: int
) -> str:
    """An API key of a new user with these roles."""
    commands.execute(
        m.CreateIdentity(actor="t", at=T0, login=login, kind=IdentityKind.SERVICE, roles=roles)
    )
    key_id = UUID(int=(0x019B << 112) | (7 << 76) | (0x2000 + n))
    key, secret_hash = credentials.new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="t", at=T0, key_id=key_id, login=login, name="t", secret_hash=secret_hash
        )
    )
    return key


def test_a_rule_is_created_read_replaced_and_deleted(client: TestClient, store: EventStore) -> None:
    created = client.post("/api/v1/rules", json=RULE)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["ref"] == "ops.page" and rule["enabled"] is True
    assert rule["definition"]["criteria"]["trigger.body.level"]["pattern"] == "error"
    assert client.get("/api/v1/rules/ops.page").json()["definition"] == rule["definition"]
    assert [e.actor for e in events_of(store, "ops.page")] == ["admin"]

    again = client.post("/api/v1/rules", json={**RULE, "description": "other"})
    assert again.status_code == 409 and "ops.page" in again.json()["detail"]

    body = {k: v for k, v in RULE.items() if k not in ("pack", "name")}
    replaced = client.put("/api/v1/rules/ops.page", json={**body, "description": "replaced"})
    assert replaced.status_code == 200, replaced.text
    assert replaced.json()["description"] == "replaced"
    assert client.get("/api/v1/rules/ops.page").json()["description"] == "replaced"

    deleted = client.delete("/api/v1/rules/ops.page")
    assert deleted.status_code == 204, deleted.text
    assert client.get("/api/v1/rules/ops.page").status_code == 404
    assert "ops.page" not in [r["ref"] for r in client.get("/api/v1/rules").json()["items"]]
    last = events_of(store, "ops.page")[-1]
    assert isinstance(last, Rule.Unregistered)
    assert last.reason == "deleted by admin" and last.actor == "admin"
    assert client.delete("/api/v1/rules/ops.page").status_code == 404
    assert client.put("/api/v1/rules/ops.page", json=body).status_code == 404

    # a deleted rule's ref may be taken again
    assert client.post("/api/v1/rules", json={**body, "ref": "ops.page"}).status_code == 201


def test_enable_and_disable_record_a_change_only_when_there_is_one(
    client: TestClient, store: EventStore
) -> None:
    assert client.post("/api/v1/rules", json=RULE).status_code == 201
    disabled = client.post("/api/v1/rules/ops.page/disable")
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    assert client.get("/api/v1/rules/ops.page").json()["enabled"] is False
    assert client.post("/api/v1/rules/ops.page/disable").json()["enabled"] is False
    assert client.post("/api/v1/rules/ops.page/enable").json()["enabled"] is True

    updates = [e for e in events_of(store, "ops.page") if isinstance(e, Rule.Updated)]
    assert [u.definition["enabled"] for u in updates] == [False, True]
    assert {u.actor for u in updates} == {"admin"}
    assert client.post("/api/v1/rules/ops.nosuch/enable").status_code == 404


def test_a_pack_rule_may_be_disabled_but_not_replaced_or_deleted(client: TestClient) -> None:
    assert client.post("/api/v1/rules/ops.from_file/disable").json()["enabled"] is False

    body = {"trigger": "core.webhook", "action": "core.noop"}
    for refused in (
        client.put("/api/v1/rules/ops.from_file", json=body),
        client.delete("/api/v1/rules/ops.from_file"),
    ):
        assert refused.status_code == 409, refused.text
        detail = refused.json()["detail"]
        assert "pack 'ops'" in detail and "file" in detail
    assert client.get("/api/v1/rules/ops.from_file").status_code == 200


def test_unknown_rules_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/rules/ops.nosuch").status_code == 404
    answer = client.delete("/api/v1/rules/ops.nosuch")
    assert answer.status_code == 404 and "ops.nosuch" in answer.json()["detail"]


def problems(answer: Any) -> dict[str, str]:
    assert answer.status_code == 422, answer.text
    return {p["parameter"]: p["message"] for p in answer.json()["detail"]}


def test_a_bad_body_is_a_422_naming_each_field(client: TestClient) -> None:
    found = problems(
        client.post("/api/v1/rules", json={**RULE, "when": "((", "colour": "red", "enabled": 3})
    )
    assert set(found) == {"when", "colour", "enabled"}

    assert set(problems(client.post("/api/v1/rules", json={"trigger": "core.webhook"}))) >= {
        "action"
    }
    assert "ref" in problems(
        client.post("/api/v1/rules", json={k: v for k, v in RULE.items() if k != "name"})
    )
    assert "pack" in problems(client.post("/api/v1/rules", json={**RULE, "ref": "dev.page"}))
    mismatch = problems(client.put("/api/v1/rules/ops.page", json={**RULE, "ref": "ops.other"}))
    assert "ops.other" in mismatch["ref"]


def test_a_rule_that_does_not_fit_the_catalogue_is_a_422_per_field(client: TestClient) -> None:
    found = problems(
        client.post(
            "/api/v1/rules",
            json={**RULE, "trigger": "core.nosuch", "action": "core.nosuch"},
        )
    )
    assert found == {
        "trigger": "unknown trigger type 'core.nosuch'",
        "action": "unknown action 'core.nosuch'",
    }
    found = problems(
        client.post(
            "/api/v1/rules",
            json={**RULE, "action": "core.login", "action_params": {"cmd": 5, "nope": 1}},
        )
    )
    assert set(found) == {"action_params.cmd", "action_params.nope"}
    assert client.get("/api/v1/rules/ops.page").status_code == 404


def test_writing_needs_rule_write_for_the_rules_pack(
    client: TestClient,
    commands: CommandService,
    credentials: LocalCredentials,
    store: EventStore,
    projector: Projector,
) -> None:
    commands.execute(
        m.DefineRole(
            actor="t",
            at=T0,
            definition=RoleDefinition(
                ref="ops-editor",
                grants=[
                    GrantSpec(permission="rule:write", packs=["ops"]),
                    GrantSpec(permission="rule:read"),
                ],
            ),
        )
    )
    viewer = key_of(commands, credentials, "viewer", ["observer"], 1)
    editor = key_of(commands, credentials, "editor", ["ops-editor"], 2)
    projector.catch_up(store)

    def as_(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    refused = client.post("/api/v1/rules", json=RULE, headers=as_(viewer))
    assert refused.status_code == 403 and "rule:write" in refused.json()["detail"]
    assert (
        client.post("/api/v1/rules/ops.from_file/disable", headers=as_(viewer)).status_code == 403
    )
    assert client.get("/api/v1/rules/ops.from_file", headers=as_(viewer)).status_code == 200

    assert client.post("/api/v1/rules", json=RULE, headers=as_(editor)).status_code == 201
    other = client.post("/api/v1/rules", json={**RULE, "pack": "dev"}, headers=as_(editor))
    assert other.status_code == 403 and "pack dev" in other.json()["detail"]
    assert events_of(store, "ops.page")[0].actor == "editor"
