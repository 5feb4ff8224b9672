"""Handlers of the identity commands: identities, custom roles, sessions and API keys.

The handlers that may change who is an admin (create, set roles, disable, enable) keep the
`AdminRoster`, which refuses to leave no enabled admin. As every handler, they check before
they change anything, so a refused command leaves nothing in a shared unit of work.
"""

from __future__ import annotations

from typing import Any

from attune.commands import models as m
from attune.commands.errors import AlreadyExists, UnknownEntity
from attune.commands.ports import SecretBox
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.access import BUILT_IN_ROLES
from attune.domain.configuration import Role
from attune.domain.errors import InvalidDefinition
from attune.domain.identity import (
    ADMIN_ROLE,
    ADMIN_ROSTER_ID,
    AdminRoster,
    ApiKey,
    Identity,
    Session,
)


def _identity(uow: UnitOfWork, login: str) -> Identity:
    identity = uow.get(Identity, Identity.id_for(login))
    if identity is None:
        raise UnknownEntity("identity", login)
    return identity


def _check_roles(uow: UnitOfWork, roles: list[str]) -> None:
    for role in roles:
        if role not in BUILT_IN_ROLES and uow.get(Role, Role.id_for(role)) is None:
            raise InvalidDefinition("identity", "roles", f"unknown role '{role}'")


def _is_admin(uow: UnitOfWork, login: str) -> bool:
    identity = uow.get(Identity, Identity.id_for(login))
    return identity is not None and identity.is_admin


def _record_admin(uow: UnitOfWork, command: m.Command, login: str, is_admin: bool) -> None:
    """Record in the roster whether `login` is an enabled admin after `command`, which has
    not changed anything yet; raises `LastAdmin` if it would leave no enabled admin."""
    roster = uow.get(AdminRoster, ADMIN_ROSTER_ID)
    # Who is an admin now, as the identities say: the roster's members, and the caller and
    # the target, which a store from before the roster may not have listed.
    candidates = {*(roster.logins if roster else ()), command.actor, login}
    admins = frozenset(c for c in candidates if _is_admin(uow, c))
    started = roster is None
    if roster is None:
        roster = AdminRoster.start(admins, command.cause())
    roster.record(admins, login, is_admin, command.cause())
    if started and roster.logins:  # an empty roster would say nothing
        uow.add(roster)


def create_identity(command: m.CreateIdentity, uow: UnitOfWork, _s: SecretBox) -> None:
    if uow.get(Identity, Identity.id_for(command.login)) is not None:
        raise AlreadyExists("identity", command.login)
    _check_roles(uow, command.roles)
    _record_admin(uow, command, command.login, ADMIN_ROLE in command.roles)
    uow.add(
        Identity.create(
            command.login, command.kind, command.roles, command.password_hash, command.cause()
        )
    )


def change_password(command: m.ChangePassword, uow: UnitOfWork, _s: SecretBox) -> None:
    _identity(uow, command.login).change_password(command.password_hash, command.cause())


def set_roles(command: m.SetRoles, uow: UnitOfWork, _s: SecretBox) -> None:
    _check_roles(uow, command.roles)
    identity = _identity(uow, command.login)
    _record_admin(uow, command, command.login, identity.enabled and ADMIN_ROLE in command.roles)
    identity.set_roles(command.roles, command.cause())


def disable_identity(command: m.DisableIdentity, uow: UnitOfWork, _s: SecretBox) -> None:
    identity = _identity(uow, command.login)
    _record_admin(uow, command, command.login, False)
    identity.disable(command.cause())


def enable_identity(command: m.EnableIdentity, uow: UnitOfWork, _s: SecretBox) -> None:
    identity = _identity(uow, command.login)
    _record_admin(uow, command, command.login, ADMIN_ROLE in identity.roles)
    identity.enable(command.cause())


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
    m.EnableIdentity: enable_identity,
    m.StartSession: start_session,
    m.RevokeSession: revoke_session,
    m.CreateApiKey: create_api_key,
    m.RevokeApiKey: revoke_api_key,
}
