"""Listing packs, actions, trigger types, rules, trigger events and enforcements."""

from __future__ import annotations

from uuid import UUID

import pytest
from api_harness import at
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.ids import new_runtime_id
from attune.projections.projector import Projector

HOOK = UUID("018f3000-0000-7000-8000-0000000000e1")
TICK = UUID("018f3000-0000-7000-8000-0000000000e2")


def rule(ref: str, trigger: str, enabled: bool = True) -> RuleDefinition:
    pack, name = ref.split(".")
    return RuleDefinition(
        ref=ref,
        pack=pack,
        name=name,
        trigger=trigger,
        action="core.echo",
        action_params={"message": "fired"},
        enabled=enabled,
    )


@pytest.fixture(autouse=True)
def catalog(commands: CommandService, store: EventStore, projector: Projector) -> None:
    """Packs core and ops, two trigger types, three rules, two firings, two enforcements."""
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="core", label="Core"), actor="l", at=at(0)),
        m.RegisterPack(definition=PackDefinition(ref="ops"), actor="l", at=at(0)),
        *[
            m.RegisterTriggerType(
                definition=TriggerTypeDefinition(ref=ref, pack="core", name=ref.split(".")[1]),
                actor="l",
                at=at(0),
            )
            for ref in ("core.webhook", "core.interval")
        ],
        m.RegisterRule(definition=rule("ops.on_hook", "core.webhook"), actor="l", at=at(0)),
        m.RegisterRule(definition=rule("ops.on_tick", "core.interval"), actor="l", at=at(0)),
        m.RegisterRule(
            definition=rule("core.old", "core.webhook", enabled=False), actor="l", at=at(0)
        ),
        m.FireTrigger(trigger_event_id=HOOK, trigger="core.webhook", actor="s", at=at(10)),
        m.FireTrigger(trigger_event_id=TICK, trigger="core.interval", actor="s", at=at(20)),
        m.CreateEnforcement(
            enforcement_id=new_runtime_id(at(10), bytes(10)),
            rule="ops.on_hook",
            trigger_event_id=HOOK,
            trigger="core.webhook",
            action="core.echo",
            config={},
            actor="re",
            at=at(10),
        ),
        m.CreateEnforcement(
            enforcement_id=new_runtime_id(at(20), bytes(10)),
            rule="ops.on_tick",
            trigger_event_id=TICK,
            trigger="core.interval",
            action="core.echo",
            config={},
            actor="re",
            at=at(20),
        ),
    ]:
        commands.execute(command)
    projector.catch_up(store)


def listed(client: TestClient, path: str, key: str, /, **params: object) -> list[str]:
    """The `key` field of each item the list route answers, in its order."""
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return [item[key] for item in response.json()["items"]]


def test_packs_actions_and_trigger_types_sort_by_ref_and_filter_by_pack(
    client: TestClient,
) -> None:
    assert listed(client, "/api/v1/packs", "ref") == ["core", "ops"]
    assert listed(client, "/api/v1/actions", "ref", pack="core") == [
        "core.echo",
        "core.login",
        "core.noop",
    ]
    assert listed(client, "/api/v1/actions", "ref", pack="ops") == []
    assert listed(client, "/api/v1/triggers", "ref") == ["core.interval", "core.webhook"]
    pack = client.get("/api/v1/packs").json()["items"][0]
    assert (pack["label"], pack["definition"]["ref"]) == ("Core", "core")


def test_an_action_is_read_by_ref_with_its_parameter_schema(client: TestClient) -> None:
    action = client.get("/api/v1/actions/core.echo").json()
    missing = client.get("/api/v1/actions/core.nope")

    assert (action["ref"], action["runner_type"], action["enabled"]) == ("core.echo", "noop", True)
    assert action["parameters"]["message"]["required"] is True
    assert action["parameters"]["token"]["secret"] is True
    assert missing.status_code == 404
    assert missing.json() == {"detail": "unknown action 'core.nope'"}


def test_rules_filter_by_pack_trigger_action_and_enabled(client: TestClient) -> None:
    def rules(**params: object) -> list[str]:
        return listed(client, "/api/v1/rules", "ref", **params)

    assert rules(pack="ops") == ["ops.on_hook", "ops.on_tick"]
    assert rules(trigger="core.webhook") == ["core.old", "ops.on_hook"]
    assert rules(enabled=False) == ["core.old"]
    assert rules(action="core.echo", limit=1, offset=2) == ["ops.on_tick"]


def test_trigger_events_are_newest_first_and_filter_by_trigger_and_time(
    client: TestClient,
) -> None:
    def triggers(**params: object) -> list[str]:
        return listed(client, "/api/v1/events", "trigger", **params)

    assert triggers() == ["core.interval", "core.webhook"]
    assert triggers(trigger="core.webhook") == ["core.webhook"]
    assert triggers(until="2024-05-01T12:00:20Z") == ["core.webhook"]
    assert triggers(since="2024-05-01T12:00:20Z") == ["core.interval"]


def test_enforcements_are_newest_first_and_filter_by_rule_and_status(client: TestClient) -> None:
    def rules(**params: object) -> list[str]:
        return listed(client, "/api/v1/enforcements", "rule", **params)

    assert rules() == ["ops.on_tick", "ops.on_hook"]
    assert rules(rule="ops.on_hook") == ["ops.on_hook"]
    assert rules(status="created") == ["ops.on_tick", "ops.on_hook"]
    assert rules(status="processed") == []
    assert client.get("/api/v1/enforcements", params={"status": "done"}).status_code == 422
