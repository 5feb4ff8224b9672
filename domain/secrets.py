"""Sealed secrets inside parameter sets.

A secret parameter's value is replaced, before it enters any event, by a *sealed* value:
``{"$secret": "<key id>:<ciphertext>"}``. The domain only recognises and masks sealed values;
sealing and unsealing (AES-256-GCM) happen at the edge through a `SecretBox`.
"""

from __future__ import annotations

from typing import Any

from attune.domain.parameters import ParameterSchema

SEALED_KEY = "$secret"
MASK = "********"


def sealed(token: str) -> dict[str, str]:
    return {SEALED_KEY: token}


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and len(value) == 1 and SEALED_KEY in value


def secret_names(schema: ParameterSchema) -> list[str]:
    return [name for name, spec in schema.items() if spec.secret]


def masked(parameters: dict[str, Any] | None) -> dict[str, Any] | None:
    """Parameters as shown to people: every sealed value becomes ``********``."""
    if parameters is None:
        return None
    return {k: (MASK if is_sealed(v) else v) for k, v in parameters.items()}
