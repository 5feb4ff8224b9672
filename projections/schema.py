"""The projection tables (SQLAlchemy Core), one `MetaData` for the whole read side.

The same schema runs on SQLite, PostgreSQL and TimescaleDB: generic types only, UUIDs as
36-character strings, times as timezone-aware UTC (see `UtcDateTime`), JSON documents as
JSON (JSONB on PostgreSQL). Columns exist for what the API filters and sorts on; each
configuration row also keeps its whole definition.

`event`, `enforcement`, `execution` and `execution_history` are time-partitioned on
TimescaleDB (`timescaledb`), which wants the time column in every unique key: their
primary keys end with it. The first key column still identifies the row on its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Index,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back as a UTC-aware datetime.

    SQLite keeps no zone, so values are converted to UTC on the way in and labelled UTC on
    the way out. A naive value (a query bound such as ``since=2024-01-01``) is taken as UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive value is taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _json() -> Any:
    # none_as_null: a missing result or config is SQL NULL, not the JSON literal `null`.
    return JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")


def _uuid(name: str, **options: Any) -> Column[str]:
    return Column(name, String(36), **options)


def _ref(name: str, **options: Any) -> Column[str]:
    return Column(name, String(255), **options)


def _when(name: str, **options: Any) -> Column[datetime]:
    return Column(name, UtcDateTime(), **options)


metadata = MetaData()


def _configuration_table(name: str, *columns: Column[Any]) -> Table:
    """A pack component addressed by ref, with its filterable fields and whole definition."""
    return Table(
        name,
        metadata,
        _ref("ref", primary_key=True),
        *columns,
        Column("description", Text, nullable=False),
        Column("definition", _json(), nullable=False),
        _when("registered_at", nullable=False),
        _when("updated_at", nullable=False),
    )


pack = _configuration_table(
    "pack",
    Column("label", String(255), nullable=False),
    Column("version", String(64), nullable=False),
)

action = _configuration_table(
    "action",
    _ref("pack", nullable=False, index=True),
    _ref("name", nullable=False),
    Column("runner_type", String(64), nullable=False),
    Column("enabled", Boolean, nullable=False),
)

trigger_type = _configuration_table(
    "trigger_type",
    _ref("pack", nullable=False, index=True),
    _ref("name", nullable=False),
)

rule = _configuration_table(
    "rule",
    _ref("pack", nullable=False, index=True),
    _ref("name", nullable=False),
    _ref("trigger", nullable=False, index=True),
    _ref("action", nullable=False, index=True),
    Column("enabled", Boolean, nullable=False),
)

# A pack's configuration values, secret ones sealed (the API masks them).
pack_config = Table(
    "pack_config",
    metadata,
    _ref("pack", primary_key=True),
    Column("values", _json(), nullable=False),
    _when("configured_at", nullable=False),
)

# One firing of a trigger (what /api/v1/events lists), not a domain event.
event = Table(
    "event",
    metadata,
    _uuid("id", primary_key=True),
    _ref("trigger", nullable=False),
    Column("trigger_params", _json(), nullable=False),
    Column("payload", _json(), nullable=False),
    _when("occurred_at", primary_key=True),
    _uuid("correlation_id"),
    Index("ix_event_occurred_at", "occurred_at"),
    Index("ix_event_trigger_occurred_at", "trigger", "occurred_at"),
)

enforcement = Table(
    "enforcement",
    metadata,
    _uuid("id", primary_key=True),
    _ref("rule", nullable=False),
    _uuid("trigger_event_id", nullable=False),
    _ref("trigger", nullable=False),
    _ref("action", nullable=False),
    Column("config", _json()),
    Column("status", String(32), nullable=False),
    _uuid("execution_id"),
    Column("reason", Text),
    _when("created_at", primary_key=True),
    _when("resolved_at"),
    Index("ix_enforcement_created_at", "created_at"),
    Index("ix_enforcement_rule_created_at", "rule", "created_at"),
    Index("ix_enforcement_status_created_at", "status", "created_at"),
    Index("ix_enforcement_trigger_event_id", "trigger_event_id"),
)

# `parameters` as stored in the events: secret values stay sealed; the API masks them.
execution = Table(
    "execution",
    metadata,
    _uuid("id", primary_key=True),
    _ref("action", nullable=False),
    Column("parameters", _json(), nullable=False),
    Column("status", String(32), nullable=False),
    Column("pool", String(255)),
    Column("worker", String(255)),
    Column("result", _json()),
    Column("error", Text),
    _uuid("enforcement_id"),
    _ref("rule"),
    _uuid("trigger_event_id"),
    _when("created_at", primary_key=True),
    _when("started_at"),
    _when("ended_at"),
    _when("updated_at", nullable=False),
    _uuid("correlation_id"),
    Index("ix_execution_created_at", "created_at"),
    Index("ix_execution_status_created_at", "status", "created_at"),
    Index("ix_execution_action_created_at", "action", "created_at"),
    Index("ix_execution_rule_created_at", "rule", "created_at"),
)

# One row per lifecycle domain event of an execution; `details` holds what that event
# added (pool, worker, error), never parameters.
execution_history = Table(
    "execution_history",
    metadata,
    _uuid("execution_id", primary_key=True),
    Column("position", BigInteger, primary_key=True),
    Column("event", String(64), nullable=False),
    Column("status", String(32), nullable=False),
    _when("occurred_at", primary_key=True),
    Column("actor", String(255), nullable=False),
    Column("details", _json(), nullable=False),
)

# How far each projector has read the store's log; written with the rows it produced.
projection_position = Table(
    "projection_position",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("position", BigInteger, nullable=False),
)

# Security: custom roles, identities, their sessions and API keys, and the audit trail.

role = _configuration_table("role")

identity = Table(
    "identity",
    metadata,
    _uuid("id", primary_key=True),
    _ref("login", nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("roles", _json(), nullable=False),
    Column("password_hash", String(255)),
    Column("enabled", Boolean, nullable=False),
    _when("created_at", nullable=False),
    _when("updated_at", nullable=False),
)

session = Table(
    "session",
    metadata,
    _uuid("id", primary_key=True),
    _ref("login", nullable=False, index=True),
    _when("started_at", nullable=False),
    _when("expires_at", nullable=False),
    Column("revoked", Boolean, nullable=False),
)

api_key = Table(
    "api_key",
    metadata,
    _uuid("id", primary_key=True),
    _ref("login", nullable=False, index=True),
    _ref("name", nullable=False),
    Column("secret_hash", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False),
    _when("created_at", nullable=False),
)

# One row per domain event: who did what, when, from where.
audit = Table(
    "audit",
    metadata,
    Column("position", BigInteger, primary_key=True),
    Column("event", String(64), nullable=False, index=True),
    Column("aggregate_type", String(64), nullable=False),
    _uuid("aggregate_id", nullable=False, index=True),
    Column("actor", String(255), nullable=False, index=True),
    Column("source", String(255)),
    _when("occurred_at", nullable=False, index=True),
    _uuid("correlation_id"),
)
