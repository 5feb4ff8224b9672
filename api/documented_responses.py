"""The answers a route may give because of what it depends on, written into its OpenAPI
operation so that the document lists every status the API can answer, with its body.

A route that needs a credential may answer 401, one that needs a permission 403; one that
takes parameters or a body 422; one that takes a body 400 (unparsable) and 413 (too large);
one that reads projections 429 (too many pending waits) and 503 (projections behind).
Routes document their own outcomes (404, 409, ...) themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel

from attune.api.access import current_caller
from attune.api.errors import Message, Problems
from attune.api.read_your_writes import read_connection


def _answer(model: type[BaseModel], description: str) -> dict[str, Any]:
    # By reference, not `model`: FastAPI builds a model's schema only for the responses a
    # route is created with. Routes' own 404s and 422s put both models in the components.
    schema = {"$ref": f"#/components/schemas/{model.__name__}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _message(description: str) -> dict[str, Any]:
    return _answer(Message, description)


UNAUTHENTICATED = {401: _message("No credential, or one that is unknown, expired or revoked")}
FORBIDDEN = {403: _message("The caller lacks the permission")}
INVALID = {422: _answer(Problems, "Invalid parameters or request fields")}
BAD_BODY = {
    400: _message("The body could not be parsed (not JSON, or not UTF-8)"),
    413: _message("The body is larger than the API accepts"),
}
READS_PROJECTIONS = {
    429: _message("The caller already has as many reads waiting for a `position` as it may"),
    503: _message("The projections did not reach `position` in time"),
}


def _dependants(dependant: Dependant) -> Iterator[Dependant]:
    yield dependant
    for sub in dependant.dependencies:
        yield from _dependants(sub)


def _responses_of(route: APIRoute) -> dict[int, dict[str, Any]]:
    dependants = list(_dependants(route.dependant))
    calls = {d.call for d in dependants}
    responses: dict[int, dict[str, Any]] = {}
    if current_caller in calls:
        responses |= UNAUTHENTICATED
    if any(hasattr(call, "permission") for call in calls):
        responses |= FORBIDDEN
    if any(d.query_params or d.path_params or d.header_params or d.body_params for d in dependants):
        responses |= INVALID
    if route.body_field is not None:
        responses |= BAD_BODY
    if read_connection in calls:
        responses |= READS_PROJECTIONS
    return responses


def document_common_responses(routes: Iterable[Any]) -> None:
    """Add to each route's documented responses those its dependencies may give."""
    for route in routes:
        if isinstance(route, APIRoute):
            for status, response in _responses_of(route).items():
                route.responses.setdefault(status, response)
