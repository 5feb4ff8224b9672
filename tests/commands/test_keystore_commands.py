"""Keystore commands against a real store: encrypted values are sealed before any event is
written; deleted and expired keys are unknown; decrypted reads are recorded."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

import pytest

from attune.commands.errors import UnknownEntity
from attune.commands.keystore import DeleteKey, RevealKey, SetKey, open_value
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.keystore import InvalidKey, Key, KeyScope
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.infra.settings import Settings
from tests.conftest import NOW

PLAINTEXT = "correct-horse-battery-staple-5531"


class KeyAddress(TypedDict):
    """The fields of a keystore command that say which key it is about."""

    name: str
    scope: KeyScope
    owner: str | None


def stored_key(store: EventStore, scope: KeyScope, owner: str | None, name: str) -> Key:
    key = store.load(Key.id_for(scope, owner, name))
    assert isinstance(key, Key)
    return key


def test_an_encrypted_value_is_sealed_before_it_is_stored_and_opens_again(
    commands: CommandService, store: EventStore, settings: Settings, secret_box: AesGcmSecretBox
) -> None:
    commands.execute(
        SetKey(
            actor="alice",
            at=NOW,
            name="db_password",
            scope=KeyScope.PACK,
            owner="core",
            value={"user": "app", "password": PLAINTEXT},
            encrypt=True,
        )
    )
    key = stored_key(store, KeyScope.PACK, "core", "db_password")
    assert key.encrypted and set(key.value) == {"$secret"}
    opened = open_value(key.value, key.encrypted, secret_box)
    assert opened == {"user": "app", "password": PLAINTEXT}
    for file in settings.state_dir.glob("events.db*"):
        assert PLAINTEXT.encode() not in file.read_bytes()


def test_a_plain_value_is_stored_as_given_and_opens_as_itself(
    commands: CommandService, store: EventStore, secret_box: AesGcmSecretBox
) -> None:
    commands.execute(
        SetKey(actor="a", at=NOW, name="hosts", scope=KeyScope.SYSTEM, value=["a", "b"])
    )
    key = stored_key(store, KeyScope.SYSTEM, None, "hosts")
    assert key.value == ["a", "b"] and open_value(key.value, key.encrypted, secret_box) == key.value


def test_a_deleted_key_is_unknown_until_it_is_set_again(
    commands: CommandService, store: EventStore
) -> None:
    address: KeyAddress = {"name": "api_token", "scope": KeyScope.USER, "owner": "alice"}
    commands.execute(SetKey(actor="alice", at=NOW, value="t1", **address))
    commands.execute(DeleteKey(actor="alice", at=NOW, **address))
    for command in (DeleteKey, RevealKey):
        with pytest.raises(UnknownEntity, match="unknown key 'user/alice/api_token'"):
            commands.execute(command(actor="alice", at=NOW, **address))
    commands.execute(SetKey(actor="alice", at=NOW, value="t2", **address))
    key = stored_key(store, KeyScope.USER, "alice", "api_token")
    assert key.is_live(NOW) and key.value == "t2"


def test_an_expired_key_cannot_be_revealed_or_deleted(commands: CommandService) -> None:
    expires = NOW + timedelta(seconds=30)
    commands.execute(
        SetKey(actor="a", at=NOW, name="otp", scope=KeyScope.SYSTEM, value=1, expires_at=expires)
    )
    commands.execute(
        RevealKey(actor="a", at=expires - timedelta(seconds=1), name="otp", scope=KeyScope.SYSTEM)
    )
    for command in (RevealKey, DeleteKey):
        with pytest.raises(UnknownEntity, match="unknown key 'system/otp'"):
            commands.execute(command(actor="a", at=expires, name="otp", scope=KeyScope.SYSTEM))


def test_a_reveal_is_recorded_with_its_actor(commands: CommandService, store: EventStore) -> None:
    commands.execute(
        SetKey(actor="alice", at=NOW, name="t", scope=KeyScope.SYSTEM, value="x", encrypt=True)
    )
    position = commands.execute(RevealKey(actor="bob", at=NOW, name="t", scope=KeyScope.SYSTEM))
    ((_, revealed),) = store.read(position - 1, 10)
    assert type(revealed).TOPIC == "key.revealed" and revealed.actor == "bob"  # type: ignore[attr-defined]


def test_a_refused_key_writes_nothing(commands: CommandService, store: EventStore) -> None:
    before = store.position()
    with pytest.raises(InvalidKey, match="'my key' is not a key name"):
        commands.execute(SetKey(actor="a", at=NOW, name="my key", scope=KeyScope.SYSTEM, value=1))
    with pytest.raises(InvalidKey, match="a pack key needs an owner"):
        commands.execute(SetKey(actor="a", at=NOW, name="k", scope=KeyScope.PACK, value=1))
    assert store.position() == before
