"""Read functions over the projection tables (what the API serves).

Lists are paginated by `limit`/`offset` and return the page's rows as dicts with the total
number of matching rows. A filter left as None does not filter. Time ranges include
`since` and exclude `until`. Configuration lists sort by ref; runtime lists newest first.
Execution parameters come back as stored: sealed secrets stay sealed (callers mask them).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Column, ColumnElement, Connection, Table, false, func, or_, select, tuple_

from attune.projections import schema

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

Row = dict[str, Any]


@dataclass(frozen=True)
class Listing:
    """One page of rows and how many rows match in all."""

    rows: list[Row]
    total: int


def where_equal(table: Table, **values: object) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in values.items() if value is not None]


def where_within(
    column: Column[datetime], since: datetime | None, until: datetime | None
) -> list[ColumnElement[bool]]:
    conditions = []
    if since is not None:
        conditions.append(column >= since)
    if until is not None:
        conditions.append(column < until)
    return conditions


def _pack_in(column: Column[str], packs: Collection[str] | None) -> list[ColumnElement[bool]]:
    """Only rows whose pack (in `column`) is one of `packs`; None: every pack."""
    return [] if packs is None else [column.in_(sorted(packs))]


def ref_in_packs(column: Column[str], packs: Collection[str] | None) -> list[ColumnElement[bool]]:
    """Only rows whose ref (in `column`, `pack.name`) belongs to one of `packs`."""
    if packs is None:
        return []
    return [or_(false(), *(column.startswith(f"{p}.", autoescape=True) for p in sorted(packs)))]


def paged(
    connection: Connection,
    table: Table,
    where: list[ColumnElement[bool]],
    order_by: list[Any],
    limit: int,
    offset: int,
) -> Listing:
    total = connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()
    query = select(table).where(*where).order_by(*order_by).limit(limit).offset(offset)
    return Listing([dict(row._mapping) for row in connection.execute(query)], total)


def newest_first(table: Table, column: str) -> list[Any]:
    # Ids break ties between rows of the same instant, so pages never overlap.
    return [table.c[column].desc(), table.c.id.desc()]


def list_packs(
    connection: Connection,
    *,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    where = _pack_in(schema.pack.c.ref, packs)
    return paged(connection, schema.pack, where, [schema.pack.c.ref], limit, offset)


def list_actions(
    connection: Connection,
    *,
    pack: str | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    table = schema.action
    packs_only = _pack_in(table.c.pack, packs)
    return paged(
        connection, table, where_equal(table, pack=pack) + packs_only, [table.c.ref], limit, offset
    )


def _one(connection: Connection, column: Column[Any], value: object) -> Row | None:
    """The row of `column`'s table whose `column` (a key) is `value`, or None."""
    row = connection.execute(select(column.table).where(column == value)).first()
    return None if row is None else dict(row._mapping)


def get_pack(connection: Connection, ref: str) -> Row | None:
    return _one(connection, schema.pack.c.ref, ref)


def get_action(connection: Connection, ref: str) -> Row | None:
    return _one(connection, schema.action.c.ref, ref)


def get_trigger_type(connection: Connection, ref: str) -> Row | None:
    return _one(connection, schema.trigger_type.c.ref, ref)


