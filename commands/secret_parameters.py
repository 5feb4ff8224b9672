"""Sealing the secret parameters of an action before they enter any event.

Parameters may arrive plain (from the API or a rule's rendering) or already sealed (an
enforcement's config, sealed when the enforcement was created). Either way they are
validated on their plain values and stored sealed.
"""

from __future__ import annotations

from typing import Any

from attune.commands.ports import SecretBox
from attune.commands.sealing import opened
from attune.domain.errors import InvalidParameters, ParameterProblem
from attune.domain.parameters import ParameterSchema
from attune.domain.secrets import is_sealed, sealed


def seal_secrets(
    schema: ParameterSchema, parameters: dict[str, Any], secrets: SecretBox
) -> dict[str, Any]:
    """The parameters with every secret one sealed (values sealed already stay as they are)."""
    return {
        name: sealed(secrets.seal(value))
        if name in schema and schema[name].secret and not is_sealed(value)
        else value
        for name, value in parameters.items()
    }


def unsealed(owner: str, parameters: dict[str, Any], secrets: SecretBox) -> dict[str, Any]:
    """The parameters with sealed values opened, for validation; names any that won't open."""
    plain: dict[str, Any] = {}
    problems: list[ParameterProblem] = []
    for name, value in parameters.items():
        try:
            plain[name] = opened(value, secrets)
        except Exception:  # a wrong key id, a tampered or foreign token
            problems.append(ParameterProblem(name, "is sealed, but not by a key Attune holds"))
    if problems:
        raise InvalidParameters(owner, problems)
    return plain
