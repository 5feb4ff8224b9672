"""The keystore read model: live keys only, newest first; sealed values stay sealed; one
batch or one event at a time give the same rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import TypedDict

from sqlalchemy import Engine, create_engine

from attune.commands.keystore import DeleteKey, RevealKey, SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.keystore import KeyScope
from attune.infra.settings import Settings
from attune.projections.keystore import get_key, list_keys
from attune.projections.projector import Projector
from attune.projections.rebuild import dump_tables, rebuild
from tests.conftest import NOW

PLAINTEXT = "s3cret-never-in-the-read-model-8812"
SYSTEM, PACK, USER = KeyScope.SYSTEM, KeyScope.PACK, KeyScope.USER


class KeyAddress(TypedDict):
    """The fields of a keystore command that say which system key it is about."""

    name: str
    scope: KeyScope


def at(seconds: float) -> datetime:
    return NOW + timedelta(seconds=seconds)


def set_keys(commands: CommandService) -> None:
    for n, (name, scope, owner, value) in enumerate(
        [
            ("region", SYSTEM, None, "eu-west-1"),
            ("db_password", PACK, "core", PLAINTEXT),
            ("api_token", USER, "alice", "alice-token"),
            ("api_token", USER, "bob", "bob-token"),
        ]
    ):
        commands.execute(
            SetKey(
                actor="alice",
                at=at(n),
                name=name,
                scope=scope,
                owner=owner,
                value=value,
                encrypt=scope != SYSTEM,
            )
        )


def names(rows: list[dict[str, object]]) -> list[tuple[object, object, object]]:
    return [(r["scope"], r["owner"], r["name"]) for r in rows]


def test_live_keys_are_listed_newest_first_with_encrypted_values_still_sealed(
    commands: CommandService,
    store: EventStore,
    projector: Projector,
    read_engine: Engine,
    settings: Settings,
) -> None:
    set_keys(commands)
    projector.catch_up(store)
    with read_engine.connect() as connection:
        listing = list_keys(connection, now=at(10))
        by_owner = list_keys(connection, now=at(10), scope=USER, owner="alice")
        page = list_keys(connection, now=at(10), limit=1, offset=1)
        pack_key = get_key(connection, "db_password", PACK, "core", at(10))
        region = get_key(connection, "region", SYSTEM, None, at(10))
    assert listing.total == 4 and names(listing.rows) == [
        ("user", "bob", "api_token"),
        ("user", "alice", "api_token"),
        ("pack", "core", "db_password"),
        ("system", None, "region"),
    ]
    assert names(by_owner.rows) == [("user", "alice", "api_token")] and by_owner.total == 1
    assert names(page.rows) == [("user", "alice", "api_token")] and page.total == 4
    assert pack_key is not None and pack_key["encrypted"] and set(pack_key["value"]) == {"$secret"}
    assert pack_key["created_at"] == at(1) and pack_key["created_at"].tzinfo is not None
    assert region is not None and region["value"] == "eu-west-1" and not region["encrypted"]
    for file in settings.state_dir.glob("read.db*"):
        assert PLAINTEXT.encode() not in file.read_bytes()


def test_deleted_and_expired_keys_are_gone_and_a_key_set_again_comes_back(
    commands: CommandService, store: EventStore, projector: Projector, read_engine: Engine
) -> None:
    address: KeyAddress = {"name": "otp", "scope": SYSTEM}
    commands.execute(SetKey(actor="a", at=at(0), value=1, expires_at=at(30), **address))
    commands.execute(SetKey(actor="a", at=at(1), name="gone", scope=SYSTEM, value=2))
    commands.execute(DeleteKey(actor="a", at=at(2), name="gone", scope=SYSTEM))
    projector.catch_up(store)
    with read_engine.connect() as connection:
        assert names(list_keys(connection, now=at(29)).rows) == [("system", None, "otp")]
        assert list_keys(connection, now=at(30)).total == 0
        assert get_key(connection, "otp", SYSTEM, None, at(30)) is None
        assert get_key(connection, "gone", SYSTEM, None, at(3)) is None

    commands.execute(SetKey(actor="a", at=at(40), value=3, **address))
    commands.execute(RevealKey(actor="b", at=at(41), **address))  # changes no row
    projector.catch_up(store)
    with read_engine.connect() as connection:
        row = get_key(connection, "otp", SYSTEM, None, at(50))
    assert row is not None and row["value"] == 3 and row["expires_at"] is None
    assert (row["created_at"], row["updated_at"]) == (at(0), at(40))


def test_a_rebuild_equals_the_keys_projected_event_by_event(
    commands: CommandService, store: EventStore, read_engine: Engine, tmp_path: Path
) -> None:
    live = Projector(read_engine)

    def catch_up(_position: int) -> None:
        live.catch_up(store)

    store.on_saved(catch_up)
    set_keys(commands)
    commands.execute(SetKey(actor="a", at=at(5), name="region", scope=SYSTEM, value="us-east-1"))
    commands.execute(DeleteKey(actor="a", at=at(6), name="api_token", scope=USER, owner="bob"))

    replayed = create_engine(f"sqlite:///{tmp_path / 'replayed.db'}")
    assert rebuild(store, replayed, batch_size=100) == store.position()
    assert dump_tables(replayed)["key"] == dump_tables(read_engine)["key"]
    replayed.dispose()
