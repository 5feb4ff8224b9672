"""Keystore references: rules carry them unresolved; the worker's lookup searches the user,
then the action's pack, then system keys, opens encrypted values and keeps JSON types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import ActionDefinition
from attune.domain.errors import InvalidParameters
from attune.domain.keystore import KeyScope
from attune.domain.parameters import ParameterSpec
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.projections.keystore import get_key
from attune.projections.projector import Projector
from attune.streams.rule_engine import RuleEngine
from attune.streams.worker.keystore_references import (
    KeyNotFound,
    Lookup,
    keystore_lookup,
    resolve_keystore,
    search_order,
)
from tests.conftest import NOW
from tests.streams.events import action_registered, at, fired, rule_registered

DEPLOY = ActionDefinition(
    ref="ops.deploy",
    pack="ops",
    name="deploy",
    runner_type="noop",
    parameters={
        "password": ParameterSpec(type="string", secret=True),
        "port": ParameterSpec(type="integer"),
        "url": ParameterSpec(type="string"),
    },
)


@pytest.fixture
def keys(
    commands: CommandService, store: EventStore, projector: Projector, read_engine: Engine
) -> Iterator[Connection]:
    """The keystore's read model, holding `token` in every scope and a few system keys."""
    for scope, owner, name, value, encrypt in [
        (KeyScope.SYSTEM, None, "token", "system-token", False),
        (KeyScope.PACK, "ops", "token", "ops-token", True),
        (KeyScope.USER, "alice", "token", "alice-token", True),
        (KeyScope.SYSTEM, None, "port", 5432, False),
        (KeyScope.SYSTEM, None, "host", "db.internal", False),
    ]:
        commands.execute(
            SetKey(
                actor="admin",
                at=NOW,
                name=name,
                scope=scope,
                owner=owner,
                value=value,
                encrypt=encrypt,
            )
        )
    projector.catch_up(store)
    with read_engine.connect() as connection:
        yield connection


def lookup_for(
    connection: Connection, secrets: AesGcmSecretBox, requester: str | None, pack: str
) -> Lookup:
    def find(name: str, scope: KeyScope, owner: str | None) -> dict[str, Any] | None:
        return get_key(connection, name, scope, owner, NOW)

    return keystore_lookup(find, secrets, requester, pack)


def test_a_rule_passes_keystore_references_on_unresolved() -> None:
    engine = RuleEngine()
    for event in (
        action_registered(parameters={"message": {"type": "string"}, "port": {"type": "integer"}}),
        rule_registered(
            action_params={
                "message": "{{ trigger.host }}: {{ keystore.token }}",
                "port": "{{ keystore.port }}",
            }
        ),
    ):
        engine.handle(event, at(0))
    [create] = engine.handle(fired({"host": "db1"}), at(2))
    assert create.config == {  # type: ignore[attr-defined]
        "message": "db1: {{ keystore.token }}",
        "port": "{{ keystore.port }}",
    }


def test_references_are_searched_in_user_then_pack_then_system_keys(
    keys: Connection, secret_box: AesGcmSecretBox
) -> None:
    assert search_order("alice", "ops") == [
        (KeyScope.USER, "alice"),
        (KeyScope.PACK, "ops"),
        (KeyScope.SYSTEM, None),
    ]
    parameters = {"password": "{{ keystore.token }}"}
    for requester, pack, expected in [
        ("alice", "ops", "alice-token"),
        ("bob", "ops", "ops-token"),
        (None, "other", "system-token"),
    ]:
        lookup = lookup_for(keys, secret_box, requester, pack)
        assert resolve_keystore(DEPLOY, parameters, lookup) == {"password": expected}


def test_a_whole_reference_keeps_the_keys_type_and_an_embedded_one_becomes_text(
    keys: Connection, secret_box: AesGcmSecretBox
) -> None:
    lookup = lookup_for(keys, secret_box, None, "ops")
    resolved = resolve_keystore(
        DEPLOY,
        {"port": "{{ keystore.port }}", "url": "pg://{{ keystore.host }}:{{ keystore.port }}"},
        lookup,
    )
    assert resolved == {"port": 5432, "url": "pg://db.internal:5432"}


def test_a_missing_key_or_a_value_of_the_wrong_type_is_named(
    keys: Connection, secret_box: AesGcmSecretBox
) -> None:
    lookup = lookup_for(keys, secret_box, "bob", "ops")
    missing = "no key 'nope' in the keystore \\(searched: user 'bob', pack 'ops', system\\)"
    with pytest.raises(KeyNotFound, match=missing):
        resolve_keystore(DEPLOY, {"url": "x{{ keystore.nope }}"}, lookup)
    with pytest.raises(InvalidParameters, match="port: must be of type integer, got str"):
        resolve_keystore(DEPLOY, {"port": "{{ keystore.host }}"}, lookup)
