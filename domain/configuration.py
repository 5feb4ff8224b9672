"""Configuration aggregates: packs, actions, trigger types and rules.

Each is addressed by its ref and has a deterministic id of it. It holds the definition
loaded from its pack; registering the same definition again changes nothing, a different
one records an `.updated` event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar
from uuid import UUID

from attune.domain.access import RoleDefinition
from attune.domain.definitions import (
    FROM_LOG,
    ActionDefinition,
    Definition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.events import (
    AttuneAggregate,
    AttuneCreated,
    AttuneEvent,
    Cause,
    abstract_aggregate,
)
from attune.domain.ids import config_id

D = TypeVar("D", bound=Definition)


class DefinitionRegistered(AttuneCreated):
    definition: dict[str, Any]


class DefinitionUpdated(AttuneEvent):
    definition: dict[str, Any]

    def apply(self, aggregate: Any) -> None:
        aggregate.definition = self.definition


@abstract_aggregate
class ConfigurationAggregate(AttuneAggregate, Generic[D]):
    """A pack component: created by registering its definition, changed by redefining it."""

    definition_type: ClassVar[type[Definition]]
    definition: dict[str, Any]  # the definition's JSON form, as stored in its events
    Registered: ClassVar[type[DefinitionRegistered]]
    Updated: ClassVar[type[DefinitionUpdated]]

    @classmethod
    def id_for(cls, ref: str) -> UUID:
        return config_id(cls.TOPIC, ref)

    @classmethod
    def register(cls, definition: D, cause: Cause) -> ConfigurationAggregate[D]:
        return cls._begin(
            cls.Registered, cls.id_for(definition.ref), cause, definition=definition.as_json()
        )

    def redefine(self, definition: D, cause: Cause) -> None:
        """Record the new definition, unless it is the one already held."""
        new = definition.as_json()
        if new != self.definition:
            self._happen(self.Updated, cause, definition=new)

    def parsed_definition(self) -> D:
        return self.definition_type.model_validate(  # type: ignore[return-value]
            self.definition, context=FROM_LOG
        )

    @property
    def ref(self) -> str:
        return str(self.definition["ref"])


class Pack(ConfigurationAggregate[PackDefinition]):
    """A pack; it knows the rules its files defined when it was last loaded, so that a rule
    whose file is gone can be unregistered at the next load."""

    TOPIC = "pack"
    definition_type = PackDefinition
    rules: list[str] | None = None  # None: not listed yet (a store older than the list)
    config: dict[str, Any] | None = None  # None: never configured; secret values sealed
    configured_at: datetime | None = None

    class Registered(DefinitionRegistered):
        TOPIC = "pack.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "pack.updated"

    class RulesListed(AttuneEvent):
        """The refs of the rules the pack's files define, as loaded."""

        TOPIC = "pack.rules_listed"
        rules: list[str]

        def apply(self, pack: Pack) -> None:
            pack.rules = list(self.rules)

    class Configured(AttuneEvent):
        """The pack's configuration values, as validated (defaults filled in, secret values
        sealed)."""

        TOPIC = "pack.configured"
        pack: str
        values: dict[str, Any]

        def apply(self, pack: Pack) -> None:
            pack.config = dict(self.values)
            pack.configured_at = self.timestamp

    def configure(self, values: dict[str, Any], cause: Cause) -> None:
        self._happen(self.Configured, cause, pack=self.ref, values=values)

    def list_rules(self, rules: list[str], cause: Cause) -> list[str]:
        """Record the rules the pack's files define now; return the refs no longer among
        them (their files are gone, or no longer define a valid rule)."""
        listed = sorted(set(rules))
        gone = sorted(set(self.rules or []) - set(listed))
        if listed != self.rules:
            self._happen(self.RulesListed, cause, rules=listed)
        return gone


class Action(ConfigurationAggregate[ActionDefinition]):
    TOPIC = "action"
    definition_type = ActionDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "action.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "action.updated"


class TriggerType(ConfigurationAggregate[TriggerTypeDefinition]):
    TOPIC = "trigger_type"
    definition_type = TriggerTypeDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "trigger_type.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "trigger_type.updated"


class Rule(ConfigurationAggregate[RuleDefinition]):
    """A rule. A pack's rule whose file is gone is unregistered: it no longer fires, and
    registering it again (its file is back) restores it."""

    TOPIC = "rule"
    definition_type = RuleDefinition
    unregistered: bool = False

    class Registered(DefinitionRegistered):
        TOPIC = "rule.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "rule.updated"

    class Unregistered(AttuneEvent):
        TOPIC = "rule.unregistered"
        ref: str
        reason: str

        def apply(self, rule: Rule) -> None:
            rule.unregistered = True

    class Restored(DefinitionUpdated):
        """An unregistered rule registered again, with this definition."""

        TOPIC = "rule.restored"

        def apply(self, rule: Rule) -> None:
            rule.definition = self.definition
            rule.unregistered = False

    def redefine(self, definition: RuleDefinition, cause: Cause) -> None:
        if self.unregistered:
            self._happen(self.Restored, cause, definition=definition.as_json())
        else:
            super().redefine(definition, cause)

    def unregister(self, reason: str, cause: Cause) -> None:
        if not self.unregistered:
            self._happen(self.Unregistered, cause, ref=self.ref, reason=reason)


class Role(ConfigurationAggregate[RoleDefinition]):
    """A custom role (the built-in ones, admin, operator and observer, are not stored)."""

    TOPIC = "role"
    definition_type = RoleDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "role.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "role.updated"
