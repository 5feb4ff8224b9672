"""How each domain event changes the projection rows: one function per event type.

`HANDLERS` maps a domain event's stable name to its function. A function reads only the
event and its store position (never the clock), so replaying the log rebuilds the same
rows. Domain events without a function here change no projection.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from sqlalchemy import Table

from attune.domain.configuration import (
    Action,
    ConfigurationAggregate,
    DefinitionRegistered,
    DefinitionUpdated,
    Pack,
    Role,
    Rule,
    TriggerType,
)
from attune.domain.enforcement import Enforcement, EnforcementStatus
from attune.domain.events import AttuneEvent, event_name
from attune.domain.execution import Execution, ExecutionEnded, ExecutionStatus
from attune.domain.trigger_event import TriggerEvent
from attune.projections import schema
from attune.projections.changes import RowChanges
from attune.projections.keystore import KEYSTORE_PROJECTION
from attune.projections.security import SECURITY_HANDLERS

Handler = Callable[[Any, int, RowChanges], None]


def _text(value: UUID | None) -> str | None:
    return None if value is None else str(value)


# Configuration: packs, actions, trigger types, rules.

_CONFIGURATION_TABLES: dict[type[ConfigurationAggregate[Any]], Table] = {
    Pack: schema.pack,
    Action: schema.action,
    TriggerType: schema.trigger_type,
    Rule: schema.rule,
    Role: schema.role,
}
_NOT_FROM_DEFINITION = frozenset({"definition", "registered_at", "updated_at"})


def _definition_columns(table: Table) -> tuple[str, ...]:
    """The table's columns that copy a field of the definition (ref, pack, name, ...)."""
    return tuple(c.name for c in table.columns if c.name not in _NOT_FROM_DEFINITION)


def _configuration_registered(table: Table) -> Handler:
    fields = _definition_columns(table)

    def project(event: DefinitionRegistered, _position: int, changes: RowChanges) -> None:
        definition = event.definition
        row = {name: definition[name] for name in fields}
        row.update(definition=definition, registered_at=event.timestamp, updated_at=event.timestamp)
        changes.insert(table, definition["ref"], row)

    return project


def _configuration_updated(table: Table) -> Handler:
    fields = _definition_columns(table)

    def project(event: DefinitionUpdated, _position: int, changes: RowChanges) -> None:
        definition = event.definition
        values = {name: definition[name] for name in fields}
        values.update(definition=definition, updated_at=event.timestamp)
        changes.update(table, definition["ref"], values)

    return project


def _pack_configured(event: Pack.Configured, _position: int, changes: RowChanges) -> None:
    row = {"pack": event.pack, "values": event.values, "configured_at": event.timestamp}
    changes.delete(schema.pack_config, event.pack)  # (then written afresh)
    changes.insert(schema.pack_config, event.pack, row)


def _rule_unregistered(event: Rule.Unregistered, _position: int, changes: RowChanges) -> None:
    changes.delete(schema.rule, event.ref)


# Trigger events and enforcements.


def _trigger_event_fired(event: TriggerEvent.Fired, _position: int, changes: RowChanges) -> None:
    event_id = str(event.originator_id)
    changes.insert(
        schema.event,
        event_id,
        {
            "id": event_id,
            "trigger": event.trigger,
            "trigger_params": event.trigger_params,
            "payload": event.payload,
            "occurred_at": event.timestamp,
            "correlation_id": _text(event.correlation_id),
        },
    )


def _enforcement_created(event: Enforcement.Created, _position: int, changes: RowChanges) -> None:
    enforcement_id = str(event.originator_id)
    changes.insert(
        schema.enforcement,
        enforcement_id,
        {
            "id": enforcement_id,
            "rule": event.rule,
            "trigger_event_id": str(event.trigger_event_id),
            "trigger": event.trigger,
            "action": event.action,
            "config": event.config,
            "status": EnforcementStatus.CREATED.value,
            "execution_id": None,
            "reason": None,
            "created_at": event.timestamp,
            "resolved_at": None,
        },
    )


def _enforcement_resolved(
    event: AttuneEvent, changes: RowChanges, status: EnforcementStatus, **values: Any
) -> None:
    changes.update(
        schema.enforcement,
        str(event.originator_id),
        {"status": status.value, "resolved_at": event.timestamp, **values},
    )


def _enforcement_processed(
    event: Enforcement.Processed, _position: int, changes: RowChanges
) -> None:
    execution_id = str(event.execution_id)
    _enforcement_resolved(event, changes, EnforcementStatus.PROCESSED, execution_id=execution_id)


