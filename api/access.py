"""Who is calling, and whether they may: the one dependency every protected route uses.

A caller presents ``Authorization: Bearer <credential>``: an access token from
`/auth/v1/login`, an API key (``atk_...``), or the execution token a running action got.
`requires("execution:read")` authenticates the caller and checks the permission; routes
that list things then narrow the list to the packs the caller's grants cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, HTTPException, Request
from sqlalchemy import Connection

from attune.api.caller_cache import CallerCache
from attune.api.dependencies import ApiServices, Credentials, Services, client_address
from attune.domain.access import Grants
from attune.domain.execution import TERMINAL
from attune.projections import security_queries as q


@dataclass(frozen=True)
class Caller:
    login: str
    grants: Grants
    session_id: UUID | None = None
    execution_id: UUID | None = None  # set for a running action's execution token

    def may(self, permission: str, pack: str | None = None) -> bool:
        return self.grants.allows(permission, pack)

    def packs_for(self, permission: str) -> frozenset[str] | None:
        return self.grants.packs_for(permission)


def unauthenticated(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def _bearer(request: Request) -> str:
    scheme, _, credential = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise unauthenticated(
            "authentication required: send 'Authorization: Bearer <token or API key>'"
        )
    return credential.strip()


def _identity_caller(connection: Connection, login: str, **extra: Any) -> Caller:
    identity = q.identity(connection, login)
    if identity is None or not identity["enabled"]:
        raise unauthenticated(f"identity '{login}' is unknown or disabled")
    roles: list[str] = identity["roles"]
    custom = q.custom_roles(connection) if set(roles) - {"admin", "operator", "observer"} else {}
    return Caller(login, Grants.of_roles(roles, custom), **extra)


def _caller_of(credential: str, credentials: Credentials, connection: Connection) -> Caller:
    api_key = credentials.parse_api_key(credential)
    if api_key is not None:
        key_id, secret = api_key
        row = q.api_key(connection, key_id)
        if (
            row is None
            or row["revoked"]
            or not credentials.api_key_matches(row["secret_hash"], secret)
        ):
            raise unauthenticated("the API key is unknown or revoked")
        return _identity_caller(connection, row["login"])
    try:
        claims = credentials.read_token(credential)
    except Exception as problem:  # expired, tampered, malformed: all the same to a caller
        raise unauthenticated(f"the token was refused: {problem}") from None
    if claims.kind == "execution":
        execution_id = UUID(claims.subject)
        status = q.execution_status(connection, execution_id)
        if status is None or status in TERMINAL:
            raise unauthenticated("the execution this token was issued for is not running")
        return Caller(f"execution:{execution_id}", Grants(()), execution_id=execution_id)
    if claims.kind != "access" or claims.session_id is None:
        raise unauthenticated("this token is not an access token")
    session = q.session(connection, claims.session_id)
    if session is None or session["revoked"]:
        raise unauthenticated("the session of this token has ended (logged out)")
    return _identity_caller(connection, claims.subject, session_id=claims.session_id)


def caller_cache(request: Request) -> CallerCache[Caller]:
    return request.app.state.caller_cache  # type: ignore[no-any-return]


async def current_caller(request: Request, services: Services) -> Caller:
    # async: a cache hit or a local indexed read is cheaper than a hop to a worker thread
    credential = _bearer(request)
    cache = caller_cache(request)
    caller = cache.get(credential)
    if caller is None:
        with services.read_engine.connect() as connection:
            caller = _caller_of(credential, services.credentials, connection)
        if caller.execution_id is None:  # an execution token must be checked every time
            cache.put(credential, caller)
    return caller


CurrentCaller = Annotated[Caller, Depends(current_caller)]


def requires(permission: str, *, execution_token_reads_own: bool = False) -> Any:
    """The dependency that admits a caller with `permission` (for at least one pack).

    With `execution_token_reads_own`, a running action's token is admitted too; the route
    then lets it see only its own execution (`Caller.execution_id`).
    """

    async def admit(caller: CurrentCaller) -> Caller:
        if caller.execution_id is not None and execution_token_reads_own:
            return caller
        if not caller.may(permission):
            raise HTTPException(403, f"{caller.login} lacks the permission {permission}")
        return caller

    admit.__name__ = f"requires_{permission.replace(':', '_')}"
    admit.permission = permission  # type: ignore[attr-defined]  # read by the route audit test
    return Depends(admit)


def cause_of(caller: Caller, request: Request, services: ApiServices) -> dict[str, Any]:
    """The cause fields of a command the caller makes: who, when, from where."""
    return {"actor": caller.login, "at": services.clock(), "source": client_address(request)}


def may_see_execution(caller: Caller, execution_id: UUID, action: str) -> bool:
    if caller.execution_id is not None:
        return caller.execution_id == execution_id
    return caller.may("execution:read", action.partition(".")[0])
