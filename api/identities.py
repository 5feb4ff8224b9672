"""Identities, roles and API keys (`/api/v1/identities`, `/roles`, `/apikeys`).

Admins (`identity:*`, `role:*`) manage identities and custom roles. Anyone with
`apikey:write` manages their own API keys; managing another identity's keys needs
`identity:write` too. A new API key is shown once, in the answer that creates it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, HTTPException, Path, Request, Response
from pydantic import BaseModel, Field

from attune.api.access import Caller, caller_cache, cause_of, requires
from attune.api.dependencies import ApiServices, Services
from attune.api.errors import Message, Responses
from attune.api.request_body import RequestBody, invalid
from attune.commands import models as m
from attune.domain.access import BUILT_IN_ROLES, GrantSpec, RoleDefinition
from attune.domain.definitions import MAX_NAME
from attune.domain.identity import LOGIN_PATTERN, ApiKey, Identity, IdentityKind
from attune.domain.ids import new_runtime_id
from attune.projections import security_queries as q

router = APIRouter(tags=["identities"])
Login = Annotated[str, Path(pattern=LOGIN_PATTERN)]
UNKNOWN_IDENTITY: Responses = {404: {"model": Message, "description": "Unknown identity"}}


class IdentityIn(RequestBody):
    login: str = Field(pattern=LOGIN_PATTERN)
    kind: IdentityKind = IdentityKind.USER
    roles: list[str] = []
    password: str | None = Field(default=None, min_length=8, description="Users only.")


class IdentityOut(BaseModel):
    login: str
    kind: IdentityKind
    roles: list[str]
    enabled: bool
    created_at: datetime
    updated_at: datetime


class RolesIn(RequestBody):
    roles: list[str]


class PasswordIn(RequestBody):
    password: str = Field(min_length=8)


class RoleIn(RequestBody):
    description: str = ""
    grants: list[GrantSpec]


class RoleOut(BaseModel):
    name: str
    built_in: bool
    description: str
    grants: list[GrantSpec]


class ApiKeyIn(RequestBody):
    name: str = Field(min_length=1, max_length=100)
    login: str | None = Field(
        default=None, pattern=LOGIN_PATTERN, description="Whose key (default: the caller's)."
    )


class ApiKeyOut(BaseModel):
    id: UUID
    login: str
    name: str
    revoked: bool
    created_at: datetime
    key: str = Field(default="********", description="The key itself: shown once, at creation.")


# Disabling an admin or taking its role away is refused when no other enabled admin remains.
LAST_ADMIN: Responses = {
    409: {
        "model": Message,
        "description": "The identity is the last enabled identity with the admin role",
    }
}


def _take_rights(request: Request, services: ApiServices, command: m.Command) -> None:
    """Apply a change that may take rights away; from now on no caller is remembered."""
    services.execute_visibly(command)
    caller_cache(request).clear()


@router.get("/identities")
def list_identities(
    services: Services, caller: Annotated[Caller, requires("identity:read")]
) -> list[IdentityOut]:
    with services.read_engine.connect() as connection:
        return [IdentityOut.model_validate(row) for row in q.list_identities(connection)]


@router.post(
    "/identities",
    status_code=201,
    responses={409: {"model": Message, "description": "The login exists already"}},
)
def create_identity(
    body: IdentityIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("identity:write")],
) -> IdentityOut:
    if (body.password is None) == (body.kind == IdentityKind.USER):
        raise invalid("body", "password", "a user needs one; a service account has none")
    password_hash = (
        None if body.password is None else services.credentials.hash_password(body.password)
    )
    command = m.CreateIdentity(
        **cause_of(caller, request, services),
        login=body.login,
        kind=body.kind,
        roles=body.roles,
        password_hash=password_hash,
    )
    services.execute_visibly(command)
    identity = services.written(Identity, Identity.id_for(body.login))
    return IdentityOut(
        login=identity.login,
        kind=IdentityKind(identity.kind),
        roles=identity.roles,
        enabled=identity.enabled,
        created_at=identity.created_on,
        updated_at=identity.modified_on,
    )


@router.put(
    "/identities/{login}/roles",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses=LAST_ADMIN | UNKNOWN_IDENTITY,
)
def set_roles(
    login: Login,
    body: RolesIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("identity:write")],
) -> None:
    command = m.SetRoles(**cause_of(caller, request, services), login=login, roles=body.roles)
    _take_rights(request, services, command)


@router.put(
    "/identities/{login}/password",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses=UNKNOWN_IDENTITY,
)
def change_password(
    login: Login,
    body: PasswordIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("identity:write")],
) -> None:
    password_hash = services.credentials.hash_password(body.password)
    command = m.ChangePassword(
        **cause_of(caller, request, services), login=login, password_hash=password_hash
    )
    _take_rights(request, services, command)


@router.delete(
    "/identities/{login}",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses=LAST_ADMIN | UNKNOWN_IDENTITY,
)
def disable_identity(
    login: Login,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("identity:write")],
) -> None:
    command = m.DisableIdentity(**cause_of(caller, request, services), login=login)
    _take_rights(request, services, command)


@router.get("/roles")
def list_roles(
    services: Services, caller: Annotated[Caller, requires("role:read")]
) -> list[RoleOut]:
    built_in = [
        RoleOut(
            name=name,
            built_in=True,
            description=f"built-in {name} role",
            grants=[GrantSpec(permission=p) for p in permissions],
        )
        for name, permissions in BUILT_IN_ROLES.items()
    ]
    with services.read_engine.connect() as connection:
        custom = q.custom_roles(connection)
    return built_in + [
        RoleOut(name=name, built_in=False, description=d.description, grants=d.grants)
        for name, d in sorted(custom.items())
    ]


@router.put(
    "/roles/{name}",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses={409: {"model": Message, "description": "A built-in role cannot be redefined"}},
)
def define_role(
    name: Annotated[str, Path(pattern=r"^[a-z0-9_\-]+$", max_length=MAX_NAME)],
    body: RoleIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("role:write")],
) -> None:
    if name in BUILT_IN_ROLES:
        raise HTTPException(409, f"'{name}' is a built-in role and cannot be redefined")
    definition = RoleDefinition(ref=name, description=body.description, grants=body.grants)
    command = m.DefineRole(**cause_of(caller, request, services), definition=definition)
    _take_rights(request, services, command)


@router.get("/apikeys")
def list_api_keys(
    services: Services, caller: Annotated[Caller, requires("apikey:read")]
) -> list[ApiKeyOut]:
    everyone = caller.may("identity:read")
    with services.read_engine.connect() as connection:
        rows = q.list_api_keys(connection, None if everyone else caller.login)
    return [ApiKeyOut.model_validate(row) for row in rows]


@router.post("/apikeys", status_code=201, responses=UNKNOWN_IDENTITY)
def create_api_key(
    body: ApiKeyIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("apikey:write")],
) -> ApiKeyOut:
    login = body.login or caller.login
    if caller.execution_id is not None or (
        login != caller.login and not caller.may("identity:write")
    ):
        raise HTTPException(403, f"{caller.login} may not create API keys for {login}")
    now = services.clock()
    key_id = new_runtime_id(now, services.entropy(10))
    key, secret_hash = services.credentials.new_api_key(key_id)
    command = m.CreateApiKey(
        **cause_of(caller, request, services),
        key_id=key_id,
        login=login,
        name=body.name,
        secret_hash=secret_hash,
    )
    services.execute_visibly(command)
    api_key = services.written(ApiKey, key_id)
    return ApiKeyOut(
        id=key_id,
        login=api_key.login,
        name=api_key.name,
        revoked=api_key.revoked,
        created_at=api_key.created_on,
        key=key,
    )


@router.delete(
    "/apikeys/{key_id}",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses={404: {"model": Message, "description": "Unknown API key"}},
)
def revoke_api_key(
    key_id: UUID,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("apikey:write")],
) -> None:
    with services.read_engine.connect() as connection:
        row = q.api_key(connection, key_id)
    if row is None or (row["login"] != caller.login and not caller.may("identity:write")):
        raise HTTPException(404, f"unknown API key '{key_id}'")
    command = m.RevokeApiKey(**cause_of(caller, request, services), key_id=key_id)
    _take_rights(request, services, command)
