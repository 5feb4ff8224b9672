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


class PackOwned(DomainError):
    """A change the API may not make to a component its pack's files define: the next load
    of the pack would overwrite (or undo) it."""

    def __init__(self, kind: str, key: object, pack: str) -> None:
        self.kind, self.key, self.pack = kind, key, pack
        super().__init__(
            f"{kind} '{key}' is defined by the files of pack '{pack}': change or delete its "
            f"file in the pack instead (loading the pack would overwrite this change)"
        )
