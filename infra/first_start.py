"""The identities and API keys a first start creates, and keeps alive on later starts.

The `admin` user (its password from ATTUNE_ADMIN_PASSWORD, or generated and shown once), an
admin API key in the state directory for the CLI on this machine, and the `attune-worker`
service account with an API key for distributed workers. Both `attune up` and `attune api`
run these on start.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.identity import ApiKey, Identity, IdentityKind
from attune.domain.ids import new_runtime_id
from attune.infra.security.passwords import hash_password
from attune.infra.security.private_files import write_private_file
from attune.infra.security.tokens import new_api_key, parse_api_key
from attune.infra.settings import Settings

Clock = Callable[[], datetime]
FIRST_ADMIN = "admin"
WORKER_ACCOUNT = "attune-worker"  # the service account of distributed workers


def admin_password(settings: Settings) -> tuple[str, bool]:
    """The admin's password: ATTUNE_ADMIN_PASSWORD, else a new one (and True: generated)."""
    given = settings.admin_password
    if given:
        return given.get_secret_value(), False
    return secrets.token_urlsafe(12), True


def ensure_first_admin(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> str | None:
    """Create the `admin` user on first start; return its password if it was generated."""
    if store.load(Identity.id_for(FIRST_ADMIN)) is not None:
        return None
    password, generated = admin_password(settings)
    _create_identity(
        commands, FIRST_ADMIN, IdentityKind.USER, "admin", clock, hash_password(password)
    )
    return password if generated else None


def ensure_local_cli_token(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> None:
    """Keep a live admin API key in the state directory (0600) for the CLI on this machine."""
    _ensure_api_key_file(commands, store, settings.cli_token_file, FIRST_ADMIN, "local-cli", clock)


def ensure_worker_token(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> None:
    """Keep a live API key of the `attune-worker` service account (role `worker`) in the
    state directory (0600): distributed workers resolve keystore references with it."""
    if store.load(Identity.id_for(WORKER_ACCOUNT)) is None:
        _create_identity(commands, WORKER_ACCOUNT, IdentityKind.SERVICE, "worker", clock)
    _ensure_api_key_file(
        commands, store, settings.worker_token_file, WORKER_ACCOUNT, "workers", clock
    )


def _create_identity(
    commands: CommandService,
    login: str,
    kind: IdentityKind,
    role: str,
    clock: Clock,
    password_hash: str | None = None,
) -> None:
    commands.execute(
        m.CreateIdentity(
            actor="attune",
            at=clock(),
            login=login,
            kind=kind,
            roles=[role],
            password_hash=password_hash,
        )
    )


def _ensure_api_key_file(
    commands: CommandService,
    store: EventStore,
    path: Path,
    login: str,
    name: str,
    clock: Clock,
) -> None:
    if path.exists():
        parsed = parse_api_key(path.read_text().strip())
        key = None if parsed is None else store.load(parsed[0])
        if isinstance(key, ApiKey) and not key.revoked:
            return
    now = clock()
    key_id = new_runtime_id(now, os.urandom(10))
    api_key, secret_hash = new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="attune", at=now, key_id=key_id, login=login, name=name, secret_hash=secret_hash
        )
    )
    write_private_file(path, api_key.encode())
