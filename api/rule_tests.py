"""The rule tester (POST /api/v1/rules/test): how a rule fares against a trigger event.

The rule is a registered one (its ref) or one given inline (a definition, validated as
registering it would be: its fields, templates, criteria and `when`, its trigger type and
action and their parameters; a 422 names the field as ``rule.<field>``). The event is a
stored trigger event (its id) or a trigger type and payload given here, taken to fire now.
Nothing is written: the answer is `attune.streams.rule_tester`'s, parameters masked.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import Connection
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from attune.api.access import Caller, requires
from attune.api.dependencies import Services
from attune.api.errors import Message, Problems
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.request_body import RequestBody, invalid
from attune.commands.errors import UnknownEntity
from attune.domain.definitions import (
    FROM_LOG,
    MAX_NAME,
    REF_PATTERN,
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
    registering,
)
from attune.domain.expressions import Limits
from attune.domain.ids import new_runtime_id
from attune.domain.rule_checks import rule_problems
from attune.projections import queries
from attune.streams.rule_tester import examine, trigger_event

router = APIRouter(route_class=ProjectionRoute, tags=["rules"])

RuleRef = Annotated[str, Field(pattern=REF_PATTERN, max_length=MAX_NAME)]
INLINE_PACK = "tester"  # the pack of an inline rule that names neither a ref nor a pack
INLINE_NAME = "test"


class RuleTestRequest(RequestBody):
    rule: RuleRef | dict[str, Any] = Field(
        description=(
            "A registered rule's ref, or a rule definition as in a pack's rule file "
            "(`ref`, `pack` and `name` may be left out)."
        ),
        examples=["examples.hello_world"],
    )
    event: UUID | None = Field(
        default=None, description="A stored trigger event's id (or give `payload`)."
    )
    trigger: Annotated[str | None, Field(pattern=REF_PATTERN, max_length=MAX_NAME)] = Field(
        default=None, description="With `payload`: the trigger type fired (default: the rule's)."
    )
    trigger_params: dict[str, Any] | None = Field(
        default=None, description="With `payload`: the trigger's parameters (default: none)."
    )
    payload: dict[str, Any] | None = Field(
        default=None, description="A payload to test, as if the trigger fired now with it."
    )


class TestedEvent(BaseModel):
    id: UUID = Field(description="The stored event's id, or a new one for a given payload.")
    trigger: str
    trigger_params: dict[str, Any]
    occurred_at: datetime


class TriggerOutcome(BaseModel):
    expected: str = Field(description="The rule's trigger type.")
    got: str = Field(description="The event's trigger type.")
    params_expected: dict[str, Any] = Field(description="The rule's trigger_params.")
    params_got: dict[str, Any] = Field(description="The event's trigger parameters.")
    matched: bool


class CriterionResult(BaseModel):
    key: str
    operator: str = Field(description="The operator's canonical name.")
    found: bool = Field(description="Whether the key's path leads to a value.")
    value: Any = Field(description="The value found (null when not found).")
    pattern: Any = Field(description="The pattern, rendered if it is a template.")
    matched: bool
    error: str | None = Field(description="Why the criterion could not be evaluated.")


class WhenResult(BaseModel):
    expression: str
    value: Any = Field(description="The condition's value; its truthiness decides.")
    matched: bool
    error: str | None = Field(description="Why it could not be evaluated (no match).")


class RuleTestResult(BaseModel):
    rule: str = Field(description="The rule's ref.")
    enabled: bool
    type: str = Field(description="standard or backstop")
    action: str
    event: TestedEvent
    trigger: TriggerOutcome
    criteria: list[CriterionResult]
    when: WhenResult | None
    matched: bool = Field(description="Trigger type and parameters, criteria and when hold.")
    parameters: dict[str, Any] | None = Field(
        description="The rendered action parameters; secret ones and keystore references "
        "as ********; null if they do not render."
    )
    parameters_error: str | None = Field(
        description="Why the enforcement would fail: a parameter that does not render or "
        "fit the action."
    )
    notes: list[str]


def _definition(row: dict[str, Any] | None, kind: type[Any]) -> Any:
    return None if row is None else kind.model_validate(row["definition"], context=FROM_LOG)


def _inline_rule(connection: Connection, written: dict[str, Any], limits: Limits) -> RuleDefinition:
    """The inline rule, validated as registering it would be, or the 422 naming the field."""
    fields = dict(written)
    ref = fields.get("ref")
    if isinstance(ref, str) and "." in ref:
        pack, _, name = ref.partition(".")
        fields.setdefault("pack", pack)
        fields.setdefault("name", name)
    fields.setdefault("name", INLINE_NAME)
    fields.setdefault("pack", INLINE_PACK)
    fields.setdefault("ref", f"{fields['pack']}.{fields['name']}")
    try:
        rule = RuleDefinition.model_validate(fields, context=registering(limits))
    except ValidationError as error:
        raise RequestValidationError(
            [
                {
                    "type": "value_error",
                    "loc": ("body", "rule", *error_["loc"]),
                    "msg": error_["msg"],
                }
                for error_ in error.errors()
            ]
        ) from None
    trigger_type = _definition(
        queries.get_trigger_type(connection, rule.trigger), TriggerTypeDefinition
    )
    action = _definition(queries.get_action(connection, rule.action), ActionDefinition)
    pack = _definition(queries.get_pack(connection, rule.pack), PackDefinition)
    problems = rule_problems(rule, trigger_type, action, pack)
    if problems:
        raise RequestValidationError(
            [
                {"type": "value_error", "loc": ("body", "rule", *p.field), "msg": p.message}
                for p in problems
            ]
        )
    return rule


def _stored_rule(connection: Connection, ref: str, caller: Caller) -> RuleDefinition:
    row = queries.get_rule(connection, ref)
    if row is None or not caller.may("rule:read", row["pack"]):
        raise UnknownEntity("rule", ref)
    rule: RuleDefinition = _definition(row, RuleDefinition)
    return rule


def given_rule(
    connection: Connection, given: str | dict[str, Any], caller: Caller, limits: Limits
) -> RuleDefinition:
    """The rule a request names (a registered rule's ref) or gives (a definition,
    validated as registering it would be under `limits`: a 422 names the field as
    ``rule.<field>``)."""
    if isinstance(given, str):
        return _stored_rule(connection, given, caller)
    return _inline_rule(connection, given, limits)


def pack_config(connection: Connection, rule: RuleDefinition) -> dict[str, Any]:
    """The rule's pack's configuration as the rule engine holds it (secret values sealed)."""
    row = queries.get_pack_config(connection, rule.pack)
    return {} if row is None else dict(row["values"])


def action_of(connection: Connection, rule: RuleDefinition) -> ActionDefinition | None:
    """The rule's action as registered now, None if unknown."""
    action: ActionDefinition | None = _definition(
        queries.get_action(connection, rule.action), ActionDefinition
    )
    return action


