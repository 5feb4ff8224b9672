"""Reads of the security read models: identities, roles, sessions, API keys, the audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, select

from attune.domain.access import RoleDefinition
from attune.projections import schema
from attune.projections.queries import Listing, paged, where_equal, where_within

Row = dict[str, Any]


def _one(connection: Connection, query: Any) -> Row | None:
    found = connection.execute(query).mappings().first()
    return None if found is None else dict(found)


def identity(connection: Connection, login: str) -> Row | None:
    return _one(connection, select(schema.identity).where(schema.identity.c.login == login))


def list_identities(connection: Connection) -> list[Row]:
    query = select(schema.identity).order_by(schema.identity.c.login)
    return [dict(r) for r in connection.execute(query).mappings()]


def custom_roles(connection: Connection) -> dict[str, RoleDefinition]:
    rows = connection.execute(select(schema.role.c.definition)).scalars()
    return {d["ref"]: RoleDefinition.model_validate(d) for d in rows}


def session(connection: Connection, session_id: UUID) -> Row | None:
    return _one(connection, select(schema.session).where(schema.session.c.id == str(session_id)))


def api_key(connection: Connection, key_id: UUID) -> Row | None:
    return _one(connection, select(schema.api_key).where(schema.api_key.c.id == str(key_id)))


def list_api_keys(connection: Connection, login: str | None) -> list[Row]:
    query = select(schema.api_key).order_by(schema.api_key.c.created_at)
    if login is not None:
        query = query.where(schema.api_key.c.login == login)
    return [dict(r) for r in connection.execute(query).mappings()]


def execution_status(connection: Connection, execution_id: UUID) -> str | None:
    query = select(schema.execution.c.status).where(schema.execution.c.id == str(execution_id))
    return connection.execute(query).scalar_one_or_none()


def list_audit(
    connection: Connection,
    *,
    actor: str | None,
    event: str | None,
    aggregate_id: UUID | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    offset: int,
) -> Listing:
    """Audit rows, newest first."""
    table = schema.audit
    aggregate = None if aggregate_id is None else str(aggregate_id)
    where = where_equal(table, actor=actor, event=event, aggregate_id=aggregate)
    where += where_within(table.c.occurred_at, since, until)
    return paged(connection, table, where, [table.c.position.desc()], limit, offset)
