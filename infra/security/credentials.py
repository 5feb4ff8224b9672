"""The API's `Credentials`: Argon2id passwords, JWT session tokens and API keys, together."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from attune.infra.security import passwords, tokens


class LocalCredentials:
    def __init__(self, token_service: tokens.TokenService) -> None:
        self._tokens = token_service

    hash_password = staticmethod(passwords.hash_password)
    password_matches = staticmethod(passwords.password_matches)
    new_api_key = staticmethod(tokens.new_api_key)
    parse_api_key = staticmethod(tokens.parse_api_key)
    api_key_matches = staticmethod(tokens.api_key_matches)

    def read_token(self, token: str) -> tokens.Claims:
        return self._tokens.read(token)

    def access_token(self, login: str, session_id: UUID, now: datetime) -> tuple[str, datetime]:
        return self._tokens.access(login, session_id, now)

    def refresh_token(self, login: str, session_id: UUID, now: datetime) -> tuple[str, datetime]:
        expires = now + tokens.REFRESH_LIFETIME
        return self._tokens.refresh(login, session_id, expires), expires
