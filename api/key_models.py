"""Request and response bodies of the keystore routes (``/api/v1/keys``).

A key is shown with its encrypted value masked (``********``) unless the caller asked for
a decrypted read and may make one.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, Field, StrictBool, StrictInt

from attune.api.pagination import Page
from attune.api.request_body import RequestBody
from attune.commands.keystore import SetKey, open_value
from attune.commands.ports import Unsealer
from attune.domain.keystore import KeyScope
from attune.domain.secrets import MASK

MAX_TTL = 100 * 366 * 24 * 3600  # beyond it, expiry times overflow long before year 9999


class KeyIn(RequestBody):
    """The body of ``PUT /api/v1/keys/{scope}/{name}``: set a key (creating it if needed)."""

    value: Any = Field(description="Any JSON value.", examples=["s3cret", {"user": "app"}])
    # Strict: JSON's 0 or "yes" is not a boolean, "60" not a number of seconds.
    encrypted: StrictBool = Field(
        default=False, description="Store the value encrypted (AES-256-GCM); shown masked."
    )
    ttl: StrictInt | None = Field(
        default=None,
        gt=0,
        le=MAX_TTL,
        description="Seconds until the key expires (default: never; at most 100 years).",
    )

    def expires_at(self, now: datetime) -> datetime | None:
        return None if self.ttl is None else now + timedelta(seconds=self.ttl)


class KeyOut(BaseModel):
    name: str
    scope: KeyScope
    owner: str | None = Field(description="The pack (pack keys) or login (user keys).")
    value: Any = Field(description="Encrypted values are shown as ******** unless decrypted.")
    encrypted: bool
    expires_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def masked(cls, row: dict[str, Any]) -> KeyOut:
        """A key row of the read model as shown without decryption."""
        return cls.model_validate({**row, "value": MASK if row["encrypted"] else row["value"]})

    @classmethod
    def as_set(cls, command: SetKey, created_at: datetime) -> KeyOut:
        """The key as `command` set it (first created at `created_at`), value masked if
        encrypted."""
        return cls(
            name=command.name,
            scope=command.scope,
            owner=command.owner,
            value=MASK if command.encrypt else command.value,
            encrypted=command.encrypt,
            expires_at=command.expires_at,
            created_at=created_at,
            updated_at=command.at,
        )

    @classmethod
    def decrypted(cls, row: dict[str, Any], secrets: Unsealer) -> KeyOut:
        """A key row with its value in plaintext (raises `SecretKeyMissing` if its key is gone)."""
        return cls.model_validate(
            {**row, "value": open_value(row["value"], row["encrypted"], secrets)}
        )


class SealedKey(BaseModel):
    """A key as stored, for a worker to resolve a reference: an encrypted value stays
    sealed (the worker opens it with the keyring, just before the action gets it)."""

    name: str
    scope: KeyScope
    owner: str | None
    value: Any = Field(description="The value, or its AES-256-GCM ciphertext if encrypted.")
    encrypted: bool


class KeyPage(Page[KeyOut]):
    pass
