"""The keystore (`/api/v1/keys`): JSON values by scope, optionally encrypted, with a TTL.

Reading needs `key:read` and shows encrypted values as ********; `?decrypt=true` needs
`key:decrypt` as well and is recorded (`key.revealed`) for the audit. Writing needs
`key:write`. Pack keys are limited to the packs the caller's grants cover; user keys are
the caller's own (admins, with `identity:read`, see everyone's). Distributed workers
resolve keystore references with `key:resolve` (the `worker` role): any key, an encrypted
value still sealed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, Request
from pydantic import BaseModel

from attune.api.access import Caller, cause_of, requires
from attune.api.dependencies import ApiServices, Services
from attune.api.errors import Message, Responses
from attune.api.key_models import KeyIn, KeyOut, KeyPage, SealedKey
from attune.api.pagination import PageWindow, page_of
from attune.api.request_body import invalid
from attune.commands.errors import UnknownEntity
from attune.commands.keystore import DeleteKey, KeyCommand, RevealKey, SetKey
from attune.domain.definitions import MAX_NAME
from attune.domain.keystore import KEY_NAME_PATTERN, Key, KeyScope
from attune.projections.keystore import get_key, list_keys

router = APIRouter(prefix="/keys", tags=["keys"])
Owner = Annotated[
    str | None,
    Query(max_length=MAX_NAME, description="The pack (pack keys) or login (user keys)."),
]
KeyName = Annotated[
    str, Path(pattern=KEY_NAME_PATTERN, max_length=MAX_NAME, description="The key's name.")
]
UNKNOWN_KEY: Responses = {404: {"model": Message, "description": "Unknown key"}}


class KeyDeleted(BaseModel):
    name: str
    scope: KeyScope
    owner: str | None
    deleted: bool = True


def _owner(caller: Caller, scope: KeyScope, owner: str | None, verb: str) -> str | None:
    """The key's owner as the caller may address it; refuses what it may not touch."""
    if scope == KeyScope.SYSTEM:
        return None
    if scope == KeyScope.USER:
        owner = owner or caller.login
        if owner != caller.login and not caller.may("identity:read"):
            raise HTTPException(403, f"{caller.login} may not use {owner}'s keys")
        return owner
    if not owner:
        raise invalid("query", "owner", "is required for a pack key: the pack's name")
    if not caller.may(f"key:{verb}", owner):
        raise HTTPException(403, f"{caller.login} lacks the permission key:{verb} for pack {owner}")
    return owner


def _row(services: ApiServices, command: KeyCommand) -> dict[str, object]:
    """The live key a read command addresses, as of the command's time."""
    with services.read_engine.connect() as connection:
        row = get_key(connection, command.name, command.scope, command.owner, command.at)
    if row is None:
        raise UnknownEntity("key", command.address())
    return row


@router.get("")
def list_key_values(
    services: Services,
    window: PageWindow,
    caller: Annotated[Caller, requires("key:read")],
    scope: Annotated[KeyScope | None, Query()] = None,
    owner: Owner = None,
) -> KeyPage:
    if scope == KeyScope.USER or (scope is None and owner is not None):
        owner = _owner(caller, KeyScope.USER if scope else KeyScope.PACK, owner, "read")
    with services.read_engine.connect() as connection:
        listing = list_keys(
            connection,
            now=services.clock(),
            scope=scope,
            owner=owner,
            limit=window.limit,
            offset=window.offset,
        )
    visible = [
        row
        for row in listing.rows
        if row["scope"] == KeyScope.SYSTEM
        or (row["scope"] == KeyScope.PACK and caller.may("key:read", row["owner"]))
        or (
            row["scope"] == KeyScope.USER
            and (row["owner"] == caller.login or caller.may("identity:read"))
        )
    ]
    page = page_of(KeyPage, listing, window)
    page.items = [KeyOut.masked(row) for row in visible]
    return page


@router.get("/{scope}/{name}", responses=UNKNOWN_KEY)
def get_key_value(
    scope: KeyScope,
    name: KeyName,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("key:read")],
    owner: Owner = None,
    decrypt: Annotated[bool, Query(description="Show an encrypted value in plaintext.")] = False,
) -> KeyOut:
    reveal = RevealKey(
        **cause_of(caller, request, services),
        name=name,
        scope=scope,
        owner=_owner(caller, scope, owner, "read"),
    )
    if not decrypt:
        return KeyOut.masked(_row(services, reveal))
    if not caller.may("key:decrypt", reveal.owner if scope == KeyScope.PACK else None):
        raise HTTPException(403, f"{caller.login} lacks the permission key:decrypt")
    services.commands.execute(reveal)  # recorded for the audit before anything is shown
    return KeyOut.decrypted(_row(services, reveal), services.commands.secrets)


@router.get("/{scope}/{name}/sealed", responses=UNKNOWN_KEY)
def get_sealed_key(
    scope: KeyScope,
    name: KeyName,
    services: Services,
    _caller: Annotated[Caller, requires("key:resolve")],
    owner: Owner = None,
) -> SealedKey:
    """A key as stored, for a worker resolving a `{{ keystore.NAME }}` reference of a run
    (the run's requester and pack decide the owner; the worker checks the search order)."""
    if scope == KeyScope.SYSTEM:
        owner = None
    elif not owner:
        raise invalid("query", "owner", f"is required for a {scope} key")
    with services.read_engine.connect() as connection:
        row = get_key(connection, name, scope, owner, services.clock())
    if row is None:
        address = f"{scope} key '{name}'" + (f" of '{owner}'" if owner else "")
        raise HTTPException(404, f"no {address}")
    return SealedKey.model_validate(row)


@router.put("/{scope}/{name}")
def set_key_value(
    scope: KeyScope,
    name: KeyName,
    body: KeyIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("key:write")],
    owner: Owner = None,
) -> KeyOut:
    cause = cause_of(caller, request, services)  # the expiry counts from the command's time
    command = SetKey(
        **cause,
        name=name,
        scope=scope,
        owner=_owner(caller, scope, owner, "write"),
        value=body.value,
        encrypt=body.encrypted,
        expires_at=body.expires_at(cause["at"]),
    )
    services.execute_visibly(command)
    # Answered from the write side: a concurrent delete, or reads that lag behind, must
    # not turn a key just set into a 404.
    key = services.written(Key, command.key_id())
    return KeyOut.as_set(command, created_at=key.created_on)


@router.delete("/{scope}/{name}", responses=UNKNOWN_KEY)
def delete_key_value(
    scope: KeyScope,
    name: KeyName,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("key:write")],
    owner: Owner = None,
) -> KeyDeleted:
    command = DeleteKey(
        **cause_of(caller, request, services),
        name=name,
        scope=scope,
        owner=_owner(caller, scope, owner, "write"),
    )
    services.execute_visibly(command)
    return KeyDeleted(name=name, scope=scope, owner=command.owner)
