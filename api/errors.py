"""Error responses: how refused commands and invalid requests look to a client.

Every error body has a `detail`. It is a message, except for 422s, where it is always a
list of problems (`Problems`), each naming the offending parameter, request field or query
parameter with what is wrong with it. Values sent in a request body are never echoed back
(they may be secrets); a query or path value is echoed, shortened; and no message is longer
than `MAX_MESSAGE` characters, since a refused command's message may quote what was sent.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from attune.commands.errors import AlreadyExists, DisabledEntity, PackOwned, UnknownEntity
from attune.commands.ports import SecretKeyMissing
from attune.domain.errors import (
    AlreadyClaimed,
    AlreadyEnded,
    DomainError,
    IllegalTransition,
    InvalidDefinition,
    InvalidParameters,
    LastAdmin,
    NotTheHolder,
)
from attune.domain.rule_checks import RuleRefused

MAX_ECHO = 80
MAX_MESSAGE = 500
ELLIPSIS = "…"


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
    (RuleRefused, 422),
    (PackOwned, 409),
    (DisabledEntity, 409),
    (AlreadyExists, 409),
    (InvalidDefinition, 422),
    (IllegalTransition, 409),
    (AlreadyClaimed, 409),
    (AlreadyEnded, 409),
    (NotTheHolder, 409),
    (SecretKeyMissing, 409),
    (LastAdmin, 409),
)

Responses = dict[int | str, dict[str, Any]]


def _clip(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def _echo(value: str) -> str:
    """A value the client sent, quoted, shortened to `MAX_ECHO` characters if longer."""
    if len(value) <= MAX_ECHO:
        return repr(value)
    return f"{value[: MAX_ECHO - 1] + ELLIPSIS!r} ({len(value)} characters)"


def problem(parameter: str, message: str) -> Problem:
    """A problem as the client sees it: both parts bounded, whatever they quote."""
    return Problem(parameter=_clip(parameter), message=_clip(message))


def _problems(*found: Problem) -> JSONResponse:
    return JSONResponse(Problems(detail=list(found)).model_dump(), status_code=422)


def _problems_of(error: DomainError) -> list[Problem]:
    if isinstance(error, InvalidParameters):
        return [problem(p.parameter, p.message) for p in error.problems]
    if isinstance(error, RuleRefused):  # each field of the rule (body) that does not fit
        return [problem(".".join(p.field), p.message) for p in error.problems]
    if isinstance(error, InvalidDefinition):
        # Its message is "<what>: field '<field>': <message>"; the field is named apart.
        prefix = f"{error.what}: field '{error.field}': "
        return [problem(error.field, str(error).removeprefix(prefix))]
    return [problem("body", str(error))]  # a 422 that names no field: the command at fault


async def domain_error_response(_request: Request, error: DomainError) -> JSONResponse:
    status = _status_of(error)
    if status == 422:
        return _problems(*_problems_of(error))
    return JSONResponse(Message(detail=_clip(str(error))).model_dump(), status_code=status)


def _status_of(error: DomainError) -> int:
    return next((status for kind, status in _STATUS_OF_ERROR if isinstance(error, kind)), 400)


def _problem(error: dict[str, Any]) -> Problem:
    source, *path = error["loc"]
    if error["type"] == "json_invalid":
        path = []  # its location is a character offset, not a field
    # (pydantic heads the message of a validator's ValueError with its kind; we do not)
    message = str(error["msg"]).removeprefix("Value error, ")
    given = error.get("input")
    if source in ("query", "path") and isinstance(given, str):
        message += f" (got {_echo(given)})"
    return problem(".".join(map(str, path)) or str(source), message)


async def invalid_request_response(
    _request: Request, error: RequestValidationError
) -> JSONResponse:
    return _problems(*(_problem(e) for e in error.errors()))


async def http_error_response(request: Request, error: HTTPException) -> Response:
    """An HTTPException as FastAPI answers it, except that a 422 is a `Problems` body too
    and no message is longer than `MAX_MESSAGE`.

    A route should name the field at fault with `request_body.invalid`; this is the
    backstop for one that raises `HTTPException(422, message)`, which names no field."""
    if error.status_code == 422:
        body = Problems(detail=[problem("request", str(error.detail))]).model_dump()
        return JSONResponse(body, status_code=422, headers=error.headers)
    if isinstance(error.detail, str):  # a message may quote what was sent
        error = HTTPException(error.status_code, _clip(error.detail), error.headers)
    return await http_exception_handler(request, error)
