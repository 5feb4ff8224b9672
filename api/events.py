"""Trigger events, i.e. firings of triggers: the list (GET /api/v1/events, newest first),
one with the enforcements it caused (GET /api/v1/events/{event_id}), and re-emitting one
(POST /api/v1/events/{event_id}/re-emit): the same trigger type, trigger parameters and
payload fired again as a new trigger event, which the rules then see as any other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Connection

from attune.api.access import Caller, cause_of, requires
from attune.api.dependencies import Services
from attune.api.errors import Message, Responses
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.time_range import Since, Until
from attune.commands.errors import UnknownEntity
from attune.commands.models import FireTrigger
from attune.domain.enforcement import EnforcementStatus
from attune.domain.ids import new_runtime_id
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute, tags=["events"])

EventId = Annotated[UUID, Path(description="The trigger event's id.")]
_UNKNOWN: Responses = {404: {"model": Message, "description": "Unknown trigger event"}}


class TriggerEvent(BaseModel):
    id: UUID
    trigger: str
    trigger_params: dict[str, Any]
    payload: dict[str, Any]
    occurred_at: datetime
    correlation_id: UUID | None


class TriggerEventPage(Page[TriggerEvent]):
    pass


@router.get("/events")
def list_events(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("event:read")],
    trigger: Annotated[str | None, Query(description="Only firings of this trigger type.")] = None,
    since: Since = None,
    until: Until = None,
) -> TriggerEventPage:
    listing = queries.list_events(
        connection,
        trigger=trigger,
        packs=caller.packs_for("event:read"),
        since=since,
        until=until,
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(TriggerEventPage, listing, window)


class EventEnforcement(BaseModel):
    """An enforcement the event caused: which rule, what became of it."""

    id: UUID
    rule: str
    action: str
    status: EnforcementStatus
    execution_id: UUID | None = Field(description="The execution it requested, if any.")
    reason: str | None = Field(description="Why it failed or was disabled.")
    created_at: datetime
    resolved_at: datetime | None


class TriggerEventDetail(TriggerEvent):
    enforcements: list[EventEnforcement] = Field(
        description="The enforcements it caused (of the rules the caller may see), oldest first."
    )


class ReEmitted(BaseModel):
    id: UUID = Field(description="The new trigger event's id.")
    position: int = Field(description="The store position of the firing; pass it to reads.")


def _visible_event(connection: Connection, event_id: UUID, caller: Caller) -> dict[str, Any]:
    row = queries.get_event(connection, event_id)
    if row is None or not caller.may("event:read", _pack_of(row["trigger"])):
        raise UnknownEntity("trigger event", event_id)
    return row


def _pack_of(ref: str) -> str:
    return ref.partition(".")[0]


@router.get("/events/{event_id}", responses=_UNKNOWN)
def get_event(
    connection: ReadConnection,
    event_id: EventId,
    caller: Annotated[Caller, requires("event:read")],
) -> TriggerEventDetail:
    """One trigger event with the enforcements it caused."""
    row = _visible_event(connection, event_id, caller)
    enforcements = queries.enforcements_of_event(
        connection, event_id, packs=caller.packs_for("enforcement:read")
    )
    return TriggerEventDetail.model_validate(row | {"enforcements": enforcements})


@router.post("/events/{event_id}/re-emit", status_code=202, responses=_UNKNOWN)
def re_emit_event(
    connection: ReadConnection,
    event_id: EventId,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("event:write")],
) -> ReEmitted:
    """Fire the event's trigger type again with the same parameters and payload, as a new
    trigger event (its own id, correlation and enforcements)."""
    row = _visible_event(connection, event_id, caller)
    if not caller.may("event:write", _pack_of(row["trigger"])):
        raise HTTPException(403, f"{caller.login} may not emit {row['trigger']}")
    cause = cause_of(caller, request, services)
    new_id = new_runtime_id(cause["at"], services.entropy(10))
    position = services.commands.execute(
        FireTrigger(
            **cause,
            correlation_id=new_id,
            trigger_event_id=new_id,
            trigger=row["trigger"],
            trigger_params=row["trigger_params"],
            payload=row["payload"],
        )
    )
    return ReEmitted(id=new_id, position=position)
