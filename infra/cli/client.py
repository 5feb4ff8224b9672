"""How the command line reaches Attune's API and shows what comes back.

Credentials, in order: `ATTUNE_TOKEN`; the token `attune login` stored for this API (in
the user's config directory, 0600, refreshed when it expires); the local admin API key
that `attune up` keeps in the state directory, so the CLI on the same machine needs no
login.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

import click
import httpx

from attune.infra.cli.login import credential_for, no_credential_hint
from attune.infra.settings import Settings


def settings_of(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]  # type: ignore[no-any-return]


def log_to_stderr(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def stop_on_signals() -> threading.Event:
    """An event that SIGTERM or SIGINT sets: long-running commands stop when it is set."""
    stopping = threading.Event()
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop_signal, lambda *_: stopping.set())
    return stopping


def call_api(ctx: click.Context, method: str, path: str, **kwargs: Any) -> Any:
    settings = settings_of(ctx)
    token = credential_for(settings)
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=settings.base_url, timeout=30.0, headers=headers) as client:
            response = client.request(method, path, **kwargs)
    except httpx.TransportError as problem:
        raise click.ClickException(
            f"cannot reach the Attune API at {settings.base_url} ({problem}); "
            "is `attune up` running?"
        ) from None
    if response.status_code == 401 and token is None:
        # Run away from `attune up`'s directory, the CLI has no credential: say why.
        raise click.ClickException(f"{_error_text(response)}\n{no_credential_hint(settings)}")
    if response.status_code >= 400:
        raise click.ClickException(_error_text(response))
    if response.status_code == 204 or not response.content:
        return None  # done, with nothing to say (a deletion, say)
    return response.json()


def _error_text(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail", response.text)
    except ValueError:
        detail = response.text
    if isinstance(detail, list):
        detail = "; ".join(
            f"{d.get('parameter') or '.'.join(map(str, d.get('loc', [])))}: "
            f"{d.get('message') or d.get('msg')}"
            for d in detail
        )
    return f"{response.status_code}: {detail}"


def print_table(rows: Sequence[dict[str, Any]], columns: list[str]) -> None:
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def json_option(command: Any) -> Any:
    """`--json` after the verb too (`attune execution list --json`), not only before it."""

    def remember(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
        if value:
            ctx.find_root().obj["json"] = True

    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        expose_value=False,
        callback=remember,
        help="Print JSON instead of tables.",
    )(command)
