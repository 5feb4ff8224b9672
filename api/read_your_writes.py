"""Read-your-writes: a read that names a store `position` is answered once the projections
have reached it, and the wait holds no worker thread.

A route that reads projections takes a `ReadConnection`. The dependency only notes the
`position` and `wait` the caller asked for (a `PendingRead`); the route's class,
`ProjectionRoute`, runs the route once FastAPI has validated the whole request and admitted
the caller: it awaits the projections on the event loop, then runs the route in the thread
pool with an open connection. So a bad parameter or a missing credential is answered at
once, and a thousand pending waits do not stall `/health` or a login.

A wait is refused at once when it cannot succeed or would crowd others out: a position
beyond the store's head (no write returned it) is a 422, and a caller may have at most
`MAX_WAITS_PER_CALLER` waits pending (429).
"""

from __future__ import annotations

import functools
import inspect
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from fastapi.routing import APIRoute
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from attune.api.access import CurrentCaller
from attune.api.dependencies import ApiServices, Services
from attune.api.pagination import MAX_DATABASE_INTEGER
from attune.api.request_body import invalid

MAX_WAIT = 60.0
MAX_WAITS_PER_CALLER = 16


class WaitLimit:
    """How many read-your-writes waits each caller has pending (one per app)."""

    def __init__(self, per_caller: int = MAX_WAITS_PER_CALLER) -> None:
        self.per_caller = per_caller
        self._pending: Counter[str] = Counter()

    @contextmanager
    def slot(self, caller: str) -> Iterator[None]:
        # Only the event loop's thread counts and waits, so no lock is needed.
        if self._pending[caller] >= self.per_caller:
            raise HTTPException(
                429,
                f"{caller} already has {self.per_caller} reads waiting for the projections; "
                "retry once they are answered",
                headers={"Retry-After": "1"},
            )
        self._pending[caller] += 1
        try:
            yield
        finally:
            self._pending[caller] -= 1
            if not self._pending[caller]:
                del self._pending[caller]


@dataclass(frozen=True)
class PendingRead:
    """A read of the projections, to be made once they include `position` (if given)."""

    services: ApiServices
    limit: WaitLimit
    caller: str
    position: int | None
    wait: float

    async def ready(self) -> None:
        """Return once the projections include `position`; raise the HTTP answer if not."""
        progress = self.services.projection
        if self.position is None or await progress.reached(self.position, 0):
            return
        head = await run_in_threadpool(self.services.store_position)
        if self.position > head:
            problem = f"is beyond the store's head, {head}: no write has returned it"
            raise invalid("query", "position", problem)
        with self.limit.slot(self.caller):
            if not await progress.reached(self.position, self.wait):
                raise HTTPException(
                    status_code=503,
                    detail=(
                        f"the projections are at position {progress.position()}, not yet at "
                        f"position {self.position}, after {self.wait:g}s; retry later"
                    ),
                    headers={"Retry-After": "1"},
                )


def wait_limit(request: Request) -> WaitLimit:
    return request.app.state.wait_limit  # type: ignore[no-any-return]


async def read_connection(
    services: Services,
    caller: CurrentCaller,
    limit: Annotated[WaitLimit, Depends(wait_limit)],
    position: Annotated[
        int | None,
        Query(
            ge=0,
            le=MAX_DATABASE_INTEGER,
            description="Wait until the projections include this store position.",
        ),
    ] = None,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT, description="Seconds to wait for `position` before a 503."),
    ] = 10.0,
) -> PendingRead:
    return PendingRead(services, limit, caller.login, position, wait)


# What a route declares; `ProjectionRoute` hands it an open connection in its place.
ReadConnection = Annotated[Connection, Depends(read_connection)]


def _pending_read_parameter(endpoint: Callable[..., Any]) -> str | None:
    for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items():
        metadata = getattr(parameter.annotation, "__metadata__", ())
        if any(getattr(m, "dependency", None) is read_connection for m in metadata):
            return name
    return None


def _after_the_projections(endpoint: Callable[..., Any], parameter: str) -> Callable[..., Any]:
    @functools.wraps(endpoint)
    async def read(**values: Any) -> Any:
        pending: PendingRead = values.pop(parameter)
        await pending.ready()

        def run() -> Any:
            with pending.services.read_engine.connect() as connection:
                return endpoint(**values, **{parameter: connection})

        return await run_in_threadpool(run)

    read.waits_for_projections = True  # type: ignore[attr-defined]
    return read


class ProjectionRoute(APIRoute):
    """A route that, if it takes a `ReadConnection`, is run once its read may be made."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **options: Any) -> None:
        parameter = _pending_read_parameter(endpoint)
        # An included router's routes are built again from their (already wrapped) endpoints.
        if parameter is not None and not getattr(endpoint, "waits_for_projections", False):
            if inspect.iscoroutinefunction(endpoint):
                raise TypeError(f"{endpoint.__name__}: a route reading projections is a def")
            endpoint = _after_the_projections(endpoint, parameter)
        super().__init__(path, endpoint, **options)


def unwrapped_reads(routes: Iterable[Any]) -> list[str]:
    """The routes that take a `ReadConnection` but would be handed no connection."""
    return [
        route.path
        for route in routes
        if isinstance(route, APIRoute)
        and not isinstance(route, ProjectionRoute)
        and _pending_read_parameter(route.endpoint) is not None
    ]
