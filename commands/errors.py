"""Errors of the write side that are not domain rules (the API maps them to 4xx)."""

from __future__ import annotations

from attune.domain.errors import DomainError


class UnknownEntity(DomainError):
    """A command names an entity that does not exist (an unknown action ref, say)."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"unknown {kind} '{key}'")


class DisabledEntity(DomainError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"{kind} '{key}' is disabled")


class AlreadyExists(DomainError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind, self.key = kind, key
        super().__init__(f"{kind} '{key}' already exists")