def list_trigger_types(
    connection: Connection,
    *,
    pack: str | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    table = schema.trigger_type
    packs_only = _pack_in(table.c.pack, packs)
    return paged(
        connection, table, where_equal(table, pack=pack) + packs_only, [table.c.ref], limit, offset
    )


def list_rules(
    connection: Connection,
    *,
    pack: str | None = None,
    trigger: str | None = None,
    action: str | None = None,
    enabled: bool | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    table = schema.rule
    where = where_equal(table, pack=pack, trigger=trigger, action=action, enabled=enabled)
    packs_only = _pack_in(table.c.pack, packs)
    return paged(connection, table, where + packs_only, [table.c.ref], limit, offset)


def get_pack_config(connection: Connection, pack: str) -> Row | None:
    """A pack's configuration values (secret ones sealed), or None if never configured."""
    return _one(connection, schema.pack_config.c.pack, pack)


def rules_of_trigger(connection: Connection, trigger: str, *, enabled: bool) -> list[Row]:
    """Every rule on a trigger type (enabled or not), unpaged, in ref order."""
    table = schema.rule
    query = select(table).where(*where_equal(table, trigger=trigger, enabled=enabled))
    return [dict(row._mapping) for row in connection.execute(query.order_by(table.c.ref))]


def get_rule(connection: Connection, ref: str) -> Row | None:
    """A registered rule (an unregistered one has no row)."""
    return _one(connection, schema.rule.c.ref, ref)


def list_events(
    connection: Connection,
    *,
    trigger: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    """Trigger events (firings), newest first."""
    table = schema.event
    where = where_equal(table, trigger=trigger) + where_within(table.c.occurred_at, since, until)
    packs_only = ref_in_packs(table.c.trigger, packs)
    return paged(
        connection, table, where + packs_only, newest_first(table, "occurred_at"), limit, offset
    )


def list_enforcements(
    connection: Connection,
    *,
    rule: str | None = None,
    status: str | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    table = schema.enforcement
    where = where_equal(table, rule=rule, status=status)
    packs_only = ref_in_packs(table.c.rule, packs)
    return paged(
        connection, table, where + packs_only, newest_first(table, "created_at"), limit, offset
    )


def list_executions(
    connection: Connection,
    *,
    status: str | None = None,
    action: str | None = None,
    rule: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    packs: Collection[str] | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    """Executions created in [since, until), newest first."""
    table = schema.execution
    where = where_equal(table, status=status, action=action, rule=rule)
    where += where_within(table.c.created_at, since, until)
    packs_only = ref_in_packs(table.c.action, packs)
    return paged(
        connection, table, where + packs_only, newest_first(table, "created_at"), limit, offset
    )


def get_execution(connection: Connection, execution_id: UUID) -> Row | None:
    return _one(connection, schema.execution.c.id, str(execution_id))


def execution_history(connection: Connection, execution_id: UUID) -> list[Row]:
    """The execution's lifecycle, one row per domain event, in log order."""
    table = schema.execution_history
    query = (
        select(table).where(table.c.execution_id == str(execution_id)).order_by(table.c.position)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def get_event(connection: Connection, event_id: UUID) -> Row | None:
    """One trigger event (a firing), by id."""
    return _one(connection, schema.event.c.id, str(event_id))


def enforcements_of_event(
    connection: Connection, event_id: UUID, *, packs: Collection[str] | None = None
) -> list[Row]:
    """The enforcements a trigger event caused (of rules of `packs`), oldest first."""
    table = schema.enforcement
    query = (
        select(table)
        .where(table.c.trigger_event_id == str(event_id), *ref_in_packs(table.c.rule, packs))
        .order_by(table.c.created_at, table.c.rule)
    )
    return [dict(row._mapping) for row in connection.execute(query)]


def events_in_order(
    connection: Connection,
    trigger: str,
    since: datetime,
    until: datetime,
    *,
    after: tuple[datetime, UUID] | None = None,
    limit: int,
) -> list[Row]:
    """Up to `limit` trigger events of one trigger type in a window, oldest first (by time,
    then id), from just after the event `after` (its time and id) if given."""
    table = schema.event
    where = [table.c.trigger == trigger, *where_within(table.c.occurred_at, since, until)]
    if after is not None:
        at, event_id = after
        where.append(tuple_(table.c.occurred_at, table.c.id) > tuple_(at, str(event_id)))
    query = select(table).where(*where).order_by(table.c.occurred_at, table.c.id).limit(limit)
    return [dict(row._mapping) for row in connection.execute(query)]


def count_events(connection: Connection, trigger: str, since: datetime, until: datetime) -> int:
    """How many trigger events of one trigger type are in a window."""
    table = schema.event
    where = [table.c.trigger == trigger, *where_within(table.c.occurred_at, since, until)]
    return connection.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def enforcing_rules(connection: Connection, event_ids: Collection[UUID]) -> list[tuple[str, str]]:
    """(event id, rule) for each enforcement of these trigger events."""
    table = schema.enforcement
    ids = sorted(str(event_id) for event_id in event_ids)
    query = select(table.c.trigger_event_id, table.c.rule).where(table.c.trigger_event_id.in_(ids))
    return [(str(event_id), rule) for event_id, rule in connection.execute(query)]
