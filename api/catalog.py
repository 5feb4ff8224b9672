"""What packs provide: packs, actions, trigger types and rules (GET /api/v1/...).

Each item carries the fields people filter on and its whole definition as registered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, computed_field

from attune.api.access import Caller, requires
from attune.api.errors import Message
from attune.api.pagination import Page, PageWindow, page_of
from attune.api.read_your_writes import ProjectionRoute, ReadConnection
from attune.commands.errors import UnknownEntity
from attune.domain.definitions import MAX_NAME
from attune.projections import queries

router = APIRouter(route_class=ProjectionRoute)

PackFilter = Annotated[str | None, Query(description="Only components of this pack.")]


class Component(BaseModel):
    ref: str
    description: str
    definition: dict[str, Any]
    registered_at: datetime
    updated_at: datetime


class Pack(Component):
    label: str
    version: str


class PackPage(Page[Pack]):
    pass


class Action(Component):
    pack: str
    name: str
    runner_type: str
    enabled: bool

    @computed_field(description="The parameter schema, as in the definition.")  # type: ignore[prop-decorator]
    @property
    def parameters(self) -> dict[str, Any]:
        return dict(self.definition["parameters"])


class ActionPage(Page[Action]):
    pass


class TriggerType(Component):
    pack: str
    name: str


class TriggerTypePage(Page[TriggerType]):
    pass


class Rule(Component):
    pack: str
    name: str
    trigger: str
    action: str
    enabled: bool


class RulePage(Page[Rule]):
    pass


@router.get("/packs", tags=["packs"])
def list_packs(
    connection: ReadConnection, window: PageWindow, caller: Annotated[Caller, requires("pack:read")]
) -> PackPage:
    packs = caller.packs_for("pack:read")
    listing = queries.list_packs(connection, packs=packs, limit=window.limit, offset=window.offset)
    return page_of(PackPage, listing, window)


@router.get("/actions", tags=["actions"])
def list_actions(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("action:read")],
    pack: PackFilter = None,
) -> ActionPage:
    listing = queries.list_actions(
        connection,
        pack=pack,
        packs=caller.packs_for("action:read"),
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(ActionPage, listing, window)


@router.get(
    "/actions/{ref}",
    tags=["actions"],
    responses={404: {"model": Message, "description": "Unknown action"}},
)
def get_action(
    connection: ReadConnection,
    ref: Annotated[str, Path(max_length=MAX_NAME, description="The action's ref.")],
    caller: Annotated[Caller, requires("action:read")],
) -> Action:
    row = queries.get_action(connection, ref)
    if row is None or not caller.may("action:read", row["pack"]):
        raise UnknownEntity("action", ref)
    return Action.model_validate(row)


@router.get("/triggers", tags=["triggers"])
def list_trigger_types(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("trigger:read")],
    pack: PackFilter = None,
) -> TriggerTypePage:
    listing = queries.list_trigger_types(
        connection,
        pack=pack,
        packs=caller.packs_for("trigger:read"),
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(TriggerTypePage, listing, window)


@router.get(
    "/triggers/{ref}",
    tags=["triggers"],
    responses={404: {"model": Message, "description": "Unknown trigger type"}},
)
def get_trigger_type(
    connection: ReadConnection,
    ref: Annotated[str, Path(max_length=MAX_NAME, description="The trigger type's ref.")],
    caller: Annotated[Caller, requires("trigger:read")],
) -> TriggerType:
    row = queries.get_trigger_type(connection, ref)
    if row is None or not caller.may("trigger:read", row["pack"]):
        raise UnknownEntity("trigger type", ref)
    return TriggerType.model_validate(row)


@router.get("/rules", tags=["rules"])
def list_rules(
    connection: ReadConnection,
    window: PageWindow,
    caller: Annotated[Caller, requires("rule:read")],
    pack: PackFilter = None,
    trigger: Annotated[str | None, Query(description="Only rules on this trigger type.")] = None,
    action: Annotated[str | None, Query(description="Only rules running this action.")] = None,
    enabled: Annotated[bool | None, Query(description="Only enabled (or disabled) rules.")] = None,
) -> RulePage:
    listing = queries.list_rules(
        connection,
        pack=pack,
        packs=caller.packs_for("rule:read"),
        trigger=trigger,
        action=action,
        enabled=enabled,
        limit=window.limit,
        offset=window.offset,
    )
    return page_of(RulePage, listing, window)


@router.get(
    "/rules/{ref}",
    tags=["rules"],
    responses={404: {"model": Message, "description": "Unknown (or deleted) rule"}},
)
def get_rule(
    connection: ReadConnection,
    ref: Annotated[str, Path(max_length=MAX_NAME, description="The rule's ref.")],
    caller: Annotated[Caller, requires("rule:read")],
) -> Rule:
    row = queries.get_rule(connection, ref)
    if row is None or not caller.may("rule:read", row["pack"]):
        raise UnknownEntity("rule", ref)
    return Rule.model_validate(row)
