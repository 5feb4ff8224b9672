"""`attune event`: trigger events as an operator sees them.

`list` pages ``GET /api/v1/events``, `get` shows one with the enforcements it caused
(``GET /api/v1/events/{id}``), `re-emit` fires its trigger type again with the same
parameters and payload as a new trigger event (``POST /api/v1/events/{id}/re-emit``).
"""

from __future__ import annotations

import json
from typing import Any

import click

from attune.infra.cli.client import call_api, json_option, print_table
from attune.projections.queries import MAX_LIMIT

COLUMNS = ["id", "trigger", "occurred_at", "payload"]
ENFORCEMENT_COLUMNS = ["rule", "status", "execution_id", "reason"]


def _echo_json(payload: Any) -> None:
    click.echo(json.dumps(payload, indent=2))


@click.group()
def event() -> None:
    """Trigger events: firings of triggers, and what the rules did with them."""


@event.command("list")
@json_option
@click.option("--trigger", help="Only firings of this trigger type.")
@click.option("--limit", type=click.IntRange(min=1, max=MAX_LIMIT), default=50, show_default=True)
@click.pass_context
def event_list(ctx: click.Context, trigger: str | None, limit: int) -> None:
    """List trigger events, newest first."""
    params = {k: v for k, v in {"trigger": trigger, "limit": limit}.items() if v}
    page = call_api(ctx, "GET", "/api/v1/events", params=params)
    if ctx.obj["json"]:
        _echo_json(page)
    else:
        print_table(page["items"], COLUMNS)


@event.command("get")
@json_option
@click.argument("event_id")
@click.pass_context
def event_get(ctx: click.Context, event_id: str) -> None:
    """Show trigger event EVENT_ID: its payload and the enforcements it caused."""
    found = call_api(ctx, "GET", f"/api/v1/events/{event_id}")
    if ctx.obj["json"]:
        _echo_json(found)
        return
    click.echo(f"id: {found['id']}")
    click.echo(f"trigger: {found['trigger']}")
    if found["trigger_params"]:
        click.echo(f"trigger_params: {json.dumps(found['trigger_params'])}")
    click.echo(f"occurred_at: {found['occurred_at']}")
    click.echo("payload:")
    click.echo(json.dumps(found["payload"], indent=2))
    if found["enforcements"]:
        click.echo("enforcements:")
        print_table(found["enforcements"], ENFORCEMENT_COLUMNS)
    else:
        click.echo("enforcements: none")


@event.command("re-emit")
@json_option
@click.argument("event_id")
@click.pass_context
def event_re_emit(ctx: click.Context, event_id: str) -> None:
    """Fire EVENT_ID's trigger again, same parameters and payload, as a new event."""
    accepted = call_api(ctx, "POST", f"/api/v1/events/{event_id}/re-emit")
    if ctx.obj["json"]:
        _echo_json(accepted)
    else:
        click.echo(f"re-emitted {event_id} as {accepted['id']} (position {accepted['position']})")
