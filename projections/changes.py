"""RowChanges: the rows one batch of domain events produces, merged and written in bulk.

A row created and then changed within the batch is inserted once in its final form; rows
created by earlier batches get their changes merged per row and are updated with one
executemany per table and set of columns. Every change sets absolute values, so merging
in event order gives the same rows as applying the events one by one.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any

from sqlalchemy import Connection, Delete, Insert, Table, Update, bindparam

from attune.projections.schema import execution_history

Row = dict[str, Any]

_KEY = "_key"  # the bind name of the row's id in bulk updates (not a column name)


class RowChanges:
    def __init__(self) -> None:
        self._inserts: defaultdict[Table, dict[str, Row]] = defaultdict(dict)
        self._updates: defaultdict[Table, dict[str, Row]] = defaultdict(dict)
        self._deletes: defaultdict[Table, set[str]] = defaultdict(set)
        self._history: list[Row] = []

    def insert(self, table: Table, key: str, row: Row) -> None:
        """A new row; every row of one table must name the same columns."""
        self._inserts[table][key] = row

    def update(self, table: Table, key: str, values: Row) -> None:
        pending = self._inserts[table].get(key)
        if pending is not None:
            pending.update(values)
        else:
            self._updates[table].setdefault(key, {}).update(values)

    def delete(self, table: Table, key: str) -> None:
        """Remove a row; a row inserted again later in the batch is written afresh."""
        self._inserts[table].pop(key, None)
        self._updates[table].pop(key, None)
        self._deletes[table].add(key)

    def append_history(self, row: Row) -> None:
        self._history.append(row)

    def write(self, connection: Connection) -> None:
        for table, keys in self._deletes.items():  # first: a deleted row may come back
            if keys:
                connection.execute(_delete_by_key(table), [{_KEY: key} for key in keys])
        for table, rows in self._inserts.items():
            if rows:
                connection.execute(_insert(table), list(rows.values()))
        for table, changes in self._updates.items():
            self._write_updates(connection, table, changes)
        if self._history:
            connection.execute(_insert(execution_history), self._history)

    @staticmethod
    def _write_updates(connection: Connection, table: Table, changes: dict[str, Row]) -> None:
        # executemany needs the same columns in every parameter set: group by column set.
        by_columns: defaultdict[frozenset[str], list[Row]] = defaultdict(list)
        for key, values in changes.items():
            by_columns[frozenset(values)].append({**values, _KEY: key})
        for parameters in by_columns.values():
            connection.execute(_update_by_key(table), parameters)


# Statements are built once per table: building one costs more than running it.
@cache
def _insert(table: Table) -> Insert:
    return table.insert()


@cache
def _delete_by_key(table: Table) -> Delete:
    return table.delete().where(table.primary_key.columns[0] == bindparam(_KEY))


@cache
def _update_by_key(table: Table) -> Update:
    # The first key column is the row's id; a time-partitioned table's key also ends with
    # its time column, which the events that change a row do not carry.
    key_column = table.primary_key.columns[0]
    return table.update().where(key_column == bindparam(_KEY))
