"""What the routes depend on: the services handed in at start-up (read connections, which
honour read-your-writes, are in `read_your_writes`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol, TypeVar, cast
from uuid import UUID

from fastapi import Depends, Request
from sqlalchemy import Engine

from attune.commands.models import Command
from attune.commands.service import CommandService
from attune.domain.events import AttuneAggregate
from attune.domain.expressions import DEFAULT_LIMITS, Limits

Written = TypeVar("Written", bound=AttuneAggregate)
VISIBLE_WITHIN = 10.0  # seconds a write may take to reach the projections


class ProjectionProgress(Protocol):
    """How far the projections have read the store's log (a `PositionWatch`, say)."""

    def position(self) -> int: ...

    def wait_for(self, position: int, timeout: float) -> bool: ...

    async def reached(self, position: int, timeout: float) -> bool:
        """`wait_for` without holding a thread (the API's reads await this)."""
        ...


class TokenClaims(Protocol):
    @property
    def kind(self) -> str: ...  # access | refresh | execution

    @property
    def subject(self) -> str: ...  # a login, or an execution id

    @property
    def session_id(self) -> UUID | None: ...


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
    # The bounds of every expression, as the rule engine applies them (the setting
    # `expression_limits`): the rule tester and what-if decide as it does.
    expression_limits: Limits = DEFAULT_LIMITS
    # Headers (lower-case) left out of a webhook's stored headers besides the credentials.
    webhook_dropped_headers: frozenset[str] = frozenset()

    def execute_visibly(self, command: Command) -> int:
        """Apply a user command and wait until reads show it (the caller's next request
        may depend on it: a new session, a revoked key); return its position."""
        position = self.commands.execute(command)
        self.projection.wait_for(position, VISIBLE_WITHIN)
        return position

    def written(self, kind: type[Written], aggregate_id: UUID) -> Written:
        """An aggregate a command has just written, from the store rather than the read
        models: the answer to a write that succeeded must not depend on reads catching up
        (they may lag on a loaded machine) or on what a concurrent request did since."""
        aggregate = self.commands.store.load(aggregate_id)
        assert isinstance(aggregate, kind), f"{kind.__name__} {aggregate_id} was not written"
        return aggregate


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def get_services(request: Request) -> ApiServices:
    # async so FastAPI calls it on the event loop rather than in a worker thread
    return cast(ApiServices, request.app.state.services)


Services = Annotated[ApiServices, Depends(get_services)]
