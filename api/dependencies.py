"""What the routes depend on: the services handed in at start-up, and read connections.

A read connection honours read-your-writes: a request that passes the store `position` a
write returned waits (up to `wait` seconds) until the projection has reached it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol, cast
from uuid import UUID

from fastapi import Depends, HTTPException, Query, Request
from sqlalchemy import Connection, Engine

from attune.commands.models import Command
from attune.commands.service import CommandService

MAX_WAIT = 60.0
VISIBLE_WITHIN = 10.0  # seconds a write may take to reach the projections


class ProjectionProgress(Protocol):
    """How far the projections have read the store's log (a `PositionWatch`, say)."""

    def position(self) -> int: ...

    def wait_for(self, position: int, timeout: float) -> bool: ...


class TokenClaims(Protocol):
    kind: str  # access | refresh | execution
    subject: str  # a login, or an execution id
    session_id: UUID | None


class Credentials(Protocol):
    """Passwords, tokens and API keys, provided by the composition root (`attune.infra`)."""

    def hash_password(self, password: str) -> str: ...

    def password_matches(self, password_hash: str | None, password: str) -> bool: ...

    def read_token(self, token: str) -> TokenClaims: ...

    def access_token(self, login: str, session_id: UUID, now: datetime) -> tuple[str, datetime]: ...

    def refresh_token(
        self, login: str, session_id: UUID, now: datetime
    ) -> tuple[str, datetime]: ...

    def new_api_key(self, key_id: UUID) -> tuple[str, str]: ...

    def parse_api_key(self, key: str) -> tuple[UUID, str] | None: ...

    def api_key_matches(self, stored_hash: str, secret: str) -> bool: ...


@dataclass
class ApiServices:
    """Everything the routes use, built by the composition root (`attune.infra`)."""

    commands: CommandService
    read_engine: Engine
    projection: ProjectionProgress
    store_position: Callable[[], int]
    clock: Callable[[], datetime]  # UTC now: the time commands are stamped with
    entropy: Callable[[int], bytes]  # random bytes for new ids (os.urandom in production)
    credentials: Credentials

    def execute_visibly(self, command: Command) -> int:
        """Apply a user command and wait until reads show it (the caller's next request
        may depend on it: a new session, a revoked key); return its position."""
        position = self.commands.execute(command)
        self.projection.wait_for(position, VISIBLE_WITHIN)
        return position


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


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
