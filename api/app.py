"""create_app: the FastAPI application over the services the composition root provides."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError

from attune.api import catalog, enforcements, events, executions, health
from attune.api.dependencies import ApiServices
from attune.api.errors import INVALID_REQUEST, domain_error_response, invalid_request_response
from attune.domain.errors import DomainError

API_PREFIX = "/api/v1"


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="Attune",
        version=version("attune"),
        description="Event-driven automation: triggers, rules, actions and their executions.",
        # Operation ids are the route functions' names, so generated clients read well.
        generate_unique_id_function=lambda route: route.name,
        exception_handlers={
            DomainError: domain_error_response,
            RequestValidationError: invalid_request_response,
        },
    )
    app.state.services = services
    app.include_router(health.router)
    for module in (catalog, events, enforcements, executions):
        app.include_router(module.router, prefix=API_PREFIX, responses=INVALID_REQUEST)
    return app
