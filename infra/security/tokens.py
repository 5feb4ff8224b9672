"""Signed tokens (JWT, HS256) and API-key secrets.

Three kinds of token, told apart by their `typ` claim: `access` (1 hour) and `refresh`
(7 days) tokens of a login session, and `execution` tokens handed to one running action,
good only for that execution's own resources and only while it runs. The signing key is
generated into the state directory on first start (0600). API keys are not JWTs: they are
``atk_<key id>_<secret>``, of which only a SHA-256 of the secret is stored.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import jwt

from attune.infra.security.private_files import write_private_file

ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=7)
API_KEY_PREFIX = "atk_"


class InvalidToken(Exception):
    """A token that is malformed, tampered with, expired or of the wrong kind."""


@dataclass(frozen=True)
class Claims:
    kind: str  # access | refresh | execution
    subject: str  # the login, or the execution id for execution tokens
    session_id: UUID | None
    expires_at: datetime


def load_or_create_signing_key(path: Path) -> bytes:
    if path.exists():
        return path.read_bytes()
    key = secrets.token_bytes(32)
    try:
        write_private_file(path, key, replace=False)
    except FileExistsError:  # a process starting beside us was first: share its key
        return path.read_bytes()
    return key


class TokenService:
    def __init__(self, signing_key: bytes) -> None:
        self._key = signing_key

    def _issue(self, kind: str, subject: str, expires_at: datetime, **extra: Any) -> str:
        # A unique id per token: two tokens issued in the same second still differ.
        claims = {"typ": kind, "sub": subject, "exp": expires_at, "jti": secrets.token_hex(8)}
        claims.update(extra)
        return jwt.encode(claims, self._key, algorithm="HS256")

    def access(self, login: str, session_id: UUID, now: datetime) -> tuple[str, datetime]:
        expires = now + ACCESS_LIFETIME
        return self._issue("access", login, expires, sid=str(session_id)), expires

    def refresh(self, login: str, session_id: UUID, expires_at: datetime) -> str:
        return self._issue("refresh", login, expires_at, sid=str(session_id))

    def execution(self, execution_id: UUID, expires_at: datetime) -> str:
        return self._issue("execution", str(execution_id), expires_at)

    def read(self, token: str) -> Claims:
        """The token's claims, if it is genuine and unexpired (callers check its kind)."""
        try:
            claims = jwt.decode(
                token, self._key, algorithms=["HS256"], options={"require": ["exp"]}
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the token has expired") from None
        except jwt.PyJWTError:
            raise InvalidToken("the token is not valid") from None
        kind = claims.get("typ")
        if kind not in ("access", "refresh", "execution"):
            raise InvalidToken("the token is of no known kind")
        session = claims.get("sid")
        return Claims(
            kind,
            str(claims["sub"]),
            UUID(session) if session else None,
            datetime.fromtimestamp(claims["exp"]).astimezone(),
        )


def new_api_key(key_id: UUID) -> tuple[str, str]:
    """A new API key for the id: (the key to hand out once, the hash to store)."""
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}{key_id.hex}_{secret}", secret_hash(secret)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def parse_api_key(key: str) -> tuple[UUID, str] | None:
    """(key id, secret) of a well-formed API key, else None."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    key_id, _, secret = key[len(API_KEY_PREFIX) :].partition("_")
    try:
        return UUID(hex=key_id), secret
    except ValueError:
        return None


def api_key_matches(stored_hash: str, secret: str) -> bool:
    return hmac.compare_digest(stored_hash, secret_hash(secret))
