"""Login, token refresh and logout (`/auth/v1`).

Login checks the password (Argon2id), starts a session and answers a 1-hour access token
and a 7-day refresh token. Repeated failures are rate limited per account and per address.
Logout revokes the session: its tokens are refused from then on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from pydantic import BaseModel, Field

from attune.api.access import CurrentCaller, caller_cache
from attune.api.dependencies import Services, client_address
from attune.api.errors import Message
from attune.api.login_throttle import LoginThrottle
from attune.api.request_body import RequestBody
from attune.commands.models import RevokeSession, StartSession
from attune.domain.ids import new_runtime_id
from attune.projections import security_queries as q

router = APIRouter(prefix="/auth/v1", tags=["auth"])


class Login(RequestBody):
    login: str = Field(examples=["admin"])
    password: str


class Refresh(RequestBody):
    refresh_token: str


class Tokens(BaseModel):
    access_token: str
    refresh_token: str | None = None
    token_type: Literal["bearer"] = "bearer"
    expires_at: datetime = Field(description="When the access token expires.")


def get_throttle(request: Request) -> LoginThrottle:
    return request.app.state.login_throttle  # type: ignore[no-any-return]


Throttle = Annotated[LoginThrottle, Depends(get_throttle)]


@router.post(
    "/login",
    responses={
        401: {"model": Message, "description": "Wrong login or password"},
        429: {"model": Message, "description": "Too many failed logins; see Retry-After"},
    },
)
def login(body: Login, request: Request, services: Services, throttle: Throttle) -> Tokens:
    now, address = services.clock(), client_address(request)
    wait = throttle.wait_seconds(body.login, address, now)
    if wait > 0:
        raise HTTPException(
            429,
            f"too many failed logins; try again in {wait:.0f} s",
            headers={"Retry-After": str(int(wait) + 1)},
        )
    with services.read_engine.connect() as connection:
        identity = q.identity(connection, body.login)
    credentials = services.credentials
    valid = identity is not None and identity["enabled"] and identity["kind"] == "user"
    if not valid or not credentials.password_matches(identity["password_hash"], body.password):  # type: ignore[index]
        throttle.failed(body.login, address, now)
        raise HTTPException(401, "wrong login or password")
    throttle.succeeded(body.login, address)
    session_id = new_runtime_id(now, services.entropy(10))
    refresh, refresh_expires = credentials.refresh_token(body.login, session_id, now)
    command = StartSession(
        actor=body.login,
        at=now,
        source=address,
        session_id=session_id,
        login=body.login,
        expires_at=refresh_expires,
    )
    services.execute_visibly(command)
    access, expires = credentials.access_token(body.login, session_id, now)
    return Tokens(access_token=access, refresh_token=refresh, expires_at=expires)


@router.post(
    "/refresh", responses={401: {"model": Message, "description": "The refresh token was refused"}}
)
def refresh(body: Refresh, services: Services) -> Tokens:
    try:
        claims = services.credentials.read_token(body.refresh_token)
    except Exception as problem:
        raise HTTPException(401, f"the refresh token was refused: {problem}") from None
    if claims.kind != "refresh" or claims.session_id is None:
        raise HTTPException(401, "this is not a refresh token")
    with services.read_engine.connect() as connection:
        session = q.session(connection, claims.session_id)
        identity = q.identity(connection, claims.subject)
    if session is None or session["revoked"] or identity is None or not identity["enabled"]:
        raise HTTPException(401, "the session has ended; log in again")
    access, expires = services.credentials.access_token(
        claims.subject, claims.session_id, services.clock()
    )
    return Tokens(access_token=access, expires_at=expires)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses={
        400: {"model": Message, "description": "The credential is an API key, not a login session"}
    },
)
def logout(caller: CurrentCaller, request: Request, services: Services) -> None:
    if caller.session_id is None:
        raise HTTPException(400, "only a login session can log out (API keys are revoked)")
    command = RevokeSession(
        actor=caller.login,
        at=services.clock(),
        source=client_address(request),
        session_id=caller.session_id,
    )
    services.execute_visibly(command)
    caller_cache(request).clear()  # the session's tokens stop working now
