"""Keys: addressed by scope, owner and name; set, expire, delete and come back; reveals audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from attune.domain.events import Cause
from attune.domain.keystore import InvalidKey, Key, KeyScope
from attune.domain.secrets import sealed

T0 = datetime(2026, 1, 1, tzinfo=UTC)
CAUSE = Cause("alice", T0)
SYSTEM, PACK, USER = KeyScope.SYSTEM, KeyScope.PACK, KeyScope.USER


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def names(key: Key) -> list[str]:
    return [type(e).TOPIC for e in key.collect_events()]  # type: ignore[attr-defined]


def test_a_key_is_addressed_deterministically_by_scope_owner_and_name() -> None:
    key = Key.set_new("db_password", PACK, "core", "pw", False, None, CAUSE)
    assert key.id == Key.id_for(PACK, "core", "db_password")
    assert Key.id_for(USER, "p", "x") != Key.id_for(PACK, "p", "x") != Key.id_for(SYSTEM, None, "x")
    assert (key.name, key.scope, key.owner, key.value) == ("db_password", "pack", "core", "pw")


def test_any_json_value_is_kept_as_given_and_an_encrypted_one_only_sealed() -> None:
    plain = Key.set_new("hosts", SYSTEM, None, {"a": [1, 2]}, False, None, CAUSE)
    assert plain.value == {"a": [1, 2]} and not plain.encrypted
    secret = Key.set_new("token", SYSTEM, None, sealed("k:abc"), True, None, CAUSE)
    assert secret.encrypted and secret.value == {"$secret": "k:abc"}
    with pytest.raises(InvalidKey, match="an encrypted key holds a sealed value"):
        Key.set_new("token", SYSTEM, None, "plaintext", True, None, CAUSE)
    with pytest.raises(InvalidKey, match="a plain key's value cannot be a sealed value"):
        plain.change(sealed("k:abc"), False, None, CAUSE)


@pytest.mark.parametrize(
    ("name", "scope", "owner", "problem"),
    [
        ("db password", SYSTEM, None, "'db password' is not a key name"),
        ("x", SYSTEM, "core", "a system key has no owner"),
        ("x", PACK, None, "a pack key needs an owner"),
        ("x", USER, "", "a user key needs an owner"),
    ],
)
def test_bad_names_and_owners_are_refused(
    name: str, scope: KeyScope, owner: str | None, problem: str
) -> None:
    with pytest.raises(InvalidKey, match=problem):
        Key.set_new(name, scope, owner, 1, False, None, CAUSE)


def test_a_key_with_a_ttl_is_live_until_it_expires() -> None:
    key = Key.set_new("otp", USER, "alice", "123456", False, later(60), CAUSE)
    assert key.is_live(later(59)) and not key.is_live(later(60))
    with pytest.raises(InvalidKey, match="must expire after the time it is set"):
        key.change("654321", False, T0, CAUSE)


def test_setting_again_changes_the_value_and_brings_a_deleted_key_back() -> None:
    key = Key.set_new("n", SYSTEM, None, 1, False, None, CAUSE)
    key.delete(CAUSE)
    key.delete(CAUSE)  # deleting twice is one deletion
    assert not key.is_live(T0)
    key.change(2, False, later(10), Cause("bob", later(1)))
    assert key.is_live(later(2)) and key.value == 2 and key.expires_at == later(10)
    assert names(key) == ["key.created", "key.deleted", "key.updated"]


def test_a_reveal_is_recorded_with_its_actor_and_changes_nothing_else() -> None:
    key = Key.set_new("token", SYSTEM, None, sealed("k:abc"), True, None, CAUSE)
    key.collect_events()
    key.reveal(Cause("bob", later(5)))
    (revealed,) = key.collect_events()
    assert type(revealed).TOPIC == "key.revealed"  # type: ignore[attr-defined]
    assert revealed.actor == "bob" and revealed.timestamp == later(5)  # type: ignore[attr-defined]
    assert key.value == {"$secret": "k:abc"} and key.is_live(later(5))
