"""A pack's configuration (GET/PUT /api/v1/packs/{ref}/config): the values its rules and
actions read as `config.<field>`, checked against the pack's config schema.

Reading shows secret values as ``********``. Writing replaces the whole configuration:
the values are checked (a 422 names the field; defaults fill what is left out) and secret
ones sealed before they are stored. A pack's ``configs/<pack>.yaml`` sets it again at the
next pack load.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, Field

from attune.api.access import Caller, cause_of, requires
from attune.api.dependencies import Services
from attune.api.errors import Message, Problems, Responses
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.api.request_body import RequestBody
from attune.commands.errors import UnknownEntity
from attune.commands.models import ConfigurePack
from attune.domain.configuration import Pack
from attune.domain.definitions import MAX_NAME, NAME_PATTERN
from attune.domain.secrets import masked
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute, tags=["packs"])

PackRef = Annotated[
    str, Path(pattern=NAME_PATTERN, max_length=MAX_NAME, description="The pack's ref.")
]
_UNKNOWN: Responses = {404: {"model": Message, "description": "Unknown pack"}}


class PackConfigIn(RequestBody):
    values: dict[str, Any] = Field(description="Every field of the pack's config schema.")


class PackConfigOut(BaseModel):
    pack: str
    values: dict[str, Any] = Field(description="The values; secret ones as ********.")
    configured_at: datetime | None = Field(description="When it was set; null if never.")


@router.get("/packs/{ref}/config", responses=_UNKNOWN)
def get_pack_config(
    ref: PackRef,
    connection: ReadConnection,
    caller: Annotated[Caller, requires("pack:read")],
) -> PackConfigOut:
    """The pack's configuration, secret values masked."""
    if queries.get_pack(connection, ref) is None or not caller.may("pack:read", ref):
        raise UnknownEntity("pack", ref)
    row = queries.get_pack_config(connection, ref)
    if row is None:
        return PackConfigOut(pack=ref, values={}, configured_at=None)
    values = masked(row["values"]) or {}
    return PackConfigOut(pack=ref, values=values, configured_at=row["configured_at"])


@router.put(
    "/packs/{ref}/config",
    responses=_UNKNOWN | {422: {"model": Problems, "description": "Values that do not fit"}},
)
def set_pack_config(
    ref: PackRef,
    body: PackConfigIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("pack:write")],
) -> PackConfigOut:
    """Replace the pack's configuration; secret values are sealed before they are stored."""
    if not caller.may("pack:write", ref):
        raise UnknownEntity("pack", ref)
    services.execute_visibly(
        ConfigurePack(**cause_of(caller, request, services), pack=ref, values=body.values)
    )
    pack = services.written(Pack, Pack.id_for(ref))
    values = masked(pack.config) or {}
    return PackConfigOut(pack=ref, values=values, configured_at=pack.configured_at)