def _enforcement_failed(event: Enforcement.Failed, _position: int, changes: RowChanges) -> None:
    _enforcement_resolved(event, changes, EnforcementStatus.FAILED, reason=event.reason)


def _enforcement_disabled(event: Enforcement.Disabled, _position: int, changes: RowChanges) -> None:
    _enforcement_resolved(event, changes, EnforcementStatus.DISABLED)


# Executions and their history.


def _history(
    event: AttuneEvent,
    position: int,
    changes: RowChanges,
    status: ExecutionStatus,
    details: dict[str, Any],
) -> None:
    changes.append_history(
        {
            "execution_id": str(event.originator_id),
            "position": position,
            "event": event_name(event),
            "status": status.value,
            "occurred_at": event.timestamp,
            "actor": event.actor,
            "details": details,
        }
    )


def _execution_requested(event: Execution.Requested, position: int, changes: RowChanges) -> None:
    execution_id = str(event.originator_id)
    status = ExecutionStatus.REQUESTED
    changes.insert(
        schema.execution,
        execution_id,
        {
            "id": execution_id,
            "action": event.action,
            "parameters": event.parameters,
            "status": status.value,
            "pool": None,
            "worker": None,
            "result": None,
            "error": None,
            "enforcement_id": _text(event.enforcement_id),
            "rule": event.rule,
            "trigger_event_id": _text(event.trigger_event_id),
            "created_at": event.timestamp,
            "started_at": None,
            "ended_at": None,
            "updated_at": event.timestamp,
            "correlation_id": _text(event.correlation_id),
        },
    )
    _history(event, position, changes, status, {"action": event.action})


def _execution_moved(
    event: AttuneEvent,
    position: int,
    changes: RowChanges,
    status: ExecutionStatus,
    details: dict[str, Any],
    **values: Any,
) -> None:
    changes.update(
        schema.execution,
        str(event.originator_id),
        {"status": status.value, "updated_at": event.timestamp, **values},
    )
    _history(event, position, changes, status, details)


def _execution_scheduled(event: Execution.Scheduled, position: int, changes: RowChanges) -> None:
    details = {"pool": event.pool}
    _execution_moved(event, position, changes, ExecutionStatus.SCHEDULED, details, **details)


def _execution_claimed(event: Execution.Claimed, position: int, changes: RowChanges) -> None:
    details = {"worker": event.worker}
    status = ExecutionStatus.RUNNING
    _execution_moved(
        event, position, changes, status, details, started_at=event.timestamp, **details
    )


def _execution_canceling(
    event: Execution.CancelRequested, position: int, changes: RowChanges
) -> None:
    details = {"canceled_by": event.canceled_by}
    _execution_moved(event, position, changes, ExecutionStatus.CANCELING, details)


def _execution_ended(event: ExecutionEnded, position: int, changes: RowChanges) -> None:
    details = {"error": event.error} if event.error is not None else {}
    _execution_moved(
        event,
        position,
        changes,
        event.final_status(),
        details,
        result=event.result,
        error=event.error,
        ended_at=event.timestamp,
    )


HANDLERS: dict[str, Handler] = {
    **{
        event_name(kind.Registered): _configuration_registered(table)
        for kind, table in _CONFIGURATION_TABLES.items()
    },
    **{
        event_name(kind.Updated): _configuration_updated(table)
        for kind, table in _CONFIGURATION_TABLES.items()
    },
    Rule.Restored.TOPIC: _configuration_registered(schema.rule),
    Rule.Unregistered.TOPIC: _rule_unregistered,
    Pack.Configured.TOPIC: _pack_configured,
    TriggerEvent.Fired.TOPIC: _trigger_event_fired,
    Enforcement.Created.TOPIC: _enforcement_created,
    Enforcement.Processed.TOPIC: _enforcement_processed,
    Enforcement.Failed.TOPIC: _enforcement_failed,
    Enforcement.Disabled.TOPIC: _enforcement_disabled,
    Execution.Requested.TOPIC: _execution_requested,
    Execution.Scheduled.TOPIC: _execution_scheduled,
    Execution.Claimed.TOPIC: _execution_claimed,
    Execution.CancelRequested.TOPIC: _execution_canceling,
    **SECURITY_HANDLERS,
    **KEYSTORE_PROJECTION,
    **{ended.TOPIC: _execution_ended for ended in ExecutionEnded.__subclasses__()},
}
