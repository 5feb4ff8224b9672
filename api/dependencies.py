"""What the routes depend on: the services handed in at start-up, and read connections.

A read connection honours read-your-writes: a request that passes the store `position` a
write returned waits (up to `wait` seconds) until the projection has reached it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol, cast

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy import Connection, Engine

from attune.commands.service import CommandService

MAX_WAIT = 60.0


class ProjectionProgress(Protocol):
    """How far the projections have read the store's log (a `PositionWatch`, say)."""

    def position(self) -> int: ...

    def wait_for(self, position: int, timeout: float) -> bool: ...


@dataclass
class ApiServices:
    """Everything the routes use, built by the composition root (`attune.infra`)."""

    commands: CommandService
    read_engine: Engine
    projection: ProjectionProgress
    store_position: Callable[[], int]
    clock: Callable[[], datetime]  # UTC now: the time commands are stamped with
    entropy: Callable[[int], bytes]  # random bytes for new ids (os.urandom in production)


async def get_services(request: Request) -> ApiServices:
    # async so FastAPI calls it on the event loop rather than in a worker thread
    return cast(ApiServices, request.app.state.services)


Services = Annotated[ApiServices, Depends(get_services)]


def read_connection(
    services: Services,
    position: Annotated[
        int | None,
        Query(ge=0, description="Wait until the projections include this store position."),
    ] = None,
    wait: Annotated[
        float,
        Query(ge=0, le=MAX_WAIT, description="Seconds to wait for `position` before a 503."),
    ] = 10.0,
) -> Iterator[Connection]:
    if position is not None and not services.projection.wait_for(position, wait):
        raise HTTPException(
            status_code=503,
            detail=(
                f"the projections are at position {services.projection.position()}, "
                f"not yet at position {position}, after {wait:g}s; retry later"
            ),
            headers={"Retry-After": "1"},
        )
    with services.read_engine.connect() as connection:
        yield connection


ReadConnection = Annotated[Connection, Depends(read_connection)]
