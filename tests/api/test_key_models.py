"""The keystore's API bodies: encrypted values masked unless decrypted; a TTL sets the expiry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from attune.api.key_models import KeyIn, KeyOut
from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.keystore import KeyScope
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.projections.keystore import get_key
from attune.projections.projector import Projector
from tests.conftest import NOW


def test_an_encrypted_value_is_masked_unless_decrypted_and_a_plain_one_is_shown(
    commands: CommandService,
    store: EventStore,
    projector: Projector,
    read_engine: Engine,
    secret_box: AesGcmSecretBox,
) -> None:
    body = KeyIn.model_validate({"value": {"password": "pw-71"}, "encrypted": True, "ttl": 60})
    for name, encrypt in (("secret", body.encrypted), ("plain", False)):
        commands.execute(
            SetKey(
                actor="a",
                at=NOW,
                name=name,
                scope=KeyScope.SYSTEM,
                value=body.value,
                encrypt=encrypt,
                expires_at=body.expires_at(NOW),
            )
        )
    projector.catch_up(store)
    with read_engine.connect() as connection:
        secret = get_key(connection, "secret", KeyScope.SYSTEM, None, NOW)
        plain = get_key(connection, "plain", KeyScope.SYSTEM, None, NOW)
    assert secret is not None and plain is not None
    shown = KeyOut.masked(secret)
    assert shown.value == "********" and shown.encrypted
    assert shown.expires_at == NOW + timedelta(seconds=60)
    assert KeyOut.decrypted(secret, secret_box).value == {"password": "pw-71"}
    assert KeyOut.masked(plain).value == {"password": "pw-71"}


def test_a_key_body_needs_a_value_and_a_positive_ttl() -> None:
    assert KeyIn.model_validate({"value": None}).expires_at(NOW) is None
    for bad in ({}, {"value": 1, "ttl": 0}, {"value": 1, "scope": "system"}):
        with pytest.raises(ValidationError):
            KeyIn.model_validate(bad)
