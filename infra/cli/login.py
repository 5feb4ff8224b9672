"""`attune login` and the credentials the command line uses.

A login against an API stores its tokens in the user's config directory
(`$XDG_CONFIG_HOME/attune/credentials.json`, or `~/.config/...`; mode 0600), one entry per
API address; an expired access token is refreshed with the stored refresh token.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click
import httpx

from attune.infra.security.private_files import write_private_file
from attune.infra.settings import Settings

REFRESH_MARGIN = timedelta(seconds=30)


def credentials_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "attune" / "credentials.json"


def _stored() -> dict[str, Any]:
    path = credentials_file()
    return json.loads(path.read_text()) if path.exists() else {}


def _store(entries: dict[str, Any]) -> None:
    write_private_file(credentials_file(), json.dumps(entries, indent=2).encode())


def _refreshed(base_url: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    answer = httpx.post(
        f"{base_url}/auth/v1/refresh", json={"refresh_token": entry["refresh_token"]}, timeout=30
    )
    if answer.status_code != 200:
        return None  # the session ended: a new login is needed
    return {**entry, **{k: v for k, v in answer.json().items() if v is not None}}


def credential_for(settings: Settings) -> str | None:
    """The bearer credential to send to `settings.base_url`, if any."""
    if token := os.environ.get("ATTUNE_TOKEN"):
        return token
    entries = _stored()
    entry = entries.get(settings.base_url)
    if entry is not None:
        expires = datetime.fromisoformat(entry["expires_at"])
        if expires - REFRESH_MARGIN <= datetime.now(UTC):
            entry = _refreshed(settings.base_url, entry)
            if entry is None:
                entries.pop(settings.base_url)
            else:
                entries[settings.base_url] = entry
            _store(entries)
        if entry is not None:
            return str(entry["access_token"])
    local = settings.cli_token_file
    return local.read_text().strip() if local.exists() else None


def no_credential_hint(settings: Settings) -> str:
    """For a 401 when `credential_for` found nothing: where it looked, and what to do."""
    return (
        f"No credential found for {settings.base_url}: ATTUNE_TOKEN is not set, "
        f"{credentials_file()} holds no login for it, and there is no local key at "
        f"{settings.cli_token_file.resolve()} (`attune up` keeps one in its state directory). "
        "Run the CLI in the directory `attune up` runs in, or log in: "
        f"attune login {settings.base_url}"
    )


@click.command()
@click.argument("url", required=False)
@click.option("--user", prompt=True, help="Your login.")
@click.option("--password", prompt=True, hide_input=True, help="Prompted when not given.")
@click.pass_context
def login(ctx: click.Context, url: str | None, user: str, password: str) -> None:
    """Log in to the Attune API at URL (default: the configured one) and keep the tokens."""
    base_url = (url or ctx.obj["settings"].base_url).rstrip("/")
    try:
        answer = httpx.post(
            f"{base_url}/auth/v1/login", json={"login": user, "password": password}, timeout=30
        )
    except httpx.TransportError as problem:
        raise click.ClickException(f"cannot reach {base_url}: {problem}") from None
    if answer.status_code != 200:
        raise click.ClickException(
            f"login refused ({answer.status_code}): {answer.json()['detail']}"
        )
    entries = _stored()
    entries[base_url] = answer.json()
    _store(entries)
    click.echo(f"logged in to {base_url} as {user}; tokens kept in {credentials_file()}")
