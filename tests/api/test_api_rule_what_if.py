"""POST /api/v1/rules/what-if: the stored events a rule would have matched in a window."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from api_harness import at
from fastapi.testclient import TestClient

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.access import GrantSpec, RoleDefinition
from attune.domain.criteria import Condition
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.expressions import Limits
from attune.domain.identity import IdentityKind
from attune.domain.secrets import MASK
from attune.projections.projector import Projector

HOSTS = ["db-1", "web-1", "db-2", "web-2", "db-3", "other"]

DB = RuleDefinition(
    ref="ops.db",
    pack="ops",
    name="db",
    trigger="core.webhook",
    criteria={"trigger.host": Condition(type="startswith", pattern="db-")},
    action="core.echo",
    action_params={"message": "{{ trigger.host }} at {{ system.timestamp }}", "token": "t"},
)


def event_id(n: int) -> UUID:
    return UUID(f"018f3000-0000-7000-8000-{n:012x}")


@pytest.fixture(autouse=True)
def catalog(commands: CommandService, store: EventStore, projector: Projector) -> None:
    commands.execute(m.RegisterPack(definition=PackDefinition(ref="ops"), actor="l", at=at(0)))
    commands.execute(
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(ref="core.webhook", pack="core", name="webhook"),
            actor="l",
            at=at(0),
        )
    )
    commands.execute(m.RegisterRule(definition=DB, actor="l", at=at(0)))
    for n, host in enumerate(HOSTS):  # one a minute from 12:01
        commands.execute(
            m.FireTrigger(
                trigger_event_id=event_id(n),
                trigger="core.webhook",
                payload={"host": host},
                actor="s",
                at=at(60 * (n + 1)),
            )
        )
    projector.catch_up(store)


def what_if(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/rules/what-if", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def matched_hosts(answer: dict[str, Any]) -> list[str]:
    return [m["parameters"]["message"].split(" ")[0] for m in answer["matched"]]


WINDOW = {"since": at(0).isoformat(), "until": at(3600).isoformat()}


def test_a_registered_rule_reports_the_events_it_would_have_matched_oldest_first(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    answer = what_if(client, rule="ops.db", **WINDOW)

    assert (answer["rule"], answer["trigger"], answer["type"]) == (
        "ops.db",
        "core.webhook",
        "standard",
    )
    assert (answer["total"], answer["examined"], answer["next"]) == (6, 6, None)
    assert matched_hosts(answer) == ["db-1", "db-2", "db-3"]
    first = answer["matched"][0]
    assert first["event"]["id"] == str(event_id(0))
    assert first["parameters"] == {
        "message": f"db-1 at {at(60).isoformat()}",  # the event's own time
        "token": MASK,
    }
    assert store.position() == before  # nothing written, nothing executed


def test_the_window_bounds_the_events_examined(client: TestClient) -> None:
    answer = what_if(client, rule="ops.db", since=at(120).isoformat(), until=at(300).isoformat())
    assert (answer["total"], answer["examined"]) == (3, 3)  # 12:02, 12:03, 12:04
    assert matched_hosts(answer) == ["db-2"]


def test_batches_continue_from_the_cursor_until_the_window_is_done(client: TestClient) -> None:
    seen: list[str] = []
    answer = what_if(client, rule="ops.db", batch=4, **WINDOW)
    assert (answer["examined"], answer["total"]) == (4, 6) and answer["next"]
    seen += matched_hosts(answer)
    answer = what_if(client, rule="ops.db", batch=4, after=answer["next"], **WINDOW)
    assert (answer["examined"], answer["next"]) == (2, None)
    seen += matched_hosts(answer)
    assert seen == ["db-1", "db-2", "db-3"]


def test_an_unsaved_rule_is_evaluated_as_given(client: TestClient) -> None:
    rule = {
        "trigger": "core.webhook",
        "when": '"web" in trigger.host',
        "action": "core.echo",
        "action_params": {"message": "{{ trigger.host }}"},
    }
    answer = what_if(client, rule=rule, **WINDOW)
    assert answer["rule"] == "tester.test"
    assert [m["parameters"]["message"] for m in answer["matched"]] == ["web-1", "web-2"]


def test_a_backstop_rule_leaves_out_the_events_a_standard_rule_enforced(
    client: TestClient, commands: CommandService, store: EventStore, projector: Projector
) -> None:
    for n in (0, 2):  # as the live engine did for db-1 and db-2 (ops.db matched them)
        commands.execute(
            m.CreateEnforcement(
                enforcement_id=event_id(100 + n),
                rule="ops.db",
                trigger_event_id=event_id(n),
                trigger="core.webhook",
                action="core.echo",
                config={"message": "m"},
                actor="rule_engine",
                at=at(60 * (n + 1)),
            )
        )
    projector.catch_up(store)
    backstop = {
        "trigger": "core.webhook",
        "type": "backstop",
        "action": "core.echo",
        "action_params": {"message": "{{ trigger.host }}"},
    }
    answer = what_if(client, rule=backstop, **WINDOW)
    assert [m["parameters"]["message"] for m in answer["matched"]] == [
        "web-1",
        "web-2",
        "db-3",
        "other",
    ]


def test_parameters_that_would_fail_are_reported(client: TestClient) -> None:
    rule = {
        "trigger": "core.webhook",
        "action": "core.echo",
        "action_params": {"message": "{{ trigger.missing }}"},
    }
    answer = what_if(client, rule=rule, **WINDOW)
    assert len(answer["matched"]) == 6
    assert answer["matched"][0]["parameters"] is None
    assert "action_params.message" in answer["matched"][0]["parameters_error"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rule": "ops.db", "since": at(60).isoformat(), "until": at(0).isoformat()}, "until"),
        ({"rule": "ops.db", "since": "yesterday"}, "since"),
        ({"rule": "ops.db", "since": at(0).isoformat(), "after": "not a cursor"}, "after"),
        ({"rule": "ops.db", "since": at(0).isoformat(), "batch": 0}, "batch"),
        ({"rule": {"trigger": "core.nothing", "action": "core.echo"}, **WINDOW}, "trigger"),
    ],
)
def test_bad_requests_are_422_naming_the_field(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    response = client.post("/api/v1/rules/what-if", json=body)
    assert response.status_code == 422, response.text
    assert field in str([problem["parameter"] for problem in response.json()["detail"]])


def test_an_unknown_rule_is_404_and_other_methods_are_405(client: TestClient) -> None:
    response = client.post("/api/v1/rules/what-if", json={"rule": "ops.nope", **WINDOW})
    assert response.status_code == 404 and "ops.nope" in response.text
    refused = client.get("/api/v1/rules/what-if")
    assert refused.status_code == 405 and refused.headers["allow"] == "POST"


def test_a_caller_who_may_not_read_the_events_is_refused(
    client: TestClient, commands: CommandService, store: EventStore, projector: Projector
) -> None:
    commands.execute(
        m.DefineRole(
            actor="t",
            at=at(0),
            definition=RoleDefinition(
                ref="rule-reader", grants=[GrantSpec(permission="rule:read")]
            ),
        )
    )
    commands.execute(
        m.CreateIdentity(
            actor="t",
            at=at(0),
            login="rules-only",
            kind=IdentityKind.SERVICE,
            roles=["rule-reader"],
        )
    )
    projector.catch_up(store)
    key = client.post("/api/v1/apikeys", json={"name": "k", "login": "rules-only"}).json()["key"]
    projector.catch_up(store)
    response = client.post(
        "/api/v1/rules/what-if",
        json={"rule": "ops.db", **WINDOW},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 403 and "event:read" in response.text


def test_the_rule_engines_expression_bounds_apply(services: ApiServices, admin_key: str) -> None:
    """What-if decides under the bounds the rule engine runs with (the setting
    `expression_limits`), not the defaults: a `when` that takes more steps than they allow
    fails, so matches nothing."""
    rule = {"trigger": "core.webhook", "when": '"db" in trigger.host', "action": "core.noop"}
    bounded = replace(services, expression_limits=Limits(max_steps=2))
    with TestClient(create_app(bounded)) as client:
        client.headers["Authorization"] = f"Bearer {admin_key}"
        assert what_if(client, rule=rule, **WINDOW)["matched"] == []
    with TestClient(create_app(services)) as client:
        client.headers["Authorization"] = f"Bearer {admin_key}"
        assert len(what_if(client, rule=rule, **WINDOW)["matched"]) == 3
