"""`attune action` and `attune trigger`: what packs provide, through the API."""

from __future__ import annotations

import json
from typing import Any

import click
import yaml

from attune.infra.cli.client import call_api, json_option, print_table
from attune.projections.queries import MAX_LIMIT

LIMIT = click.IntRange(min=1, max=MAX_LIMIT)


def _list(ctx: click.Context, path: str, pack: str | None, limit: int, columns: list[str]) -> None:
    query = {k: v for k, v in {"pack": pack, "limit": limit}.items() if v}
    page = call_api(ctx, "GET", path, params=query)
    if ctx.obj["json"]:
        click.echo(json.dumps(page, indent=2))
    else:
        print_table(page["items"], columns)


def _get(ctx: click.Context, path: str) -> None:
    found: dict[str, Any] = call_api(ctx, "GET", path)
    if ctx.obj["json"]:
        click.echo(json.dumps(found, indent=2))
    else:
        click.echo(yaml.safe_dump(found["definition"], sort_keys=False).rstrip())


@click.group()
def action() -> None:
    """Inspect actions."""


@action.command("list")
@json_option
@click.option("--pack")
@click.option("--limit", type=LIMIT, default=100, show_default=True)
@click.pass_context
def action_list(ctx: click.Context, pack: str | None, limit: int) -> None:
    """List actions."""
    _list(ctx, "/api/v1/actions", pack, limit, ["ref", "runner_type", "description"])


@action.command("get")
@json_option
@click.argument("ref")
@click.pass_context
def action_get(ctx: click.Context, ref: str) -> None:
    """Show action REF's definition, its parameters among it."""
    _get(ctx, f"/api/v1/actions/{ref}")


@click.group()
def trigger() -> None:
    """Inspect trigger types."""


@trigger.command("list")
@json_option
@click.option("--pack")
@click.option("--limit", type=LIMIT, default=100, show_default=True)
@click.pass_context
def trigger_list(ctx: click.Context, pack: str | None, limit: int) -> None:
    """List trigger types."""
    _list(ctx, "/api/v1/triggers", pack, limit, ["ref", "description"])


@trigger.command("get")
@json_option
@click.argument("ref")
@click.pass_context
def trigger_get(ctx: click.Context, ref: str) -> None:
    """Show trigger type REF's definition, its parameters among it."""
    _get(ctx, f"/api/v1/triggers/{ref}")
