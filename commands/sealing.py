"""Opening a sealed value (`{"$sealed": token}`, see `attune.domain.secrets`): the one
place that does, for the command handlers, keystore reads and the worker."""

from __future__ import annotations

from typing import Any

from attune.commands.ports import Unsealer
from attune.domain.secrets import SEALED_KEY, is_sealed


def opened(value: Any, secrets: Unsealer) -> Any:
    """`value` in plaintext if it is sealed, else as it is (raises what `unseal` raises: a
    key that was removed, a tampered or foreign token)."""
    return secrets.unseal(value[SEALED_KEY]) if is_sealed(value) else value
