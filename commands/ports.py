"""Ports the write side needs from the outside world (implemented in `attune.infra`)."""

from __future__ import annotations

from typing import Any, Protocol


class SecretBox(Protocol):
    """Authenticated encryption of secret values; the token names the key that sealed it."""

    def seal(self, value: Any) -> str: ...

    def unseal(self, token: str) -> Any: ...
