"""AES-256-GCM sealing of secret values: the one crypto module of Attune.

A sealed token is ``<key id>:<base64(nonce ‖ ciphertext)>``, the key id being the first
16 hex digits of the key's SHA-256, so keys can rotate while old values stay readable. The
key is generated into the state directory on first start, readable only by its owner.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class SecretKeyMissing(Exception):
    pass


def key_id_of(key: bytes) -> str:
    return hashlib.sha256(key).hexdigest()[:16]


def load_or_create_key(path: Path) -> bytes:
    """Read the 32-byte key at `path`, creating it (mode 0600) if it does not exist."""
    if path.exists():
        key = path.read_bytes()
        if len(key) != 32:
            raise SecretKeyMissing(f"{path} does not hold a 32-byte key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(key)
    return key


class AesGcmSecretBox:
    def __init__(self, key: bytes) -> None:
        self._keys = {key_id_of(key): AESGCM(key)}
        self._current = key_id_of(key)

    def seal(self, value: Any) -> str:
        nonce = os.urandom(12)
        plaintext = json.dumps(value).encode()
        ciphertext = self._keys[self._current].encrypt(nonce, plaintext, self._current.encode())
        return f"{self._current}:{base64.b64encode(nonce + ciphertext).decode()}"

    def unseal(self, token: str) -> Any:
        key_id, _, blob = token.partition(":")
        cipher = self._keys.get(key_id)
        if cipher is None:
            raise SecretKeyMissing(f"no key with id {key_id} to unseal this value")
        raw = base64.b64decode(blob)
        return json.loads(cipher.decrypt(raw[:12], raw[12:], key_id.encode()))
