"""Analytics: trigger events and executions counted per hour over a window of hours.

Hours are UTC. A window [since, until) holds the hours that start in it; a row counts in
the hour of its time (an execution's creation, a trigger event's firing). On TimescaleDB
the counts come from the continuous aggregates (`hourly`), with real-time aggregation of
the hours not materialised yet; elsewhere they are computed from the tables, truncating
times to the hour (`date_trunc` on PostgreSQL, `strftime` on SQLite). The answers are the
same, but for one lag: an aggregate shows a change to an hour it has already materialised
(an execution's new status) after its next refresh (hourly, by policy).

Each function returns one row (a dict) per hour and group, ordered by hour then group.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, Select, func, literal_column, select, text

from attune.projections.hourly import (
    EXECUTIONS_PER_HOUR,
    HOUR,
    TRIGGER_EVENTS_PER_HOUR,
    HourlyCount,
)
from attune.projections.queries import Row, ref_in_packs, where_equal, where_within
from attune.projections.schema import UtcDateTime, as_utc


def executions_per_hour(
    connection: Connection,
    since: datetime,
    until: datetime,
    *,
    action: str | None = None,
    status: str | None = None,
    packs: Collection[str] | None = None,
) -> list[Row]:
    """Executions created per hour, by action and (current) status:
    ``{"hour", "action", "status", "executions"}``."""
    return _hourly(
        connection, EXECUTIONS_PER_HOUR, since, until, packs, action=action, status=status
    )


def trigger_events_per_hour(
    connection: Connection,
    since: datetime,
    until: datetime,
    *,
    trigger: str | None = None,
    packs: Collection[str] | None = None,
) -> list[Row]:
    """Trigger events fired per hour, by trigger: ``{"hour", "trigger", "events"}``."""
    return _hourly(connection, TRIGGER_EVENTS_PER_HOUR, since, until, packs, trigger=trigger)


def _hourly(
    connection: Connection,
    count: HourlyCount,
    since: datetime,
    until: datetime,
    packs: Collection[str] | None,
    **equal: str | None,
) -> list[Row]:
    if _has_aggregate(connection, count):
        table = count.view
        query: Select[tuple[object, ...]] = select(table).where(
            *where_within(table.c[HOUR], since, until)
        )
    else:
        table = count.source
        time = table.c[count.time]
        hour = _hour_of(connection, time)
        groups = [table.c[column] for column in count.by]
        query = (
            select(hour.label(HOUR), *groups, func.count().label(count.count))
            .where(*where_within(time, _next_hour(since), _next_hour(until)))
            .group_by(hour, *groups)
        )
    # The first column of each group is a ref: `packs` keeps those of the reader's packs.
    query = query.where(
        *where_equal(table, **equal), *ref_in_packs(table.c[count.by[0]], packs)
    ).order_by(HOUR, *count.by)
    return [dict(row._mapping) for row in connection.execute(query)]


def _has_aggregate(connection: Connection, count: HourlyCount) -> bool:
    if connection.dialect.name != "postgresql":
        return False
    found = connection.execute(text("SELECT to_regclass(:name)"), {"name": count.name})
    return found.scalar_one() is not None


def _hour_of(connection: Connection, time: ColumnElement[datetime]) -> ColumnElement[datetime]:
    # Literal arguments: bound ones would differ between SELECT and GROUP BY for PostgreSQL.
    if connection.dialect.name == "sqlite":  # stores UTC as "YYYY-MM-DD HH:MM:SS.ffffff"
        return func.strftime(literal_column("'%Y-%m-%d %H:00:00'"), time, type_=UtcDateTime())
    return func.date_trunc(
        literal_column("'hour'"), time, literal_column("'UTC'"), type_=UtcDateTime()
    )


def _next_hour(moment: datetime) -> datetime:
    """The first hour that starts at or after `moment`."""
    moment = as_utc(moment)
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)
