"""Error responses: how refused commands and invalid requests look to a client.

Every error body has a `detail`. It is a message, except for 422s, where it lists each
offending parameter or request field with what is wrong with it. Values sent in a request
body are never echoed back (they may be secrets).
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from attune.commands.errors import AlreadyExists, DisabledEntity, UnknownEntity
from attune.commands.ports import SecretKeyMissing
from attune.domain.errors import (
    AlreadyClaimed,
    DomainError,
    IllegalTransition,
    InvalidDefinition,
    InvalidParameters,
    LastAdmin,
    NotTheHolder,
)


class Message(BaseModel):
    detail: str


class Problem(BaseModel):
    parameter: str = Field(
        description="The action parameter, or the request field or query parameter, at fault."
    )
    message: str = Field(description="What is wrong with it.")


class Problems(BaseModel):
    detail: list[Problem]


# The first matching class decides; any other DomainError is a 400.
_STATUS_OF_ERROR: tuple[tuple[type[DomainError], int], ...] = (
    (UnknownEntity, 404),
    (InvalidParameters, 422),
    (DisabledEntity, 409),
    (AlreadyExists, 409),
    (InvalidDefinition, 422),
    (IllegalTransition, 409),
    (AlreadyClaimed, 409),
    (NotTheHolder, 409),
    (SecretKeyMissing, 409),
    (LastAdmin, 409),
)

Responses = dict[int | str, dict[str, Any]]

# Documented on every /api/v1 route.
INVALID_REQUEST: Responses = {
    422: {"model": Problems, "description": "Invalid parameters or request fields"},
}
# Documented on every route that reads projections (and so accepts `position`).
PROJECTION_BEHIND: Responses = {
    503: {"model": Message, "description": "The projections did not reach `position` in time"},
}


def _status_of(error: DomainError) -> int:
    return next((status for kind, status in _STATUS_OF_ERROR if isinstance(error, kind)), 400)


async def domain_error_response(_request: Request, error: DomainError) -> JSONResponse:
    body: BaseModel
    if isinstance(error, InvalidParameters):
        body = Problems(
            detail=[Problem(parameter=p.parameter, message=p.message) for p in error.problems]
        )
    else:
        body = Message(detail=str(error))
    return JSONResponse(body.model_dump(), status_code=_status_of(error))


def _problem(error: dict[str, Any]) -> Problem:
    source, *path = error["loc"]
    if error["type"] == "json_invalid":
        path = []  # its location is a character offset, not a field
    message = str(error["msg"])
    given = error.get("input")
    if source in ("query", "path") and isinstance(given, str):
        message += f" (got {given!r})"
    return Problem(parameter=".".join(map(str, path)) or str(source), message=message)


async def invalid_request_response(
    _request: Request, error: RequestValidationError
) -> JSONResponse:
    body = Problems(detail=[_problem(e) for e in error.errors()])
    return JSONResponse(body.model_dump(), status_code=422)
