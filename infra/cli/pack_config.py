"""`attune pack config get|set`: a pack's configuration through the API.

`set` replaces the whole configuration (as ``PUT /api/v1/packs/{ref}/config`` does) with
the values of a YAML file (``--file``) and ``KEY=VALUE`` pairs (a pair wins over the
file; VALUE is read as JSON when it parses, as for `attune key set`). Secret values are
shown as ``********``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from attune.infra.cli.client import call_api, json_option, print_table
from attune.infra.cli.key import parse_value
from attune.infra.cli.yaml_files import read_mapping


def _show(ctx: click.Context, answer: dict[str, Any]) -> None:
    if ctx.obj["json"]:
        click.echo(json.dumps(answer, indent=2))
        return
    rows = [{"field": name, "value": value} for name, value in sorted(answer["values"].items())]
    if rows:
        print_table(rows, ["field", "value"])
    else:
        click.echo(f"pack {answer['pack']} has no configuration")


def _values(file: Path | None, pairs: tuple[str, ...]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if file is not None:
        values.update(read_mapping(file, "a mapping", "--file"))
    for pair in pairs:
        name, equals, text = pair.partition("=")
        if not equals or not name:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="KEY=VALUE")
        values[name] = parse_value(text)
    return values


@click.group("config")
def config() -> None:
    """A pack's configuration: what its rules and actions read as config.<field>."""


@config.command("get")
@click.argument("pack")
@json_option
@click.pass_context
def config_get(ctx: click.Context, pack: str) -> None:
    """Show PACK's configuration (secret values masked)."""
    _show(ctx, call_api(ctx, "GET", f"/api/v1/packs/{pack}/config"))


@config.command("set")
@click.argument("pack")
@click.argument("pairs", metavar="[KEY=VALUE]...", nargs=-1)
@click.option(
    "--file", type=click.Path(dir_okay=False, path_type=Path), help="A YAML file of values."
)
@json_option
@click.pass_context
def config_set(ctx: click.Context, pack: str, pairs: tuple[str, ...], file: Path | None) -> None:
    """Replace PACK's configuration with the values given."""
    body = {"values": _values(file, pairs)}
    _show(ctx, call_api(ctx, "PUT", f"/api/v1/packs/{pack}/config", json=body))
