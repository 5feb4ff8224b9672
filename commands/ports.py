"""Ports the write side needs from the outside world (implemented in `attune.infra`)."""

from __future__ import annotations

from typing import Any, Protocol

from attune.domain.errors import DomainError


class SecretKeyMissing(DomainError):
    """A sealed value cannot be opened: the key that sealed it is not in the keyring."""


class Unsealer(Protocol):
    """Opens sealed values (the worker and keystore reads need no more than this)."""

    def unseal(self, token: str) -> Any: ...


class SecretBox(Unsealer, Protocol):
    """Authenticated encryption of secret values; the token names the key that sealed it."""

    def seal(self, value: Any) -> str: ...
