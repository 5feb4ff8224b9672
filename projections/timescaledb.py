"""The read models on TimescaleDB: detecting the extension, and the DDL that uses it.

`event`, `enforcement`, `execution` and `execution_history` become hypertables (7-day
chunks of their time column), compressed once a week old and dropped after the retention
period. The hourly counts (`hourly`) become continuous aggregates with real-time
aggregation, refreshed hourly by a policy over the whole retention window. Every statement
is idempotent, so each projector start applies it again; the policies that depend on the
retention are replaced, so a changed retention takes effect at the next start.

The extension's functions are called qualified by its schema: the read models may live in
another one (`ATTUNE_DATABASE_SCHEMA`). Attune never creates the extension (docs/analytics.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, Table, text

from attune.projections import schema
from attune.projections.hourly import HOUR, HOURLY_COUNTS, HourlyCount

CHUNK_INTERVAL = "7 days"
COMPRESS_AFTER = "7 days"
# The open hour is left to real-time aggregation; closed hours are materialised hourly.
REFRESH_END_OFFSET = "1 hour"
REFRESH_EVERY = "1 hour"


@dataclass(frozen=True)
class Hypertable:
    table: Table
    time: str
    # Compression groups rows by `segment_by` and sorts them by `order_by`; each batch keeps
    # the min and max of every `order_by` column, so an update by id (ids are time-ordered)
    # decompresses only a batch that may hold the row, and none for a recent row.
    segment_by: str
    order_by: str


HYPERTABLES = (
    Hypertable(schema.event, "occurred_at", "trigger", "occurred_at DESC, id"),
    Hypertable(schema.enforcement, "created_at", "rule", "created_at DESC, id"),
    Hypertable(schema.execution, "created_at", "action", "created_at DESC, id"),
    Hypertable(schema.execution_history, "occurred_at", "", "execution_id, position"),
)


def extension_schema(connection: Connection) -> str | None:
    """The schema of the database's timescaledb extension; None if it is not installed."""
    if connection.dialect.name != "postgresql":
        return None
    query = "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = :name"
    return connection.execute(text(query), {"name": "timescaledb"}).scalar_one_or_none()


def use_timescaledb(connection: Connection, extension: str, retention_days: int) -> None:
    """Make the plain tables hypertables, and add the aggregates and policies they lack."""
    days = {"days": retention_days}
    for hypertable in HYPERTABLES:
        name = _quoted(connection, hypertable.table.name)
        connection.execute(
            text(
                f"SELECT {extension}.create_hypertable(CAST(:table AS regclass), "
                f"{extension}.by_range(:time, INTERVAL '{CHUNK_INTERVAL}'), "
                "create_default_indexes => false, if_not_exists => true, migrate_data => true)"
            ),
            {"table": name, "time": hypertable.time},
        )
        _enable_compression(connection, hypertable)
        connection.execute(
            text(
                f"SELECT {extension}.add_compression_policy(CAST(:table AS regclass), "
                f"compress_after => INTERVAL '{COMPRESS_AFTER}', if_not_exists => true)"
            ),
            {"table": name},
        )
        _replace_policy(
            connection,
            f"{extension}.remove_retention_policy(CAST(:table AS regclass), if_exists => true)",
            f"{extension}.add_retention_policy(CAST(:table AS regclass), "
            "drop_after => make_interval(days => CAST(:days AS integer)))",
            {"table": name, **days},
        )
    for count in HOURLY_COUNTS:
        connection.execute(text(_continuous_aggregate(connection, extension, count)))
        # Refreshing beyond the retention would empty the hours whose rows were dropped.
        _replace_policy(
            connection,
            f"{extension}.remove_continuous_aggregate_policy(CAST(:view AS regclass), "
            "if_exists => true)",
            f"{extension}.add_continuous_aggregate_policy(CAST(:view AS regclass), "
            "start_offset => make_interval(days => CAST(:days AS integer)), "
            f"end_offset => INTERVAL '{REFRESH_END_OFFSET}', "
            f"schedule_interval => INTERVAL '{REFRESH_EVERY}')",
            {"view": _quoted(connection, count.name), **days},
        )


def drop_continuous_aggregates(connection: Connection) -> None:
    """Drop the continuous aggregates, which keep their hypertables from being dropped."""
    if connection.dialect.name != "postgresql":
        return
    views = ", ".join(_quoted(connection, count.name) for count in HOURLY_COUNTS)
    connection.execute(text(f"DROP MATERIALIZED VIEW IF EXISTS {views}"))


def _quoted(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _enable_compression(connection: Connection, hypertable: Hypertable) -> None:
    # Compression settings cannot be set again once chunks are compressed: set them once.
    enabled = connection.execute(
        text(
            "SELECT compression_enabled FROM timescaledb_information.hypertables "
            "WHERE hypertable_schema = current_schema() AND hypertable_name = :name"
        ),
        {"name": hypertable.table.name},
    ).scalar_one()
    if not enabled:
        connection.execute(
            text(
                f"ALTER TABLE {_quoted(connection, hypertable.table.name)} SET ("
                "timescaledb.compress, "
                f"timescaledb.compress_segmentby = '{hypertable.segment_by}', "
                f"timescaledb.compress_orderby = '{hypertable.order_by}')"
            )
        )


def _replace_policy(
    connection: Connection, remove: str, add: str, values: dict[str, object]
) -> None:
    connection.execute(text(f"SELECT {remove}"), values)
    connection.execute(text(f"SELECT {add}"), values)


def _continuous_aggregate(connection: Connection, extension: str, count: HourlyCount) -> str:
    by = ", ".join(_quoted(connection, column) for column in count.by)
    return (
        f"CREATE MATERIALIZED VIEW IF NOT EXISTS {_quoted(connection, count.name)} "
        "WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
        f"SELECT {extension}.time_bucket(INTERVAL '1 hour', {_quoted(connection, count.time)}) "
        f"AS {HOUR}, {by}, count(*) AS {_quoted(connection, count.count)} "
        f"FROM {_quoted(connection, count.source.name)} GROUP BY {HOUR}, {by} WITH NO DATA"
    )
