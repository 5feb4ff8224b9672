"""Requesting an execution: an action's parameters checked against its schema, with the
pack's configured defaults, secret ones sealed. The API's requests, the rule engine's and
a workflow's tasks all go through `requested_execution`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from attune.commands.config_defaults import configured_defaults
from attune.commands.errors import DisabledEntity, UnknownEntity
from attune.commands.ports import SecretBox
from attune.commands.secret_parameters import seal_secrets, unsealed
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.configuration import Action, Pack
from attune.domain.definitions import ActionDefinition
from attune.domain.events import Cause
from attune.domain.execution import Execution
from attune.domain.parameters import validate_parameters


def action_definition(uow: UnitOfWork, ref: str) -> ActionDefinition:
    action = uow.get(Action, Action.id_for(ref))
    if action is None:
        raise UnknownEntity("action", ref)
    return action.parsed_definition()


def requested_execution(
    uow: UnitOfWork,
    secrets: SecretBox,
    execution_id: UUID,
    action: str,
    given: dict[str, Any],
    cause: Cause,
    **fields: Any,
) -> Execution:
    """A new execution of `action`: its parameters checked against the action's schema
    (the pack's configured defaults and the schema's filled in), secret ones sealed.
    Raises `UnknownEntity`, `DisabledEntity` or `InvalidParameters`."""
    definition = action_definition(uow, action)
    if not definition.enabled:
        raise DisabledEntity("action", action)
    pack = uow.get(Pack, Pack.id_for(definition.pack))
    config = {} if pack is None or pack.config is None else pack.config
    plain = unsealed(action, configured_defaults(definition, given, config), secrets)
    valid = validate_parameters(action, definition.parameters, plain)
    parameters = seal_secrets(definition.parameters, valid, secrets)
    return Execution.request(
        execution_id, action, parameters, cause, runner_type=definition.runner_type, **fields
    )
