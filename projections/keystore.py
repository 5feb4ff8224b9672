"""The keystore read model: the `key` table, its row handlers and its queries.

A row holds the key's value as stored in its events: an encrypted value stays sealed (the
API masks it, or opens it for a decrypted read). Deleted and expired keys keep their rows;
the queries show live keys only, given the reader's `now`, so a key expires without any
event. ``key.revealed`` changes no row.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Column, ColumnElement, Connection, Index, String, Table, or_, select

from attune.domain.keystore import Key, KeyScope
from attune.projections.changes import RowChanges
from attune.projections.queries import DEFAULT_LIMIT, Listing, Row, newest_first, paged, where_equal
from attune.projections.schema import _json, _ref, _uuid, _when, metadata

if TYPE_CHECKING:  # `handlers` merges KEYSTORE_PROJECTION into its own: no import at run time
    from attune.projections.handlers import Handler

key = Table(
    "key",
    metadata,
    _uuid("id", primary_key=True),
    _ref("name", nullable=False),
    Column("scope", String(16), nullable=False),
    _ref("owner"),
    Column("value", _json()),
    Column("encrypted", Boolean, nullable=False),
    _when("expires_at"),
    Column("deleted", Boolean, nullable=False),
    _when("created_at", nullable=False),
    _when("updated_at", nullable=False),
    Index("ix_key_scope_owner_created_at", "scope", "owner", "created_at"),
)


def _key_created(event: Key.Created, _position: int, changes: RowChanges) -> None:
    key_id = str(event.originator_id)
    changes.insert(
        key,
        key_id,
        {
            "id": key_id,
            "name": event.name,
            "scope": event.scope,
            "owner": event.owner,
            "value": event.value,
            "encrypted": event.encrypted,
            "expires_at": event.expires_at,
            "deleted": False,
            "created_at": event.timestamp,
            "updated_at": event.timestamp,
        },
    )


def _key_updated(event: Key.Updated, _position: int, changes: RowChanges) -> None:
    changes.update(
        key,
        str(event.originator_id),
        {
            "value": event.value,
            "encrypted": event.encrypted,
            "expires_at": event.expires_at,
            "deleted": False,
            "updated_at": event.timestamp,
        },
    )


def _key_deleted(event: Key.Deleted, _position: int, changes: RowChanges) -> None:
    changes.update(key, str(event.originator_id), {"deleted": True, "updated_at": event.timestamp})


KEYSTORE_PROJECTION: dict[str, Handler] = {
    Key.Created.TOPIC: _key_created,
    Key.Updated.TOPIC: _key_updated,
    Key.Deleted.TOPIC: _key_deleted,
}


def _live(now: datetime) -> list[ColumnElement[bool]]:
    return [key.c.deleted.is_(False), or_(key.c.expires_at.is_(None), key.c.expires_at > now)]


def list_keys(
    connection: Connection,
    *,
    now: datetime,
    scope: KeyScope | None = None,
    owner: str | None = None,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
) -> Listing:
    """Live keys, newest first; `owner` alone lists that owner's keys of every scope."""
    where = _live(now) + where_equal(key, scope=scope, owner=owner)
    return paged(connection, key, where, newest_first(key, "created_at"), limit, offset)


def get_key(
    connection: Connection, name: str, scope: KeyScope, owner: str | None, now: datetime
) -> Row | None:
    """The live key `name` of `scope` and `owner`, or None."""
    query = select(key).where(key.c.id == str(Key.id_for(scope, owner, name)), *_live(now))
    row = connection.execute(query).first()
    return None if row is None else dict(row._mapping)
