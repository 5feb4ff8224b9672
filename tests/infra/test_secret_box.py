"""The keyring: AES-256-GCM tokens name their key; rotation keeps old values readable; a
removed key fails only the values it sealed, naming itself."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from attune.infra.security.secret_box import SecretKeyMissing, key_id_of, open_keyring


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_values_are_sealed_under_a_private_first_key_and_open_again(tmp_path: Path) -> None:
    box = open_keyring(tmp_path)
    token = box.seal({"password": "hunter2-plain"})
    key = (tmp_path / "secret.key").read_bytes()
    assert len(key) == 32 and mode(tmp_path / "secret.key") == 0o600
    assert token.startswith(f"{key_id_of(key)}:") and "hunter2-plain" not in token
    assert open_keyring(tmp_path).unseal(token) == {"password": "hunter2-plain"}


def test_a_state_directory_with_only_its_old_key_file_keeps_working(tmp_path: Path) -> None:
    key = os.urandom(32)
    (tmp_path / "secret.key").write_bytes(key)
    box = open_keyring(tmp_path)
    assert (tmp_path / "secret.key").read_bytes() == key
    assert box.seal(1).startswith(f"{key_id_of(key)}:")


def test_a_tampered_token_does_not_open(tmp_path: Path) -> None:
    box = open_keyring(tmp_path)
    key_id, _, blob = box.seal("value").partition(":")
    flipped = blob[:-6] + ("A" if blob[-6] != "A" else "B") + blob[-5:]
    with pytest.raises(InvalidTag):
        box.unseal(f"{key_id}:{flipped}")


def test_after_rotation_new_values_use_the_new_key_and_old_ones_still_open(
    tmp_path: Path,
) -> None:
    running = open_keyring(tmp_path)  # a running Attune, while the CLI rotates
    old = running.seal("before")
    new_id = open_keyring(tmp_path).rotate()
    assert mode(tmp_path / "keys" / f"{new_id}.key") == 0o600
    assert (tmp_path / "keys" / "current").read_text() == new_id
    new = running.seal("after")
    assert new.startswith(f"{new_id}:") and not old.startswith(f"{new_id}:")
    assert (running.unseal(old), running.unseal(new)) == ("before", "after")
    assert open_keyring(tmp_path).unseal(old) == "before"


def test_removing_a_retired_key_fails_only_its_values_naming_it(tmp_path: Path) -> None:
    running = open_keyring(tmp_path)
    first = running.seal("first")
    second_id = running.rotate()
    second = running.seal("second")
    third_id = running.rotate()
    third = running.seal("third")

    (tmp_path / "secret.key").unlink()
    (tmp_path / "keys" / f"{second_id}.key").unlink()

    first_id = first.partition(":")[0]
    for box in (running, open_keyring(tmp_path)):
        with pytest.raises(SecretKeyMissing, match=f"the key {first_id} that sealed this value"):
            box.unseal(first)
        with pytest.raises(SecretKeyMissing, match=f"the key {second_id} .* no longer in"):
            box.unseal(second)
        assert box.unseal(third) == "third"
        assert box.seal("more").startswith(f"{third_id}:")
    assert not (tmp_path / "secret.key").exists()  # not generated again


def test_a_missing_current_key_stops_sealing_but_not_opening_other_values(
    tmp_path: Path,
) -> None:
    box = open_keyring(tmp_path)
    first = box.seal("first")
    current = box.rotate()
    (tmp_path / "keys" / f"{current}.key").unlink()
    with pytest.raises(SecretKeyMissing, match=f"the current key {current} is not in"):
        box.seal("x")
    assert box.unseal(first) == "first"
