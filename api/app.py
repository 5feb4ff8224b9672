"""create_app: the FastAPI application over the services the composition root provides."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from attune.api import (
    audit,
    catalog,
    docs_ui,
    enforcements,
    events,
    executions,
    health,
    identities,
    keys,
    pack_config,
    rule_tests,
    rule_what_if,
    rules,
    sessions,
    webhooks,
)
from attune.api.allowed_methods import method_not_allowed
from attune.api.body_limit import BodyLimit
from attune.api.caller_cache import CallerCache
from attune.api.dependencies import ApiServices
from attune.api.documented_responses import document_common_responses
from attune.api.errors import domain_error_response, http_error_response, invalid_request_response
from attune.api.login_throttle import LoginThrottle
from attune.api.read_your_writes import WaitLimit, unwrapped_reads
from attune.api.webhooks import WebhookLookups
from attune.domain.errors import DomainError

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024


def create_app(services: ApiServices) -> FastAPI:
    app = FastAPI(
        title="Attune",
        version=version("attune"),
        description="Event-driven automation: triggers, rules, actions and their executions.",
        # Operation ids are the route functions' names, so generated clients read well.
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,  # docs_ui serves both pages without CDNs
        redoc_url=None,
        exception_handlers={
            DomainError: domain_error_response,
            RequestValidationError: invalid_request_response,
            StarletteHTTPException: http_error_response,
            405: method_not_allowed,  # before the class: status handlers are looked up first
        },
    )
    app.state.services = services
    app.state.login_throttle = LoginThrottle()
    app.state.caller_cache = CallerCache()
    app.state.wait_limit = WaitLimit()
    app.state.webhook_lookups = WebhookLookups()
    # No CORS middleware: browsers on other origins may not call the API (the default).
    app.add_middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)
    app.include_router(health.router)
    docs_ui.install(app)
    app.include_router(sessions.router)
    routers = (
        rule_tests,
        rule_what_if,
        catalog,
        pack_config,
        rules,
        events,
        enforcements,
        executions,
        identities,
        keys,
        webhooks,
    )
    for module in (*routers, audit):
        app.include_router(module.router, prefix=API_PREFIX)
    document_common_responses(app.routes)
    if unwrapped := unwrapped_reads(app.routes):
        raise TypeError(f"routes reading projections need route_class=ProjectionRoute: {unwrapped}")
    return app
