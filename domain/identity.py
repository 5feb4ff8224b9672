"""Identities: people (users) and programs (service accounts) that act on Attune.

An identity is addressed by its login. It holds its roles and, for users, an Argon2id
password hash (hashing happens at the edge; the domain only keeps the hash). Identity
changes are domain events, so who could do what, when, is part of the log.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import config_id

LOGIN_PATTERN = r"^[a-z0-9][a-z0-9_.@\-]{0,63}$"


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
