"""AES-256-GCM sealing of secret values and the keyring: the one crypto module of Attune.

A sealed token is ``<key id>:<base64(nonce ‖ ciphertext)>``, the key id being the first
16 hex digits of the key's SHA-256 (it is also the ciphertext's associated data), so keys
can rotate while old values stay readable.

The keyring lives in the state directory, every key file readable only by its owner:
``secret.key`` is the first key (generated on first start), ``keys/<key id>.key`` are the
keys `rotate` made, and ``keys/current`` names the key new values are sealed with (the
first key while there is no such file). A retired key may be removed: the values it
sealed then fail to open, naming it, and everything else works on.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from attune.commands.ports import SecretKeyMissing
from attune.infra.security.private_files import private_directory, write_private_file

FIRST_KEY = "secret.key"
KEYS = "keys"
CURRENT = "current"
KEY_SUFFIX = ".key"


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def _read_key(path: Path) -> bytes:
    key = path.read_bytes()
    if len(key) != 32:
        raise SecretKeyMissing(f"{path} does not hold a 32-byte key")
    return key


@dataclass(frozen=True)
class _Files:
    """What the keyring's files are: enough to tell that one came, went or changed."""

    first: bool  # whether secret.key is there
    names: frozenset[str]  # the files in keys/
    current: tuple[int, int, int] | None  # keys/current's inode, mtime and size


@dataclass(frozen=True)
class _Ring:
    files: _Files
    ciphers: dict[str, AESGCM]
    current: str


class AesGcmSecretBox:
    """Seals with the keyring's current key, opens with whichever key sealed the token.

    The keyring is read again whenever its files change, so a rotation or a removed key
    takes effect in a running Attune without a restart (`attune key rotate` runs in its
    own process).
    """

    def __init__(self, state_dir: Path) -> None:
        self._first = state_dir / FIRST_KEY
        self._keys = state_dir / KEYS
        self._ring: _Ring | None = None

    def seal(self, value: Any) -> str:
        ring = self._keyring()
        cipher = ring.ciphers.get(ring.current)
        if cipher is None:
            raise SecretKeyMissing(f"the current key {ring.current} is not in the keyring")
        nonce = os.urandom(12)
        ciphertext = cipher.encrypt(nonce, json.dumps(value).encode(), ring.current.encode())
        return f"{ring.current}:{base64.b64encode(nonce + ciphertext).decode()}"

    def unseal(self, token: str) -> Any:
        key_id, _, blob = token.partition(":")
        cipher = self._keyring().ciphers.get(key_id)
        if cipher is None:
            raise SecretKeyMissing(
                f"the key {key_id} that sealed this value is no longer in the keyring"
            )
        raw = base64.b64decode(blob)
        return json.loads(cipher.decrypt(raw[:12], raw[12:], key_id.encode()))

    def rotate(self) -> str:
        """Generate a new key and make it current; return its id. Older keys are kept."""
        key = AESGCM.generate_key(bit_length=256)
        key_id = key_id_of(key)
        self._keys.mkdir(mode=0o700, exist_ok=True)
        write_private_file(self._keys / f"{key_id}{KEY_SUFFIX}", key, replace=False)
        # Replaced in one step, so a reader sees the old current key or the new one.
        write_private_file(self._keys / CURRENT, key_id.encode())
        return key_id

    def _keyring(self) -> _Ring:
        files = self._files()
        ring = self._ring
        if ring is None or ring.files != files:
            ring = self._ring = self._load(files)
        return ring

    def _files(self) -> _Files:
        try:
            names = frozenset(os.listdir(self._keys))
        except FileNotFoundError:
            names = frozenset()
        current = None
        if CURRENT in names:
            marker = os.stat(self._keys / CURRENT)
            current = (marker.st_ino, marker.st_mtime_ns, marker.st_size)
        return _Files(self._first.exists(), names, current)

    def _load(self, files: _Files) -> _Ring:
        paths = [self._keys / name for name in sorted(files.names) if name.endswith(KEY_SUFFIX)]
        if files.first:
            paths.insert(0, self._first)
        keys = [_read_key(path) for path in paths]
        if files.current is not None:
            current = (self._keys / CURRENT).read_text().strip()
        elif files.first:
            current = key_id_of(keys[0])
        else:
            raise SecretKeyMissing(f"no key in the keyring at {self._first.parent}")
        return _Ring(files, {key_id_of(key): AESGCM(key) for key in keys}, current)


def open_keyring(state_dir: Path) -> AesGcmSecretBox:
    """The secret box of a state directory, generating its first key on first start."""
    first = state_dir / FIRST_KEY
    if not first.exists() and not (state_dir / KEYS).exists():
        private_directory(state_dir)
        with contextlib.suppress(FileExistsError):  # a process starting beside us was first
            write_private_file(first, AESGCM.generate_key(bit_length=256), replace=False)
    return AesGcmSecretBox(state_dir)
