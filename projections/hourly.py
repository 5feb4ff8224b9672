"""The hourly counts behind analytics: what each one counts, and the table that holds it.

An `HourlyCount` counts the rows of a read-model table per hour (UTC) of a time column and
per value of a few columns. On TimescaleDB a continuous aggregate of the same name holds
it (`timescaledb` creates it from this description); elsewhere `analytics` computes it
from the table. `view` is that continuous aggregate as SQLAlchemy reads it; it belongs to
no `MetaData`, so `create_all` never makes it a table.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, MetaData, String, Table

from attune.projections import schema
from attune.projections.schema import UtcDateTime

HOUR = "hour"  # the column that holds the start of each hour


@dataclass(frozen=True)
class HourlyCount:
    name: str
    source: Table
    time: str
    by: tuple[str, ...]
    count: str
    view: Table


def _hourly_count(
    name: str, source: Table, time: str, by: tuple[str, ...], count: str
) -> HourlyCount:
    view = Table(
        name,
        MetaData(),
        Column(HOUR, UtcDateTime()),
        *(Column(column, String(255)) for column in by),
        Column(count, BigInteger),
    )
    return HourlyCount(name, source, time, by, count, view)


EXECUTIONS_PER_HOUR = _hourly_count(
    "execution_hourly", schema.execution, "created_at", ("action", "status"), "executions"
)
TRIGGER_EVENTS_PER_HOUR = _hourly_count(
    "event_hourly", schema.event, "occurred_at", ("trigger",), "events"
)
HOURLY_COUNTS = (EXECUTIONS_PER_HOUR, TRIGGER_EVENTS_PER_HOUR)
