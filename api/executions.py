"""Executions: request one (POST), list them, read one and its history (GET), cancel one
(DELETE).

A request is applied to the store synchronously: the answer is the outcome (202 with the
new id and store position, or a 4xx naming what is wrong). Parameters are shown with every
secret masked.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel, Field, field_validator

from attune.api.access import Caller, cause_of, may_see_execution, requires
from attune.api.dependencies import Services
from attune.api.errors import Message, Problems, Responses
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.request_body import RequestBody
from attune.api.time_range import Since, Until
from attune.commands.errors import UnknownEntity
from attune.commands.models import CancelExecution, RequestExecution
from attune.domain.definitions import MAX_NAME, REF_PATTERN
from attune.domain.execution import Execution as ExecutionAggregate
from attune.domain.execution import ExecutionStatus
from attune.domain.ids import new_runtime_id
from attune.domain.secrets import masked
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute, prefix="/executions", tags=["executions"])

MAX_TIMEOUT = 7 * 24 * 3600  # a week: a longer run belongs in a workflow with inquiries
ExecutionId = Annotated[UUID, Path(description="The execution's id.")]
# A running action's execution token may read its own execution (and nothing else).
OwnExecutionReader = Annotated[Caller, requires("execution:read", execution_token_reads_own=True)]


class ExecutionRequest(RequestBody):
    action: str = Field(
        pattern=REF_PATTERN,
        max_length=MAX_NAME,
        description="The action's ref.",
        examples=["core.echo"],
    )
    parameters: dict[str, Any] = Field(
        default_factory=dict,
        description="The action's parameters; secret ones are sealed before they are stored.",
        examples=[{"message": "hello"}],
    )
    timeout: float | None = Field(
        default=None,
        gt=0,
        le=MAX_TIMEOUT,
        description="Seconds this run may take (over its action's `timeout`); past them it "
        "ends `timeout`.",
    )


class ExecutionAccepted(BaseModel):
    id: UUID
    status: ExecutionStatus
    position: int = Field(description="The store position of the request; pass it to reads.")


class Execution(BaseModel):
    id: UUID
    action: str
    parameters: dict[str, Any] = Field(description="Secret values are shown as ********.")
    status: ExecutionStatus
    pool: str | None
    worker: str | None
    result: dict[str, Any] | None
    error: str | None
    enforcement_id: UUID | None
    rule: str | None
    trigger_event_id: UUID | None
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    updated_at: datetime
    correlation_id: UUID | None

    @field_validator("parameters")
    @classmethod
    def _mask_secrets(cls, parameters: dict[str, Any]) -> dict[str, Any] | None:
        return masked(parameters)


class ExecutionPage(Page[Execution]):
    pass


class HistoryEntry(BaseModel):
    position: int = Field(description="The store position of the domain event.")
    event: str = Field(description="The domain event's name, e.g. execution.scheduled.")
    status: ExecutionStatus = Field(description="The execution's status after the event.")
    occurred_at: datetime
    actor: str
    details: dict[str, Any]


_READ_ONE: Responses = {404: {"model": Message, "description": "Unknown execution"}}


@router.post(
    "",
    status_code=202,
    responses={
        404: {"model": Message, "description": "Unknown action"},
        409: {"model": Message, "description": "The action is disabled"},
        422: {"model": Problems, "description": "Invalid parameters"},
    },
)
async def request_execution(
    body: ExecutionRequest,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("action:execute")],
) -> ExecutionAccepted:
    if not caller.may("action:execute", body.action.partition(".")[0]):
        raise HTTPException(403, f"{caller.login} may not execute {body.action}")
    cause = cause_of(caller, request, services)
    execution_id = new_runtime_id(cause["at"], services.entropy(10))
    # Awaited, not run in a thread: the command joins the writer's next group commit.
    position = await asyncio.wrap_future(
        services.commands.submit(
            RequestExecution(
                **cause,
                correlation_id=execution_id,
                execution_id=execution_id,
                action=body.action,
                parameters=body.parameters,
                timeout=body.timeout,
            )
        )
    )
    return ExecutionAccepted(id=execution_id, status=ExecutionStatus.REQUESTED, position=position)


@router.get("")
def list_executions(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("execution:read")],
    status: Annotated[ExecutionStatus | None, Query(description="Only in this status.")] = None,
    action: Annotated[str | None, Query(description="Only runs of this action.")] = None,
    rule: Annotated[str | None, Query(description="Only runs this rule requested.")] = None,
    since: Since = None,
    until: Until = None,
) -> ExecutionPage:
    listing = queries.list_executions(
        connection,
        packs=caller.packs_for("execution:read"),
        status=None if status is None else status.value,
        action=action,
        rule=rule,
        since=since,
        until=until,
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(ExecutionPage, listing, window)


@router.get("/{execution_id}", responses=_READ_ONE)
def get_execution(
    connection: ReadConnection, execution_id: ExecutionId, caller: OwnExecutionReader
) -> Execution:
    row = queries.get_execution(connection, execution_id)
    if row is None or not may_see_execution(caller, execution_id, row["action"]):
        raise UnknownEntity("execution", execution_id)
    return Execution.model_validate(row)


@router.get("/{execution_id}/history", responses=_READ_ONE)
def get_execution_history(
    connection: ReadConnection, execution_id: ExecutionId, caller: OwnExecutionReader
) -> list[HistoryEntry]:
    """The execution's lifecycle, one entry per domain event, oldest first."""
    row = queries.get_execution(connection, execution_id)
    if row is None or not may_see_execution(caller, execution_id, row["action"]):
        raise UnknownEntity("execution", execution_id)
    return [
        HistoryEntry.model_validate(row)
        for row in queries.execution_history(connection, execution_id)
    ]


@router.delete(
    "/{execution_id}",
    status_code=202,
    responses={
        404: {"model": Message, "description": "Unknown execution"},
        409: {"model": Message, "description": "The execution has already ended (its status)"},
    },
)
def cancel_execution(
    execution_id: ExecutionId,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("execution:cancel")],
) -> ExecutionAccepted:
    """Cancel a run: one that has not started ends `canceled` at once; a running one goes
    `canceling` while its worker stops the action, then ends `canceled`."""
    # (From the store, not the read models: a run just requested may not be projected yet.)
    run = services.commands.store.load(execution_id)
    if not isinstance(run, ExecutionAggregate) or not may_see_execution(
        caller, execution_id, run.action
    ):
        raise UnknownEntity("execution", execution_id)
    if not caller.may("execution:cancel", run.action.partition(".")[0]):
        raise HTTPException(403, f"{caller.login} may not cancel runs of {run.action}")
    cause = cause_of(caller, request, services)
    position = services.commands.execute(
        CancelExecution(**cause, execution_id=execution_id, by=caller.login)
    )
    status = services.written(ExecutionAggregate, execution_id).status
    return ExecutionAccepted(id=execution_id, status=ExecutionStatus(status), position=position)
