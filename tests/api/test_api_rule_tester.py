"""POST /api/v1/rules/test: how a rule fares against a trigger event, writing nothing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import pytest
from api_harness import at
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.criteria import Condition
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.parameters import ParameterSpec
from attune.domain.secrets import MASK
from attune.projections.projector import Projector

OUTAGE = UUID("018f3000-0000-7000-8000-0000000000a1")
PAYLOAD = {"host": "db-1", "status": 503, "tags": ["prod"], "token": "s3cr3t-t0ken"}

PAGE = RuleDefinition(
    ref="ops.page",
    pack="ops",
    name="page",
    trigger="core.webhook",
    criteria={
        "trigger.status": Condition(type="gt", pattern=499),
        "trigger.host": Condition(type="startswith", pattern="{{ trigger.prefix }}"),
    },
    when='"prod" in trigger.tags',
    action="core.echo",
    action_params={
        "message": "{{ upper(trigger.host) }} answers {{ trigger.status }}",
        "count": "{{ trigger.status }}",
        "token": "{{ trigger.token }}",
    },
)


@pytest.fixture(autouse=True)
def catalog(commands: CommandService, store: EventStore, projector: Projector) -> None:
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="ops"), actor="l", at=at(0)),
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(
                ref="core.webhook",
                pack="core",
                name="webhook",
                parameters={"url": ParameterSpec(type="string")},
            ),
            actor="l",
            at=at(0),
        ),
        m.RegisterRule(definition=PAGE, actor="l", at=at(0)),
        m.FireTrigger(
            trigger_event_id=OUTAGE,
            trigger="core.webhook",
            payload=PAYLOAD | {"prefix": "db-"},
            actor="s",
            at=at(10),
        ),
    ]:
        commands.execute(command)
    projector.catch_up(store)


def outcome_of(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/rules/test", json=body)
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def inline(**fields: Any) -> dict[str, Any]:
    return {
        "trigger": "core.webhook",
        "action": "core.echo",
        "action_params": {"message": "hi"},
    } | (fields)


def test_a_registered_rule_against_a_stored_event_details_each_criterion_and_the_when(
    client: TestClient, store: EventStore
) -> None:
    before = store.position()
    answer = outcome_of(client, rule="ops.page", event=str(OUTAGE))

    assert answer["rule"] == "ops.page" and answer["matched"] is True
    assert answer["event"]["id"] == str(OUTAGE)
    assert answer["event"]["occurred_at"].startswith("2024-05-01T12:00:10")
    assert answer["trigger"]["matched"] is True
    assert answer["criteria"] == [
        {
            "key": "trigger.status",
            "operator": "greaterthan",
            "found": True,
            "value": 503,
            "pattern": 499,
            "matched": True,
            "error": None,
        },
        {
            "key": "trigger.host",
            "operator": "startswith",
            "found": True,
            "value": "db-1",
            "pattern": "db-",  # rendered
            "matched": True,
            "error": None,
        },
    ]
    assert answer["when"] == {
        "expression": '"prod" in trigger.tags',
        "value": True,
        "matched": True,
        "error": None,
    }
    assert answer["parameters"] == {"message": "DB-1 answers 503", "count": 503, "token": MASK}
    assert answer["parameters_error"] is None
    assert store.position() == before  # nothing written


def test_a_payload_given_is_tested_as_if_the_trigger_fired_now(client: TestClient) -> None:
    answer = outcome_of(
        client,
        rule="ops.page",
        payload={"host": "web-1", "status": 200, "tags": [], "token": "t-1-2-3"},
    )

    assert answer["matched"] is False
    status, host = answer["criteria"]
    assert (status["value"], status["matched"], status["error"]) == (200, False, None)
    assert host["matched"] is False and "does not render" in host["error"]  # no prefix
    assert answer["when"]["value"] is False and answer["when"]["matched"] is False
    assert answer["parameters"]["message"] == "WEB-1 answers 200"
    assert answer["parameters"]["token"] == MASK
    # token is rendered from a field this payload lacks: the enforcement would fail.
    failed = outcome_of(client, rule="ops.page", payload={"host": "x"})
    assert failed["parameters"] is None
    assert "action_params." in failed["parameters_error"]


def test_another_trigger_type_or_other_trigger_params_do_not_match(client: TestClient) -> None:
    other = outcome_of(client, rule="ops.page", trigger="core.interval", payload=PAYLOAD)
    assert other["trigger"]["expected"] == "core.webhook" and other["trigger"]["got"] == (
        "core.interval"
    )
    assert other["trigger"]["matched"] is False and other["matched"] is False

    rule = inline(trigger_params={"url": "alerts"})
    wrong = outcome_of(client, rule=rule, payload={}, trigger_params={"url": "other"})
    right = outcome_of(client, rule=rule, payload={}, trigger_params={"url": "alerts"})
    assert (wrong["matched"], right["matched"]) == (False, True)


def test_an_inline_rule_masks_keystore_references_and_reports_a_failing_when(
    client: TestClient,
) -> None:
    rule = inline(
        name="motd",
        criteria={"trigger.missing": {"type": "nexists"}},
        when="trigger.count > 3",
        action_params={"message": "{{ keystore.motd }}", "count": 2},
    )
    answer = outcome_of(client, rule=rule, event=str(OUTAGE))

    assert answer["rule"] == "tester.motd"
    assert answer["criteria"][0]["found"] is False and answer["criteria"][0]["matched"] is True
    assert answer["when"]["matched"] is False and answer["when"]["error"]
    assert answer["matched"] is False
    assert answer["parameters"] == {"message": MASK, "count": 2}


def test_parameters_that_do_not_fit_the_action_are_reported(client: TestClient) -> None:
    answer = outcome_of(
        client,
        rule=inline(action_params={"message": "hi", "count": "{{ trigger.host }}"}),
        event=str(OUTAGE),
    )
    assert answer["parameters"] == {"message": "hi", "count": "db-1"}
    assert "count" in answer["parameters_error"] and "integer" in answer["parameters_error"]


def test_a_bad_inline_rule_is_a_422_naming_the_field(client: TestClient) -> None:
    def problems(rule: dict[str, Any]) -> list[str]:
        response = client.post("/api/v1/rules/test", json={"rule": rule, "payload": {}})
        assert response.status_code == 422, response.text
        return [p["parameter"] for p in response.json()["detail"]]

    assert problems(inline(criteria={"trigger.x": {"type": "nope", "pattern": 1}})) == [
        "rule.criteria"
    ]
    assert problems(inline(when="trigger.x >")) == ["rule.when"]
    assert problems(inline(action="core.nope")) == ["rule.action"]
    assert sorted(problems(inline(action_params={"count": "many"}))) == [
        "rule.action_params.count",
        "rule.action_params.message",
    ]
    assert problems({"action": "core.echo"}) == ["rule.trigger"]


def test_unknown_rules_and_events_are_404_and_the_request_must_name_one_event(
    client: TestClient,
) -> None:
    unknown_event = client.post(
        "/api/v1/rules/test", json={"rule": "ops.page", "event": str(UUID(int=7))}
    )
    unknown_rule = client.post("/api/v1/rules/test", json={"rule": "ops.nope", "payload": {}})
    neither = client.post("/api/v1/rules/test", json={"rule": "ops.page"})
    both = client.post(
        "/api/v1/rules/test", json={"rule": "ops.page", "event": str(OUTAGE), "payload": {}}
    )

    assert unknown_event.status_code == 404
    assert unknown_event.json() == {"detail": f"unknown trigger event '{UUID(int=7)}'"}
    assert unknown_rule.status_code == 404
    assert unknown_rule.json() == {"detail": "unknown rule 'ops.nope'"}
    assert [p["parameter"] for p in neither.json()["detail"]] == ["event"]
    assert both.status_code == 422


def test_the_tester_path_serves_post_only(client: TestClient) -> None:
    for method in ("GET", "PUT", "DELETE", "PATCH", "OPTIONS"):
        response = client.request(method, "/api/v1/rules/test")
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "POST"
    assert client.get("/api/v1/rules/ops.page").status_code == 200  # other rules still served
