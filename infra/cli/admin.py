"""`attune admin reset`: admin access back, on the machine that holds the state directory.

For an Attune no admin can get into (the `admin` user disabled, or stripped of its role,
by a version that did not refuse it; its password lost): the `admin` user is enabled again,
or created if it is missing, with the `admin` role and a new password (ATTUNE_ADMIN_PASSWORD,
or generated and printed once, as on the first start), and the CLI on this machine gets a
new API key in the state directory (the old one is revoked). The changes are ordinary
commands, in the audit with the actor `admin_reset`.

Whoever can write the state directory can do this; that is the boundary anyway (it holds
the keyring and the signing key). On SQLite, Attune must be stopped (the state directory's
lock is taken), like `attune replay projections`; on PostgreSQL it may run meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import click

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.events import Cause
from attune.domain.identity import ADMIN_ROLE, ApiKey, Identity, IdentityKind
from attune.infra.cli.client import settings_of
from attune.infra.cli.state import STATE_DIR, exclusive_state, open_existing_store
from attune.infra.settings import Settings

ACTOR = "admin_reset"
Clock = Callable[[], datetime]


@click.group()
def admin() -> None:
    """Recover admin access on the machine that holds the state directory."""


@admin.command("reset")
@STATE_DIR
@click.pass_context
def admin_reset(ctx: click.Context, state_dir: Path | None) -> None:
    """Enable the `admin` user (creating it if missing) with the admin role and a new
    password, and give the CLI on this machine a new API key.

    The password is ATTUNE_ADMIN_PASSWORD, or generated and printed once. On SQLite,
    Attune must be stopped (the state directory's lock is taken); on PostgreSQL it may run.
    """
    from attune.infra.bootstrap import utc_now
    from attune.infra.first_start import FIRST_ADMIN
    from attune.infra.security.secret_box import AesGcmSecretBox

    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    with exclusive_state(settings, dry_run=False):
        store = open_existing_store(settings)
        try:
            # Identity commands seal nothing: the keyring is only opened if one asks.
            commands = CommandService(store, AesGcmSecretBox(settings.state_dir))
            generated = reset_admin(commands, store, settings, utc_now)
        finally:
            store.close()
    password = (
        f"its new password is '{generated}' (shown only now; set ATTUNE_ADMIN_PASSWORD "
        "to choose it)"
        if generated
        else "its password is now the one in ATTUNE_ADMIN_PASSWORD"
    )
    click.echo(f"The user '{FIRST_ADMIN}' is enabled with the admin role; {password}.")
    click.echo(
        f"The CLI on this machine has a new API key in {settings.cli_token_file} "
        "(the previous one is revoked)."
    )


def reset_admin(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> str | None:
    """Give `admin` back its access and the CLI a new key; return the password if it was
    generated (None when it came from ATTUNE_ADMIN_PASSWORD)."""
    from attune.infra.first_start import FIRST_ADMIN, admin_password, ensure_local_cli_token
    from attune.infra.security.passwords import hash_password
    from attune.infra.security.tokens import parse_api_key

    password, generated = admin_password(settings)
    password_hash = hash_password(password)
    cause = Cause(ACTOR, clock())
    admin = store.load(Identity.id_for(FIRST_ADMIN))
    changes: list[m.Command] = (
        [
            m.EnableIdentity.because(cause, login=FIRST_ADMIN),
            m.SetRoles.because(cause, login=FIRST_ADMIN, roles=[*admin.roles, ADMIN_ROLE]),
            m.ChangePassword.because(cause, login=FIRST_ADMIN, password_hash=password_hash),
        ]
        if isinstance(admin, Identity)
        else [
            m.CreateIdentity.because(
                cause,
                login=FIRST_ADMIN,
                kind=IdentityKind.USER,
                roles=[ADMIN_ROLE],
                password_hash=password_hash,
            )
        ]
    )
    token_file = settings.cli_token_file
    old_key = parse_api_key(token_file.read_text().strip()) if token_file.exists() else None
    if old_key is not None and isinstance(store.load(old_key[0]), ApiKey):
        changes.append(m.RevokeApiKey.because(cause, key_id=old_key[0]))
    for command in changes:
        commands.execute(command)
    # With the old key revoked, the first start's own step issues and writes a new one.
    ensure_local_cli_token(commands, store, settings, clock)
    return password if generated else None
