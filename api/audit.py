"""The audit trail (`/api/v1/audit`, admins): every domain event's actor, time and source."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from attune.api.access import Caller, requires
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.time_range import Since, Until
from attune.projections import security_queries as q

router = APIRouter(route_class=ProjectionRoute, tags=["audit"])


class AuditEntry(BaseModel):
    position: int
    event: str
    aggregate_type: str
    aggregate_id: UUID
    actor: str
    source: str | None
    occurred_at: datetime
    correlation_id: UUID | None


class AuditPage(Page[AuditEntry]):
    pass


@router.get("/audit")
def list_audit(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("audit:read")],
    actor: Annotated[str | None, Query(description="Only what this actor did.")] = None,
    event: Annotated[str | None, Query(description="Only events of this type.")] = None,
    aggregate_id: Annotated[UUID | None, Query(description="Only changes of this entity.")] = None,
    since: Since = None,
    until: Until = None,
) -> AuditPage:
    listing = q.list_audit(
        connection,
        actor=actor,
        event=event,
        aggregate_id=aggregate_id,
        since=since,
        until=until,
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(AuditPage, listing, window)
