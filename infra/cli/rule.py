"""`attune rule`: rules through the API (``/api/v1/rules``).

FILE is a rule YAML file as a pack holds it; as it is not in a pack, it names its rule with
`pack:` and `name:`, or `ref:`. The API checks it as the pack loader would, and a refusal
is printed field by field.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import yaml

from attune.infra.cli.client import call_api, json_option, print_table
from attune.infra.cli.yaml_files import read_mapping
from attune.projections.queries import MAX_LIMIT

COLUMNS = ["ref", "trigger", "action", "enabled"]
LIMIT = click.IntRange(min=1, max=MAX_LIMIT)
RuleFile = click.Path(exists=True, dir_okay=False, path_type=Path)


def read_rule_file(path: Path) -> dict[str, Any]:
    """The rule definition FILE holds, as the JSON the API takes."""
    return read_mapping(path, "a rule (a YAML mapping)")


def ref_of(definition: dict[str, Any], path: Path) -> str:
    """The ref a rule file names: its `ref`, else `pack` and `name`."""
    ref = definition.get("ref")
    if ref is None and definition.get("pack") and definition.get("name"):
        ref = f"{definition['pack']}.{definition['name']}"
    if not isinstance(ref, str):
        raise click.ClickException(f"{path} names no rule: give it `ref:`, or `pack:` and `name:`")
    return ref


def _show(ctx: click.Context, rule: dict[str, Any]) -> None:
    if ctx.obj["json"]:
        click.echo(json.dumps(rule, indent=2))
    else:
        print_table([rule], COLUMNS)


@click.group()
def rule() -> None:
    """Rules: when a trigger fires and the criteria hold, run an action."""


@rule.command("list")
@json_option
@click.option("--pack")
@click.option("--limit", type=LIMIT, default=100, show_default=True)
@click.pass_context
def rule_list(ctx: click.Context, pack: str | None, limit: int) -> None:
    """List rules."""
    query = {k: v for k, v in {"pack": pack, "limit": limit}.items() if v}
    page = call_api(ctx, "GET", "/api/v1/rules", params=query)
    if ctx.obj["json"]:
        click.echo(json.dumps(page, indent=2))
    else:
        print_table(page["items"], COLUMNS)


@rule.command("get")
@json_option
@click.argument("ref")
@click.pass_context
def rule_get(ctx: click.Context, ref: str) -> None:
    """Show rule REF and its definition."""
    found = call_api(ctx, "GET", f"/api/v1/rules/{ref}")
    if ctx.obj["json"]:
        click.echo(json.dumps(found, indent=2))
    else:
        click.echo(yaml.safe_dump(found["definition"], sort_keys=False).rstrip())


@rule.command("create")
@json_option
@click.argument("file", type=RuleFile)
@click.pass_context
def rule_create(ctx: click.Context, file: Path) -> None:
    """Create the rule FILE defines (it names it with `pack:` and `name:`, or `ref:`)."""
    definition = read_rule_file(file)
    ref_of(definition, file)
    _show(ctx, call_api(ctx, "POST", "/api/v1/rules", json=definition))


@rule.command("update")
@json_option
@click.argument("file", type=RuleFile)
@click.pass_context
def rule_update(ctx: click.Context, file: Path) -> None:
    """Replace the definition of the rule FILE names with the one it holds."""
    definition = read_rule_file(file)
    ref = ref_of(definition, file)
    _show(ctx, call_api(ctx, "PUT", f"/api/v1/rules/{ref}", json=definition))


@rule.command("enable")
@json_option
@click.argument("ref")
@click.pass_context
def rule_enable(ctx: click.Context, ref: str) -> None:
    """Enable rule REF."""
    _show(ctx, call_api(ctx, "POST", f"/api/v1/rules/{ref}/enable"))


@rule.command("disable")
@json_option
@click.argument("ref")
@click.pass_context
def rule_disable(ctx: click.Context, ref: str) -> None:
    """Disable rule REF: it stops firing until enabled."""
    _show(ctx, call_api(ctx, "POST", f"/api/v1/rules/{ref}/disable"))


@rule.command("delete")
@click.argument("ref")
@click.pass_context
def rule_delete(ctx: click.Context, ref: str) -> None:
    """Delete rule REF (not one its pack's files define: delete the file instead)."""
    call_api(ctx, "DELETE", f"/api/v1/rules/{ref}")
    click.echo(f"deleted the rule {ref}")