@router.post(
    "/rules/test",
    responses={
        404: {"model": Message, "description": "Unknown rule or trigger event"},
        422: {"model": Problems, "description": "Invalid rule or request fields"},
    },
)
def test_rule(
    body: RuleTestRequest,
    connection: ReadConnection,
    services: Services,
    caller: Annotated[Caller, requires("rule:read")],
) -> RuleTestResult:
    """How a rule fares against a trigger event, criterion by criterion; writes nothing."""
    given_payload = body.payload is not None or body.trigger is not None
    if body.event is None and not given_payload:
        raise invalid("body", "event", "give a stored trigger event's id, or a payload")
    if body.event is not None and (given_payload or body.trigger_params is not None):
        raise invalid("body", "event", "give either a stored event or a payload, not both")
    limits = services.expression_limits
    rule = given_rule(connection, body.rule, caller, limits)
    if body.event is not None:
        row = queries.get_event(connection, body.event)
        if row is None or not caller.may("event:read", row["trigger"].partition(".")[0]):
            raise UnknownEntity("trigger event", body.event)
        fired = trigger_event(
            UUID(row["id"]),
            row["trigger"],
            row["trigger_params"],
            row["payload"],
            row["occurred_at"],
        )
    else:
        now = services.clock()
        fired = trigger_event(
            new_runtime_id(now, services.entropy(10)),
            body.trigger or rule.trigger,
            body.trigger_params or {},
            body.payload or {},
            now,
        )
    action = action_of(connection, rule)
    tested = examine(rule, fired, action, limits, pack_config(connection, rule))
    return RuleTestResult.model_validate(tested.as_json())


class _PostOnly:
    """Every other method on a POST-only path under /rules: a 405 naming POST. Without it,
    `GET /rules/test` would reach the route of `/rules/{ref}` (a 404 for the rule 'test').
    Routed before it, hidden from the OpenAPI document."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"{scope['method']} is not served here; this path serves POST"
        response = JSONResponse({"detail": detail}, status_code=405, headers={"Allow": "POST"})
        await response(scope, receive, send)


def serve_post_only(api: APIRouter, path: str) -> None:
    """Answer every method but POST on `path` with a 405 (see `_PostOnly`)."""
    api.routes.append(Route(path, _PostOnly(), include_in_schema=False))


serve_post_only(router, "/rules/test")
