"""The keystore: named JSON values (credentials, endpoints, settings) that actions use.

A key is addressed by its scope, owner and name: a ``system`` key has no owner, a ``pack``
key belongs to a pack (owner: the pack's ref), a ``user`` key to an identity (owner: its
login). Its value is kept as given, or sealed (``{"$secret": ...}``, see
`attune.domain.secrets`) when it is encrypted: the plaintext of an encrypted value never
enters an event. A key with `expires_at` stops being live at that instant (its TTL). A
deleted key may be set again, and comes back. Reading an encrypted value in plaintext is
recorded (``key.revealed``) so decrypted reads can be audited.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from attune.domain.errors import DomainError
from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import config_id
from attune.domain.secrets import is_sealed

KEY_NAME_PATTERN = r"^[A-Za-z0-9_\-\.]+$"
_KEY_NAME = re.compile(KEY_NAME_PATTERN)


class KeyScope(StrEnum):
    SYSTEM = "system"
    PACK = "pack"
    USER = "user"


class InvalidKey(DomainError):
    """A key was given a name, owner, value or expiry the keystore does not accept."""


def _check_address(name: str, scope: KeyScope, owner: str | None) -> None:
    if not _KEY_NAME.match(name):
        raise InvalidKey(f"'{name}' is not a key name: use letters, digits, '_', '-' and '.'")
    if scope == KeyScope.SYSTEM and owner is not None:
        raise InvalidKey("a system key has no owner")
    if scope != KeyScope.SYSTEM and not owner:
        raise InvalidKey(f"a {scope} key needs an owner (the {scope}'s name)")


def _check_value(value: Any, encrypted: bool, expires_at: datetime | None, at: datetime) -> None:
    # A plain value that looked sealed would be masked and "unsealed" like a secret.
    if encrypted != is_sealed(value):
        raise InvalidKey(
            "an encrypted key holds a sealed value"
            if encrypted
            else "a plain key's value cannot be a sealed value ({'$secret': ...})"
        )
    if expires_at is not None and expires_at <= at:
        raise InvalidKey("a key must expire after the time it is set")


class Key(AttuneAggregate):
    TOPIC = "key"

    name: str
    scope: str
    owner: str | None
    value: Any  # sealed when encrypted
    encrypted: bool
    expires_at: datetime | None
    deleted: bool = False

    class Created(AttuneCreated):
        TOPIC = "key.created"
        name: str
        scope: str
        owner: str | None
        value: Any
        encrypted: bool
        expires_at: datetime | None

    class Updated(AttuneEvent):
        """The key was set again (bringing it back if it had been deleted)."""

        TOPIC = "key.updated"
        value: Any
        encrypted: bool
        expires_at: datetime | None

        def apply(self, key: Key) -> None:
            key.value, key.encrypted, key.expires_at = self.value, self.encrypted, self.expires_at
            key.deleted = False

    class Deleted(AttuneEvent):
        TOPIC = "key.deleted"

        def apply(self, key: Key) -> None:
            key.deleted = True

    class Revealed(AttuneEvent):
        """Someone (the event's actor) read the key's value in plaintext."""

        TOPIC = "key.revealed"

    @staticmethod
    def id_for(scope: KeyScope, owner: str | None, name: str) -> UUID:
        return config_id("key", f"{scope}/{owner or ''}/{name}")

    @classmethod
    def set_new(
        cls,
        name: str,
        scope: KeyScope,
        owner: str | None,
        value: Any,
        encrypted: bool,
        expires_at: datetime | None,
        cause: Cause,
    ) -> Key:
        _check_address(name, scope, owner)
        _check_value(value, encrypted, expires_at, cause.at)
        return cls._begin(
            cls.Created,
            cls.id_for(scope, owner, name),
            cause,
            name=name,
            scope=KeyScope(scope).value,
            owner=owner,
            value=value,
            encrypted=encrypted,
            expires_at=expires_at,
        )

    def change(
        self, value: Any, encrypted: bool, expires_at: datetime | None, cause: Cause
    ) -> None:
        _check_value(value, encrypted, expires_at, cause.at)
        self._happen(self.Updated, cause, value=value, encrypted=encrypted, expires_at=expires_at)

    def delete(self, cause: Cause) -> None:
        if not self.deleted:  # deleting twice is one deletion
            self._happen(self.Deleted, cause)

    def reveal(self, cause: Cause) -> None:
        self._happen(self.Revealed, cause)

    def is_live(self, now: datetime) -> bool:
        """Not deleted and not expired: a key the keystore shows and references find."""
        return not self.deleted and (self.expires_at is None or now < self.expires_at)
