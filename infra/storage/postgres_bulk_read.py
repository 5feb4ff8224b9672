"""Reading many aggregates' events in one query from eventsourcing's PostgreSQL recorder.

The command service applies a batch of commands that touch many aggregates; loading each
alone is one round trip per command. eventsourcing's recorder selects one aggregate at a
time, so this adds the query for many (`EventStore.load_many` uses it).
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from eventsourcing.persistence import AggregateRecorder, StoredEvent
from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg.sql import SQL, Identifier

from attune.commands.store import EventsOf


def postgres_events_of(recorder: AggregateRecorder) -> EventsOf | None:
    """The bulk query on this recorder, or None if it is not PostgreSQL's."""
    if not isinstance(recorder, PostgresAggregateRecorder):
        return None
    statement = SQL(
        "SELECT originator_id, originator_version, topic, state FROM {schema}.{table} "
        "WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
    ).format(
        schema=Identifier(recorder.datastore.schema),
        table=Identifier(recorder.events_table_name),
    )

    def events_of(aggregate_ids: Sequence[UUID]) -> list[StoredEvent]:
        with recorder.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, (list(aggregate_ids),), prepare=True)
            return [
                StoredEvent(
                    originator_id=row["originator_id"],
                    originator_version=row["originator_version"],
                    topic=row["topic"],
                    state=bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]

    return events_of
