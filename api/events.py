"""Trigger events, i.e. firings of triggers (GET /api/v1/events), newest first."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from attune.api.access import Caller, requires
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.time_range import Since, Until
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute, tags=["events"])


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
