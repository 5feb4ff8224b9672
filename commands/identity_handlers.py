"""Handlers of the identity commands: identities, custom roles, sessions and API keys."""

from __future__ import annotations

from typing import Any

from attune.commands import models as m
from attune.commands.errors import AlreadyExists, UnknownEntity
from attune.commands.ports import SecretBox
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.access import BUILT_IN_ROLES
from attune.domain.configuration import Role
from attune.domain.errors import InvalidDefinition
from attune.domain.identity import ApiKey, Identity, Session


def _identity(uow: UnitOfWork, login: str) -> Identity:
    identity = uow.get(Identity, Identity.id_for(login))
    if identity is None:
        raise UnknownEntity("identity", login)
    return identity


def _check_roles(uow: UnitOfWork, roles: list[str]) -> None:
    for role in roles:
        if role not in BUILT_IN_ROLES and uow.get(Role, Role.id_for(role)) is None:
            raise InvalidDefinition("identity", "roles", f"unknown role '{role}'")


def create_identity(command: m.CreateIdentity, uow: UnitOfWork, _s: SecretBox) -> None:
    if uow.get(Identity, Identity.id_for(command.login)) is not None:
        raise AlreadyExists("identity", command.login)
    _check_roles(uow, command.roles)
    uow.add(
        Identity.create(
            command.login, command.kind, command.roles, command.password_hash, command.cause()
        )
    )


def change_password(command: m.ChangePassword, uow: UnitOfWork, _s: SecretBox) -> None:
    _identity(uow, command.login).change_password(command.password_hash, command.cause())


def set_roles(command: m.SetRoles, uow: UnitOfWork, _s: SecretBox) -> None:
    _check_roles(uow, command.roles)
    _identity(uow, command.login).set_roles(command.roles, command.cause())


def disable_identity(command: m.DisableIdentity, uow: UnitOfWork, _s: SecretBox) -> None:
    _identity(uow, command.login).disable(command.cause())


def start_session(command: m.StartSession, uow: UnitOfWork, _s: SecretBox) -> None:
    _identity(uow, command.login)
    uow.add(Session.start(command.session_id, command.login, command.expires_at, command.cause()))


def revoke_session(command: m.RevokeSession, uow: UnitOfWork, _s: SecretBox) -> None:
    session = uow.get(Session, command.session_id)
    if session is None:
        raise UnknownEntity("session", command.session_id)
    session.revoke(command.cause())


def create_api_key(command: m.CreateApiKey, uow: UnitOfWork, _s: SecretBox) -> None:
    _identity(uow, command.login)
    key = ApiKey.create(
        command.key_id, command.login, command.name, command.secret_hash, command.cause()
    )
    uow.add(key)


def revoke_api_key(command: m.RevokeApiKey, uow: UnitOfWork, _s: SecretBox) -> None:
    key = uow.get(ApiKey, command.key_id)
    if key is None:
        raise UnknownEntity("API key", command.key_id)
    key.revoke(command.cause())


IDENTITY_HANDLERS: dict[type[m.Command], Any] = {
    m.CreateIdentity: create_identity,
    m.ChangePassword: change_password,
    m.SetRoles: set_roles,
    m.DisableIdentity: disable_identity,
    m.StartSession: start_session,
    m.RevokeSession: revoke_session,
    m.CreateApiKey: create_api_key,
    m.RevokeApiKey: revoke_api_key,
}
