"""Sealed secrets inside parameter sets, and masking their plaintext in a run's output.

A secret parameter's value is replaced, before it enters any event, by a *sealed* value:
``{"$secret": "<key id>:<ciphertext>"}``. The domain only recognises and masks sealed values;
sealing and unsealing (AES-256-GCM) happen at the edge through a `SecretBox`.

An action sees the plaintext and may print it; `plaintexts` and `masking` let the worker
replace it by ``********`` in the run's stdout, stderr, result and error before they are
recorded (docs/keystore.md, "Masking in run output").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

from attune.domain.parameters import ParameterSchema

SEALED_KEY = "$secret"
MASK = "********"
# Shorter values are not masked: masking every "ab" would garble the output and show, by
# the masks' places, what the value is anyway.
MIN_MASKED_LENGTH = 4

Mask = Callable[[Any], Any]


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


def plaintexts(value: Any) -> set[str]:
    """The texts by which a secret JSON value can show up in an action's output.

    Each text in it (anywhere in a list or object) as is, stripped, and escaped as in a JSON
    string (the action got its parameters as JSON, and may print them so); each number in its
    decimal form. Booleans, nulls and texts shorter than `MIN_MASKED_LENGTH` are left out.
    """
    if isinstance(value, str):
        forms = {
            value,
            value.strip(),
            json.dumps(value)[1:-1],
            json.dumps(value, ensure_ascii=False)[1:-1],
        }
        return {form for form in forms if len(form) >= MIN_MASKED_LENGTH}
    if isinstance(value, bool) or value is None:
        return set()
    if isinstance(value, int | float):
        return plaintexts(str(value))
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return {text for item in items for text in plaintexts(item)}


def masking(secrets: Iterable[str]) -> Mask:
    """A function that masks every occurrence of each of `secrets` in a JSON-like value.

    It replaces them in every text (dict keys included) at any depth of lists and dicts; a
    number whose decimal form holds a secret becomes that form masked (a text). Where one
    secret contains another, the longer is masked whole.
    """
    longest_first = sorted(set(secrets), key=len, reverse=True)
    if not longest_first:
        return lambda value: value
    # One pass: a mask never forms a new match, and the first alternative wins at a place.
    pattern = re.compile("|".join(re.escape(secret) for secret in longest_first))

    def mask(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(MASK, value)
        if isinstance(value, dict):
            return {mask(k): mask(v) for k, v in value.items()}
        if isinstance(value, list):
            return [mask(item) for item in value]
        if isinstance(value, int | float) and not isinstance(value, bool):
            text = str(value)
            masked_number = mask(text)
            return value if masked_number == text else masked_number
        return value

    return mask
