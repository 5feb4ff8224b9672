"""Configuration aggregates: packs, actions, trigger types and rules.

Each is addressed by its ref and has a deterministic id of it. It holds the definition
loaded from its pack; registering the same definition again changes nothing, a different
one records an `.updated` event.
"""

from __future__ import annotations

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
    TOPIC = "pack"
    definition_type = PackDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "pack.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "pack.updated"


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
    TOPIC = "rule"
    definition_type = RuleDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "rule.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "rule.updated"


class Role(ConfigurationAggregate[RoleDefinition]):
    """A custom role (the built-in ones, admin, operator and observer, are not stored)."""

    TOPIC = "role"
    definition_type = RoleDefinition

    class Registered(DefinitionRegistered):
        TOPIC = "role.registered"

    class Updated(DefinitionUpdated):
        TOPIC = "role.updated"
