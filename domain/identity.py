"""Identities: people (users) and programs (service accounts) that act on Attune.

An identity is addressed by its login. It holds its roles and, for users, an Argon2id
password hash (hashing happens at the edge; the domain only keeps the hash). Identity
changes are domain events, so who could do what, when, is part of the log.

The `AdminRoster` keeps one rule that spans identities: some enabled identity always holds
the `admin` role, so that someone can still manage identities.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from attune.domain.errors import LastAdmin
from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import config_id

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9_.@\-]{0,63}$"
ADMIN_ROLE = "admin"  # the built-in role that grants everything, managing identities included


class IdentityKind(StrEnum):
    USER = "user"
    SERVICE = "service"


class Identity(AttuneAggregate):
    TOPIC = "identity"

    login: str
    kind: str
    roles: list[str]
    password_hash: str | None
    enabled: bool = True

    class Created(AttuneCreated):
        TOPIC = "identity.created"
        login: str
        kind: str
        roles: list[str]
        password_hash: str | None

    class PasswordChanged(AttuneEvent):
        TOPIC = "identity.password_changed"
        password_hash: str

        def apply(self, identity: Identity) -> None:
            identity.password_hash = self.password_hash

    class RolesChanged(AttuneEvent):
        TOPIC = "identity.roles_changed"
        roles: list[str]

        def apply(self, identity: Identity) -> None:
            identity.roles = self.roles

    class Disabled(AttuneEvent):
        TOPIC = "identity.disabled"

        def apply(self, identity: Identity) -> None:
            identity.enabled = False

    class Enabled(AttuneEvent):
        TOPIC = "identity.enabled"

        def apply(self, identity: Identity) -> None:
            identity.enabled = True

    @staticmethod
    def id_for(login: str) -> UUID:
        return config_id("identity", login)

    @classmethod
    def create(
        cls,
        login: str,
        kind: IdentityKind,
        roles: list[str],
        password_hash: str | None,
        cause: Cause,
    ) -> Identity:
        return cls._begin(
            cls.Created,
            cls.id_for(login),
            cause,
            login=login,
            kind=str(kind),
            roles=sorted(set(roles)),
            password_hash=password_hash,
        )

    def change_password(self, password_hash: str, cause: Cause) -> None:
        self._happen(self.PasswordChanged, cause, password_hash=password_hash)

    def set_roles(self, roles: list[str], cause: Cause) -> None:
        wanted = sorted(set(roles))
        if wanted != self.roles:
            self._happen(self.RolesChanged, cause, roles=wanted)

    def disable(self, cause: Cause) -> None:
        if self.enabled:
            self._happen(self.Disabled, cause)

    def enable(self, cause: Cause) -> None:
        if not self.enabled:
            self._happen(self.Enabled, cause)

    @property
    def is_admin(self) -> bool:
        return self.enabled and ADMIN_ROLE in self.roles


ADMIN_ROSTER_ID = config_id("admin_roster", ADMIN_ROLE)  # one roster per store


class AdminRoster(AttuneAggregate):
    """The logins of the enabled identities holding the `admin` role; once it has one, it
    never has none.

    Every command that may change who is an admin records the admins after it here. In one
    process the writer applies such commands one after another, each seeing the one before;
    two processes deciding at once both write this one aggregate, so the store's version
    check lets one through and the other, retried, sees its effect. Either way two admins
    cannot take each other's admin role away at the same moment.

    A store written before the roster existed has admins it has not seen; the first such
    command starts it from the admins it checked (the roster's, its caller and its target),
    and it learns the others as they act. An admin it has not seen yet is not counted: the
    roster may refuse a change that was safe, never allow one that was not.
    """

    TOPIC = "admin_roster"

    logins: list[str]

    class Created(AttuneCreated):
        TOPIC = "admin_roster.created"
        logins: list[str]

    class Changed(AttuneEvent):
        TOPIC = "admin_roster.changed"
        logins: list[str]

        def apply(self, roster: AdminRoster) -> None:
            roster.logins = self.logins

    @classmethod
    def start(cls, logins: Iterable[str], cause: Cause) -> AdminRoster:
        return cls._begin(cls.Created, ADMIN_ROSTER_ID, cause, logins=sorted(logins))

    def record(self, admins: frozenset[str], login: str, is_admin: bool, cause: Cause) -> None:
        """Record whether `login` is an enabled admin after a change; `admins` are the
        enabled admins before it, as the caller found them (the roster's and any it has not
        seen). Refuses, changing nothing, a change that leaves no admin."""
        after = admins | {login} if is_admin else admins - {login}
        if admins and not after:
            raise LastAdmin(login)
        # A change of who is an admin is written even when the roster already had it right
        # (an admin it had not seen left): the write is what concurrent changes collide on.
        if after != admins or sorted(after) != self.logins:
            self._happen(self.Changed, cause, logins=sorted(after))


class Session(AttuneAggregate):
    """One login: the refresh tokens of a session stay valid until it ends or is revoked."""

    TOPIC = "session"

    login: str
    expires_at: datetime  # when its refresh token expires
    revoked: bool = False

    class Started(AttuneCreated):
        TOPIC = "session.started"
        login: str
        expires_at: datetime

    class Revoked(AttuneEvent):
        TOPIC = "session.revoked"

        def apply(self, session: Session) -> None:
            session.revoked = True

    @classmethod
    def start(cls, session_id: UUID, login: str, expires_at: datetime, cause: Cause) -> Session:
        return cls._begin(cls.Started, session_id, cause, login=login, expires_at=expires_at)

    def revoke(self, cause: Cause) -> None:
        if not self.revoked:
            self._happen(self.Revoked, cause)


class ApiKey(AttuneAggregate):
    """A long-lived credential for automation, acting as its identity until revoked.

    Only a hash of the key's secret is kept; the secret is shown once, when created.
    """

    TOPIC = "api_key"

    login: str
    name: str
    secret_hash: str
    revoked: bool = False

    class Created(AttuneCreated):
        TOPIC = "api_key.created"
        login: str
        name: str
        secret_hash: str

    class Revoked(AttuneEvent):
        TOPIC = "api_key.revoked"

        def apply(self, key: ApiKey) -> None:
            key.revoked = True

    @classmethod
    def create(cls, key_id: UUID, login: str, name: str, secret_hash: str, cause: Cause) -> ApiKey:
        return cls._begin(
            cls.Created, key_id, cause, login=login, name=name, secret_hash=secret_hash
        )

    def revoke(self, cause: Cause) -> None:
        if not self.revoked:
            self._happen(self.Revoked, cause)
