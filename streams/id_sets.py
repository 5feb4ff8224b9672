"""Sets of ids by group: the exact state processors keep under redelivery.

The scheduler keeps the executions of each action that have not ended; the claim
registry keeps the runs each worker holds. Both are sets of ids (adding an id twice or
removing it twice changes nothing), never counters, so a redelivered event cannot skew
them. The state lives behind `IdSets`: in memory for the embedded host, in faust tables
for the distributed one (`attune.streams.faust_app`).
"""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class IdSets(Protocol):
    def add(self, group: str, member: UUID) -> None: ...

    def remove(self, member: UUID) -> str | None:
        """Take `member` out of its group; return the group (None if it was in none)."""

    def members(self, group: str) -> set[UUID]: ...

    def groups(self) -> list[str]:
        """The groups that have members, sorted."""


class InMemoryIdSets:
    def __init__(self) -> None:
        self._members: dict[str, set[UUID]] = {}
        self._group_of: dict[UUID, str] = {}

    def add(self, group: str, member: UUID) -> None:
        self._members.setdefault(group, set()).add(member)
        self._group_of[member] = group

    def remove(self, member: UUID) -> str | None:
        group = self._group_of.pop(member, None)
        if group is not None:
            self._members[group].discard(member)
        return group

    def members(self, group: str) -> set[UUID]:
        return set(self._members.get(group, ()))

    def groups(self) -> list[str]:
        return sorted(g for g, members in self._members.items() if members)
