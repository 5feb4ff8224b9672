"""Writing rules (`/api/v1/rules`): create, replace, enable, disable and delete.

A body is a rule definition as a rule file holds it, in JSON: `ref`, or `pack` and `name`
(either, or both if they agree), then `trigger`, `trigger_params`, `criteria`, `when`,
`type`, `action`, `action_params`, `enabled`, `description`. A rule that does not fit the
catalogue (an unknown trigger type or action, parameters that do not fit) is a 422 with one
entry per field at fault. Writing needs `rule:write` for the rule's pack.

A rule that its pack's files define may be enabled and disabled here, but not replaced or
deleted (409): the pack's next load would undo that; change or delete its file instead.
Reading one rule (`GET /api/v1/rules/{ref}`) is in `catalog`, with the lists.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError
from starlette.convertors import StringConvertor, register_url_convertor

from attune.api.access import Caller, cause_of, requires
from attune.api.catalog import Rule
from attune.api.dependencies import ApiServices, Services
from attune.api.errors import Message, Responses
from attune.api.request_body import RequestBody, invalid
from attune.commands import models as m
from attune.domain import configuration
from attune.domain.definitions import (
    MAX_NAME,
    NAME_PATTERN,
    REF_PATTERN,
    RuleDefinition,
    registering,
)
from attune.domain.expressions import Limits


class RefConvertor(StringConvertor):
    """A path segment that can be a ref (`pack.name`), so that `/rules/test` (a route of
    its own) is not taken for a rule's path: other methods there are 405s, not 422s."""

    regex = REF_PATTERN.removeprefix("^").removesuffix("$")


register_url_convertor("ref", RefConvertor())
router = APIRouter(prefix="/rules", tags=["rules"])
RuleRef = Annotated[
    str, Path(pattern=REF_PATTERN, max_length=MAX_NAME, description="The rule's ref.")
]
RULE_NAME_PATTERN = r"^[A-Za-z0-9_\-\.]+$"  # what a ref allows after its pack
UNKNOWN_RULE: Responses = {404: {"model": Message, "description": "Unknown (or deleted) rule"}}
# A path segment that is no ref (`/rules/x`) is not this route's: `GET /rules/{ref}` (or
# `/rules/test`) is, and other methods there are 405s.
NOT_A_REF: Responses = {
    405: {"model": Message, "description": "Not a rule's ref: the path serves other methods"}
}
PACK_OWNED: Responses = {
    409: {
        "model": Message,
        "description": "The rule is defined by its pack's files: change or delete the file",
    }
}


class RuleIn(RequestBody, RuleDefinition):
    """A rule definition; `ref`, `pack` and `name` may be left out where the others (or the
    path) give them."""

    ref: str | None = Field(  # type: ignore[assignment]
        default=None, pattern=REF_PATTERN, max_length=MAX_NAME, description="pack.name"
    )
    pack: str | None = Field(  # type: ignore[assignment]
        default=None, pattern=NAME_PATTERN, max_length=MAX_NAME
    )
    name: str | None = Field(  # type: ignore[assignment]
        default=None, pattern=RULE_NAME_PATTERN, max_length=MAX_NAME
    )

    def definition(self, limits: Limits, path_ref: str | None = None) -> RuleDefinition:
        """The definition this body gives (for the rule at `path_ref`, when replacing), its
        templates checked under `limits` (the rule engine's)."""
        ref = self.ref or path_ref
        if path_ref is not None and self.ref is not None and self.ref != path_ref:
            raise invalid("body", "ref", f"is '{self.ref}', but the path names '{path_ref}'")
        if ref is None:
            if self.pack is None or self.name is None:
                raise invalid("body", "ref", "is required, or else both pack and name")
            ref = f"{self.pack}.{self.name}"
        pack, _, name = ref.partition(".")
        for field, given, expected in (("pack", self.pack, pack), ("name", self.name, name)):
            if given is not None and given != expected:
                raise invalid("body", field, f"is '{given}', but the ref '{ref}' says '{expected}'")
        fields: dict[str, Any] = self.model_dump(exclude={"ref", "pack", "name"})
        try:
            return RuleDefinition.model_validate(
                {**fields, "ref": ref, "pack": pack, "name": name}, context=registering(limits)
            )
        except ValidationError as refused:  # what the body's own checks could not see
            raise RequestValidationError(
                [{**error, "loc": ("body", *error["loc"])} for error in refused.errors()]
            ) from None


def _check_may_write(caller: Caller, ref: str) -> None:
    pack = ref.partition(".")[0]
    if not caller.may("rule:write", pack):
        raise HTTPException(403, f"{caller.login} lacks the permission rule:write for pack {pack}")


def _written(services: ApiServices, ref: str) -> Rule:
    """The rule as the store holds it now: the answer to a write that succeeded."""
    rule = services.written(configuration.Rule, configuration.Rule.id_for(ref))
    definition = rule.definition
    return Rule(
        ref=rule.ref,
        pack=definition["pack"],
        name=definition["name"],
        description=definition["description"],
        trigger=definition["trigger"],
        action=definition["action"],
        enabled=definition["enabled"],
        definition=definition,
        registered_at=rule.created_on,
        updated_at=rule.modified_on,
    )


@router.post(
    "",
    status_code=201,
    responses={409: {"model": Message, "description": "A rule with this ref exists already"}},
)
def create_rule(
    body: RuleIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("rule:write")],
) -> Rule:
    definition = body.definition(services.expression_limits)
    _check_may_write(caller, definition.ref)
    services.execute_visibly(
        m.CreateRule(**cause_of(caller, request, services), definition=definition)
    )
    return _written(services, definition.ref)


@router.put("/{ref:ref}", responses=UNKNOWN_RULE | PACK_OWNED | NOT_A_REF)
def replace_rule(
    ref: RuleRef,
    body: RuleIn,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("rule:write")],
) -> Rule:
    _check_may_write(caller, ref)
    definition = body.definition(services.expression_limits, ref)
    services.execute_visibly(
        m.ReplaceRule(**cause_of(caller, request, services), definition=definition)
    )
    return _written(services, ref)


@router.delete(
    "/{ref:ref}",
    status_code=204,
    response_class=Response,
    response_model=None,
    responses=UNKNOWN_RULE | PACK_OWNED | NOT_A_REF,
)
def delete_rule(
    ref: RuleRef,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("rule:write")],
) -> None:
    _check_may_write(caller, ref)
    command = m.UnregisterRule(
        **cause_of(caller, request, services), ref=ref, reason=f"deleted by {caller.login}"
    )
    services.execute_visibly(command)


@router.post("/{ref:ref}/enable", responses=UNKNOWN_RULE)
def enable_rule(
    ref: RuleRef,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("rule:write")],
) -> Rule:
    _check_may_write(caller, ref)
    services.execute_visibly(m.EnableRule(**cause_of(caller, request, services), ref=ref))
    return _written(services, ref)


@router.post("/{ref:ref}/disable", responses=UNKNOWN_RULE)
def disable_rule(
    ref: RuleRef,
    request: Request,
    services: Services,
    caller: Annotated[Caller, requires("rule:write")],
) -> Rule:
    _check_may_write(caller, ref)
    services.execute_visibly(m.DisableRule(**cause_of(caller, request, services), ref=ref))
    return _written(services, ref)
