"""Identifiers: UUIDv7-shaped ids for runtime entities and deterministic ids for config.

A runtime id carries its creation time in its first 48 bits so ids sort by creation. An id
*caused* by something else is deterministic: its timestamp is the cause's time and its other
bits come from a hash of the cause's ids, so re-processing the same cause yields the same id.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from uuid import UUID

_CONFIG_NAMESPACE = UUID("6f1d7c2e-2a5b-4b8e-9a57-0c1d2e3f4a5b")


def _uuid7(unix_ms: int, tail: bytes) -> UUID:
    """Assemble a version-7 UUID from a millisecond timestamp and 10 bytes of entropy."""
    raw = bytearray(unix_ms.to_bytes(6, "big") + tail[:10])
    raw[6] = 0x70 | (raw[6] & 0x0F)  # version 7
    raw[8] = 0x80 | (raw[8] & 0x3F)  # RFC 4122 variant
    return UUID(bytes=bytes(raw))


def _unix_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def new_runtime_id(at: datetime, entropy: bytes) -> UUID:
    """A fresh time-ordered id; the caller supplies the randomness (10+ bytes)."""
    if len(entropy) < 10:
        raise ValueError("a runtime id needs at least 10 bytes of entropy")
    return _uuid7(_unix_ms(at), entropy)


def caused_id(at: datetime, *cause_parts: object) -> UUID:
    """The deterministic id of something caused at time `at` by the given parts.

    Example: the enforcement of rule R for trigger event E is
    `caused_id(E.occurred_at, "enforcement", R.id, E.id)`.
    """
    digest = hashlib.sha256("\x1f".join(str(p) for p in cause_parts).encode()).digest()
    return _uuid7(_unix_ms(at), digest)


def config_id(kind: str, ref: str) -> UUID:
    """The deterministic id of a configuration entity addressed by ref (e.g. an action)."""
    return uuid.uuid5(_CONFIG_NAMESPACE, f"{kind}:{ref}")


def event_id(aggregate_id: UUID, aggregate_version: int) -> UUID:
    """The envelope id of a domain event: stable for a given aggregate and version."""
    return uuid.uuid5(aggregate_id, str(aggregate_version))
