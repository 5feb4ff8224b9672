"""Roles and permissions (RBAC), as pure values.

A permission is ``resource:verb`` (``execution:read``, ``action:execute``, ``key:decrypt``).
A grant gives one permission, optionally only for some packs. A role is a named set of
grants: three are built in (``admin``, ``operator``, ``observer``), others are defined as
`Role` aggregates. An identity's grants are the union of its roles' grants.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from attune.domain.definitions import Definition

RESOURCES = (
    "pack",
    "action",
    "trigger",
    "rule",
    "event",
    "enforcement",
    "execution",
    "inquiry",
    "key",
    "webhook",
    "identity",
    "role",
    "apikey",
    "audit",
)
VERBS = ("read", "write", "execute", "cancel", "respond", "decrypt", "send", "resolve")
PERMISSION_PATTERN = r"^(\*|[a-z]+):(\*|[a-z]+)$"

_OBSERVER = [
    "pack:read",
    "action:read",
    "trigger:read",
    "rule:read",
    "event:read",
    "enforcement:read",
    "execution:read",
    "apikey:read",
    "apikey:write",
]
BUILT_IN_ROLES: dict[str, list[str]] = {
    "admin": ["*:*"],
    "operator": _OBSERVER
    + [
        "action:execute",
        "rule:write",
        "execution:cancel",
        "inquiry:respond",
        "key:read",
        "key:write",
        "webhook:send",
        "event:write",  # re-emit a trigger event (POST /api/v1/events/{id}/re-emit)
    ],
    "observer": _OBSERVER,
    # Distributed workers' service account: keystore references of the runs they hand over.
    "worker": ["key:resolve"],
}


class GrantSpec(BaseModel):
    """One permission of a custom role, optionally limited to some packs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    permission: str = Field(pattern=PERMISSION_PATTERN)
    packs: list[str] | None = None


class RoleDefinition(Definition):
    """A custom role: its name (`ref`) and its grants."""

    ref: str = Field(pattern=r"^[a-z0-9_\-]+$")
    description: str = ""
    grants: list[GrantSpec]


@dataclass(frozen=True)
class Grant:
    resource: str
    verb: str
    packs: frozenset[str] | None = None  # None: every pack

    @classmethod
    def parse(cls, permission: str, packs: Iterable[str] | None = None) -> Grant:
        resource, _, verb = permission.partition(":")
        return cls(resource, verb, None if packs is None else frozenset(packs))

    def covers(self, resource: str, verb: str) -> bool:
        return self.resource in ("*", resource) and self.verb in ("*", verb)


@dataclass(frozen=True)
class Grants:
    grants: tuple[Grant, ...]

    @classmethod
    def of_roles(cls, roles: Iterable[str], custom: dict[str, RoleDefinition]) -> Grants:
        found: list[Grant] = []
        for role in roles:
            if role in BUILT_IN_ROLES:
                found += [Grant.parse(p) for p in BUILT_IN_ROLES[role]]
            elif role in custom:
                found += [Grant.parse(g.permission, g.packs) for g in custom[role].grants]
        return cls(tuple(found))

    def allows(self, permission: str, pack: str | None = None) -> bool:
        """Whether the permission is granted (for `pack`, or for at least one pack if None)."""
        resource, _, verb = permission.partition(":")
        return any(
            g.covers(resource, verb) and (pack is None or g.packs is None or pack in g.packs)
            for g in self.grants
        )

    def packs_for(self, permission: str) -> frozenset[str] | None:
        """The packs the permission is granted for; None means every pack."""
        resource, _, verb = permission.partition(":")
        packs: set[str] = set()
        for grant in self.grants:
            if grant.covers(resource, verb):
                if grant.packs is None:
                    return None
                packs |= grant.packs
        return frozenset(packs)
