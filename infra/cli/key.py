"""`attune key`: the keystore from the command line.

`list`, `get`, `set` and `delete` call the API (``/api/v1/keys``); `rotate` works on the
keyring of the local state directory, like `attune replay projections`, and a running
Attune picks the new key up at once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from attune.domain.keystore import KeyScope
from attune.infra.cli.client import call_api, json_option, print_table, settings_of
from attune.infra.security.secret_box import open_keyring

COLUMNS = ["name", "scope", "owner", "value", "encrypted", "expires_at"]
SCOPES = click.Choice([scope.value for scope in KeyScope])


def parse_value(text: str) -> Any:
    """VALUE as JSON when it parses (``5432``, ``true``, ``["a", "b"]``), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _address(name: str, scope: str, owner: str | None) -> tuple[str, dict[str, str]]:
    """The key's API path and query."""
    return f"/api/v1/keys/{scope}/{name}", ({"owner": owner} if owner else {})


def _addressed(command: Any) -> Any:
    """NAME, --scope and --owner: which key a command is about."""
    command = click.option(
        "--owner", help="The pack (pack keys) or login (user keys; default: you)."
    )(command)
    command = click.option("--scope", type=SCOPES, default="system", show_default=True)(command)
    return click.argument("name")(command)


def _show(ctx: click.Context, payload: Any, rows: list[dict[str, Any]]) -> None:
    if ctx.obj["json"]:
        click.echo(json.dumps(payload, indent=2))
    else:
        print_table(rows, COLUMNS)


@click.group()
def key() -> None:
    """Named values for actions to use as {{ keystore.NAME }}, optionally encrypted."""


@key.command("list")
@json_option
@click.option("--scope", type=SCOPES)
@click.option("--owner")
@click.option("--limit", type=int, default=100)
@click.pass_context
def key_list(ctx: click.Context, scope: str | None, owner: str | None, limit: int) -> None:
    """List live keys (encrypted values masked)."""
    query = {k: v for k, v in {"scope": scope, "owner": owner, "limit": limit}.items() if v}
    page = call_api(ctx, "GET", "/api/v1/keys", params=query)
    _show(ctx, page, page["items"])


@key.command("get")
@json_option
@_addressed
@click.option("--decrypt", is_flag=True, help="Show an encrypted value (a recorded read).")
@click.pass_context
def key_get(ctx: click.Context, name: str, scope: str, owner: str | None, decrypt: bool) -> None:
    """Print the value of key NAME (text as is, anything else as JSON)."""
    path, query = _address(name, scope, owner)
    found = call_api(ctx, "GET", path, params=query | ({"decrypt": "true"} if decrypt else {}))
    value = found["value"]
    if ctx.obj["json"]:
        click.echo(json.dumps(found, indent=2))
    else:
        click.echo(value if isinstance(value, str) else json.dumps(value))


@key.command("set")
@json_option
@_addressed
@click.argument("value")
@click.option("--encrypt", is_flag=True, help="Store the value encrypted.")
@click.option("--ttl", type=click.IntRange(min=1), help="Seconds until the key expires.")
@click.pass_context
def key_set(
    ctx: click.Context,
    name: str,
    scope: str,
    owner: str | None,
    value: str,
    encrypt: bool,
    ttl: int | None,
) -> None:
    """Set key NAME to VALUE (JSON if it parses as JSON, else text)."""
    path, query = _address(name, scope, owner)
    body = {"value": parse_value(value), "encrypted": encrypt, "ttl": ttl}
    stored = call_api(ctx, "PUT", path, params=query, json=body)
    _show(ctx, stored, [stored])


@key.command("delete")
@_addressed
@click.pass_context
def key_delete(ctx: click.Context, name: str, scope: str, owner: str | None) -> None:
    """Delete key NAME."""
    path, query = _address(name, scope, owner)
    call_api(ctx, "DELETE", path, params=query)
    click.echo(f"deleted the {scope} key {name}" + (f" of {owner}" if owner else ""))


@key.command("rotate")
@click.option("--state-dir", type=click.Path(path_type=Path))
@click.pass_context
def key_rotate(ctx: click.Context, state_dir: Path | None) -> None:
    """Make a new encryption key current.

    Values sealed by older keys stay readable while their key files are kept (secret.key
    and keys/*.key in the state directory); remove a retired key file to retire it.
    """
    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    if not settings.state_dir.is_dir():
        raise click.ClickException(f"no state directory at {settings.state_dir}")
    key_id = open_keyring(settings.state_dir).rotate()
    click.echo(f"the key {key_id} is current: new values are sealed with it")
