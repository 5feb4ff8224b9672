"""What-if (POST /api/v1/rules/what-if): the stored trigger events a rule would have
matched in a time window, and the parameters it would have rendered; nothing is executed
or written.

The rule is a registered one or a definition given here (as for the rule tester). The
events are read from the read model by the rule's trigger type and time, oldest first, a
batch per call: an answer with a `next` cursor is continued by asking again with
`after: <next>` (`attune replay rules` does, drawing a progress bar from `total`). The
decisions are `attune.streams.what_if`'s, at each event's own time.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Connection

from attune.api.access import Caller, requires
from attune.api.dependencies import Services
from attune.api.errors import Message, Problems
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.request_body import RequestBody, invalid
from attune.api.rule_tests import RuleRef, action_of, given_rule, pack_config, serve_post_only
from attune.api.time_range import IsoDateTime
from attune.domain.definitions import FROM_LOG, RuleDefinition
from attune.projections import queries
from attune.streams.what_if import StoredEvent, would_have_matched

router = APIRouter(route_class=ProjectionRoute, tags=["rules"])

DEFAULT_BATCH = 10_000
MAX_BATCH = 100_000
_CURSOR = "a `next` cursor of an earlier answer"


class WhatIfRequest(RequestBody):
    rule: RuleRef | dict[str, Any] = Field(
        description="A registered rule's ref, or a rule definition as in a pack's rule file.",
        examples=["examples.hello_world"],
    )
    since: IsoDateTime = Field(description="The window's start (events at or after it).")
    until: IsoDateTime | None = Field(
        default=None, description="The window's end (events before it); default: now."
    )
    after: str | None = Field(
        default=None,
        max_length=100,
        description=f"Continue after the last event examined: {_CURSOR}.",
    )
    batch: int = Field(
        default=DEFAULT_BATCH,
        ge=1,
        le=MAX_BATCH,
        description="The most trigger events examined by this call.",
    )

    @field_validator("after")
    @classmethod
    def _a_cursor(cls, after: str | None) -> str | None:
        if after is not None:
            cursor_position(after)
        return after


def cursor_position(cursor: str) -> tuple[datetime, UUID]:
    """The event a cursor stands for: its time and id (``<occurred_at>/<id>``)."""
    at, _, event_id = cursor.rpartition("/")
    try:
        return datetime.fromisoformat(at), UUID(event_id)
    except ValueError:
        raise ValueError(f"must be {_CURSOR}") from None


def cursor_of(row: dict[str, Any]) -> str:
    return f"{row['occurred_at'].isoformat()}/{row['id']}"


class MatchedEvent(BaseModel):
    id: UUID
    trigger_params: dict[str, Any]
    occurred_at: datetime


class WhatIfMatch(BaseModel):
    event: MatchedEvent
    parameters: dict[str, Any] | None = Field(
        description="The action parameters the enforcement would have carried; secret ones "
        "and keystore references as ********; null if it would have failed."
    )
    parameters_error: str | None = Field(
        description="Why the enforcement would have failed: a parameter that does not "
        "render or fit the action."
    )


class WhatIfResult(BaseModel):
    rule: str = Field(description="The rule's ref.")
    trigger: str = Field(description="The trigger type whose events were examined.")
    type: str = Field(description="standard or backstop")
    since: datetime
    until: datetime
    total: int = Field(description="Trigger events of the trigger type in the window.")
    examined: int = Field(description="Trigger events examined by this call.")
    matched: list[WhatIfMatch] = Field(description="Those the rule would have matched.")
    next: str | None = Field(
        description="Ask again with `after` set to this to examine the next batch; null "
        "when the window is done."
    )


def _enforced_by_standard(connection: Connection, rule: RuleDefinition) -> Any:
    """Which of some events a standard rule other than `rule` enforced (a rule no longer
    registered counts as standard: backstop rules are the exception)."""
    kinds: dict[str, str] = {}

    def kind_of(ref: str) -> str:
        if ref not in kinds:
            row = queries.get_rule(connection, ref)
            definition = (
                None
                if row is None
                else RuleDefinition.model_validate(row["definition"], context=FROM_LOG)
            )
            kinds[ref] = "standard" if definition is None else definition.type
        return kinds[ref]

    def enforced(event_ids: Collection[UUID]) -> set[UUID]:
        return {
            UUID(event_id)
            for event_id, ref in queries.enforcing_rules(connection, event_ids)
            if ref != rule.ref and kind_of(ref) == "standard"
        }

    return enforced


@router.post(
    "/rules/what-if",
    responses={
        404: {"model": Message, "description": "Unknown rule"},
        422: {"model": Problems, "description": "Invalid rule or request fields"},
    },
)
def what_if(
    body: WhatIfRequest,
    connection: ReadConnection,
    services: Services,
    caller: Annotated[Caller, requires("rule:read")],
) -> WhatIfResult:
    """The stored trigger events a rule would have matched in a window, with the
    parameters it would have rendered, a batch at a time; executes and writes nothing."""
    until = body.until or services.clock()
    if until <= body.since:
        raise invalid("body", "until", "must be after since")
    limits = services.expression_limits
    rule = given_rule(connection, body.rule, caller, limits)
    if not caller.may("event:read", rule.trigger.partition(".")[0]):
        raise HTTPException(403, f"{caller.login} lacks the permission event:read")
    after = None if body.after is None else cursor_position(body.after)
    rows = queries.events_in_order(
        connection, rule.trigger, body.since, until, after=after, limit=body.batch
    )
    events = [
        StoredEvent(
            UUID(row["id"]),
            row["trigger"],
            row["trigger_params"],
            row["payload"],
            row["occurred_at"],
        )
        for row in rows
    ]
    found = would_have_matched(
        rule,
        events,
        action_of(connection, rule),
        limits,
        _enforced_by_standard(connection, rule),
        pack_config(connection, rule),
    )
    return WhatIfResult.model_validate(
        {
            "rule": rule.ref,
            "trigger": rule.trigger,
            "type": rule.type,
            "since": body.since,
            "until": until,
            "total": queries.count_events(connection, rule.trigger, body.since, until),
            "examined": len(rows),
            "matched": [match.as_json() for match in found],
            "next": cursor_of(rows[-1]) if len(rows) == body.batch else None,
        }
    )


serve_post_only(router, "/rules/what-if")
