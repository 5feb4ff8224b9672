"""Row handlers for the security read models: identities, sessions, API keys, the audit."""

from __future__ import annotations

from typing import Any

from attune.domain.catalogue import AGGREGATES
from attune.domain.events import AttuneEvent
from attune.domain.identity import ApiKey, Identity, Session
from attune.projections import schema
from attune.projections.changes import RowChanges

Handler = Any

_AGGREGATE_OF_EVENT = {
    cls.TOPIC: aggregate.TOPIC
    for aggregate in AGGREGATES
    for cls in vars(aggregate).values()
    if isinstance(cls, type) and issubclass(cls, AttuneEvent) and hasattr(cls, "TOPIC")
}


def audit_row(event: AttuneEvent, position: int) -> dict[str, Any]:
    """Who did what, when, from where: recorded for every domain event."""
    name: str = type(event).TOPIC  # type: ignore[attr-defined]
    correlation = event.correlation_id
    return {
        "position": position,
        "event": name,
        "aggregate_type": _AGGREGATE_OF_EVENT.get(name, name.partition(".")[0]),
        "aggregate_id": str(event.originator_id),
        "actor": event.actor,
        "source": event.source,
        "occurred_at": event.timestamp,
        "correlation_id": None if correlation is None else str(correlation),
    }


def _identity_created(event: Identity.Created, _position: int, changes: RowChanges) -> None:
    changes.insert(
        schema.identity,
        str(event.originator_id),
        {
            "id": str(event.originator_id),
            "login": event.login,
            "kind": event.kind,
            "roles": event.roles,
            "password_hash": event.password_hash,
            "enabled": True,
            "created_at": event.timestamp,
            "updated_at": event.timestamp,
        },
    )


def _identity_update(event: AttuneEvent, changes: RowChanges, **values: Any) -> None:
    row = {**values, "updated_at": event.timestamp}
    changes.update(schema.identity, str(event.originator_id), row)


def _password_changed(event: Identity.PasswordChanged, _p: int, changes: RowChanges) -> None:
    _identity_update(event, changes, password_hash=event.password_hash)


def _roles_changed(event: Identity.RolesChanged, _p: int, changes: RowChanges) -> None:
    _identity_update(event, changes, roles=event.roles)


def _identity_disabled(event: Identity.Disabled, _p: int, changes: RowChanges) -> None:
    _identity_update(event, changes, enabled=False)


def _identity_enabled(event: Identity.Enabled, _p: int, changes: RowChanges) -> None:
    _identity_update(event, changes, enabled=True)


def _session_started(event: Session.Started, _p: int, changes: RowChanges) -> None:
    session_id = str(event.originator_id)
    changes.insert(
        schema.session,
        session_id,
        {
            "id": session_id,
            "login": event.login,
            "started_at": event.timestamp,
            "expires_at": event.expires_at,
            "revoked": False,
        },
    )


def _session_revoked(event: Session.Revoked, _p: int, changes: RowChanges) -> None:
    changes.update(schema.session, str(event.originator_id), {"revoked": True})


def _api_key_created(event: ApiKey.Created, _p: int, changes: RowChanges) -> None:
    key_id = str(event.originator_id)
    changes.insert(
        schema.api_key,
        key_id,
        {
            "id": key_id,
            "login": event.login,
            "name": event.name,
            "secret_hash": event.secret_hash,
            "revoked": False,
            "created_at": event.timestamp,
        },
    )


def _api_key_revoked(event: ApiKey.Revoked, _p: int, changes: RowChanges) -> None:
    changes.update(schema.api_key, str(event.originator_id), {"revoked": True})


SECURITY_HANDLERS: dict[str, Handler] = {
    Identity.Created.TOPIC: _identity_created,
    Identity.PasswordChanged.TOPIC: _password_changed,
    Identity.RolesChanged.TOPIC: _roles_changed,
    Identity.Disabled.TOPIC: _identity_disabled,
    Identity.Enabled.TOPIC: _identity_enabled,
    Session.Started.TOPIC: _session_started,
    Session.Revoked.TOPIC: _session_revoked,
    ApiKey.Created.TOPIC: _api_key_created,
    ApiKey.Revoked.TOPIC: _api_key_revoked,
}
