"""Enforcements, i.e. rules activated by trigger events (GET /api/v1/enforcements)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel

from attune.api.access import Caller, requires
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.domain.enforcement import EnforcementStatus
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute, tags=["enforcements"])


class Enforcement(BaseModel):
    id: UUID
    rule: str
    trigger_event_id: UUID
    trigger: str
    action: str
    config: dict[str, Any] | None
    status: EnforcementStatus
    execution_id: UUID | None
    reason: str | None
    created_at: datetime
    resolved_at: datetime | None


class EnforcementPage(Page[Enforcement]):
    pass


@router.get("/enforcements")
def list_enforcements(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("enforcement:read")],
    rule: Annotated[str | None, Query(description="Only enforcements of this rule.")] = None,
    status: Annotated[EnforcementStatus | None, Query(description="Only in this status.")] = None,
) -> EnforcementPage:
    listing = queries.list_enforcements(
        connection,
        rule=rule,
        packs=caller.packs_for("enforcement:read"),
        status=None if status is None else status.value,
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(EnforcementPage, listing, window)
