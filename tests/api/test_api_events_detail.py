"""GET /api/v1/events/{id} (a trigger event with its enforcements) and its re-emit."""

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
QUIET = UUID("018f3000-0000-7000-8000-0000000000e2")
PAYLOAD = {"host": "db-1", "status": 503}
PAGED = new_runtime_id(at(10), bytes(10))
LOGGED = new_runtime_id(at(10), bytes([1] * 10))
EXECUTION = UUID("018f3000-0000-7000-8000-0000000000c1")


def rule(ref: str) -> RuleDefinition:
    pack, name = ref.split(".")
    return RuleDefinition(
        ref=ref,
        pack=pack,
        name=name,
        trigger="core.webhook",
        action="core.echo",
        action_params={"message": "fired"},
    )


def enforcement(enforcement_id: UUID, ref: str) -> m.CreateEnforcement:
    return m.CreateEnforcement(
        enforcement_id=enforcement_id,
        rule=ref,
        trigger_event_id=HOOK,
        trigger="core.webhook",
        action="core.echo",
        config={"message": "fired"},
        actor="re",
        at=at(10),
    )


@pytest.fixture(autouse=True)
def activity(commands: CommandService, store: EventStore, projector: Projector) -> None:
    """A firing that two rules enforced (one processed, one failed), and one none did."""
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="ops"), actor="l", at=at(0)),
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(ref="core.webhook", pack="core", name="webhook"),
            actor="l",
            at=at(0),
        ),
        m.RegisterRule(definition=rule("ops.page"), actor="l", at=at(0)),
        m.RegisterRule(definition=rule("ops.log"), actor="l", at=at(0)),
        m.FireTrigger(
            trigger_event_id=HOOK,
            trigger="core.webhook",
            trigger_params={"url": "alerts"},
            payload=PAYLOAD,
            actor="s",
            at=at(10),
        ),
        m.FireTrigger(trigger_event_id=QUIET, trigger="core.webhook", actor="s", at=at(20)),
        enforcement(PAGED, "ops.page"),
        enforcement(LOGGED, "ops.log"),
        m.MarkEnforcementProcessed(
            enforcement_id=PAGED, execution_id=EXECUTION, actor="re", at=at(11)
        ),
        m.FailEnforcement(enforcement_id=LOGGED, reason="the disk is full", actor="re", at=at(11)),
    ]:
        commands.execute(command)
    projector.catch_up(store)


def test_an_event_shows_the_enforcements_it_caused(client: TestClient) -> None:
    event = client.get(f"/api/v1/events/{HOOK}").json()
    quiet = client.get(f"/api/v1/events/{QUIET}").json()

    assert (event["id"], event["trigger"], event["payload"]) == (
        str(HOOK),
        "core.webhook",
        PAYLOAD,
    )
    assert event["trigger_params"] == {"url": "alerts"}
    shown = {
        e["rule"]: (e["status"], e["execution_id"], e["reason"]) for e in event["enforcements"]
    }
    assert shown == {
        "ops.page": ("processed", str(EXECUTION), None),
        "ops.log": ("failed", None, "the disk is full"),
    }
    assert quiet["enforcements"] == [] and quiet["payload"] == {}


def test_an_unknown_event_is_a_404(client: TestClient) -> None:
    missing = client.get(f"/api/v1/events/{UUID(int=5)}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": f"unknown trigger event '{UUID(int=5)}'"}
    assert client.post(f"/api/v1/events/{UUID(int=5)}/re-emit").status_code == 404


def test_re_emit_fires_the_same_trigger_and_payload_as_a_new_event(
    client: TestClient, live_projection: None
) -> None:
    response = client.post(f"/api/v1/events/{HOOK}/re-emit")
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["id"] != str(HOOK) and accepted["position"] > 0

    again = client.get(
        f"/api/v1/events/{accepted['id']}", params={"position": accepted["position"]}
    )
    assert again.status_code == 200, again.text
    event = again.json()
    assert (event["trigger"], event["trigger_params"], event["payload"]) == (
        "core.webhook",
        {"url": "alerts"},
        PAYLOAD,
    )
    assert event["correlation_id"] == accepted["id"] and event["enforcements"] == []
    listed = client.get("/api/v1/events", params={"position": accepted["position"]}).json()
    assert listed["total"] == 3 and accepted["id"] in {e["id"] for e in listed["items"]}
