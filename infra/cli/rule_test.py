"""`attune rule test`: how a rule fares against a trigger event, from the rule tester's
answer (``POST /api/v1/rules/test``): each criterion, the `when`, the parameters.

RULE is a registered rule's ref or a rule's YAML file (as in a pack's ``rules/`` folder:
its name defaults to the file's, its pack to the ``pack.yaml`` of the pack it sits in).
The event is a stored one (``--event ID``) or a payload file (``--payload FILE``, JSON or
YAML) with ``--trigger TYPE`` (default: the rule's trigger type).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from attune.infra.cli.client import call_api, json_option, print_table
from attune.infra.cli.yaml_files import read_mapping

COLUMNS = ["criterion", "operator", "value", "pattern", "outcome"]


def rule_of(argument: str, what: str = "RULE") -> str | dict[str, Any]:
    """A rule as the API takes it: a ref as is, a YAML file as its definition (`what`:
    the argument or option that gave it, for errors)."""
    path = Path(argument)
    if not (path.suffix in (".yaml", ".yml") or path.is_file()):
        return argument
    if not path.is_file():
        raise click.BadParameter(f"no such file: {path}", param_hint=what)
    definition = read_mapping(path, "a rule (a mapping)", what)
    definition.setdefault("name", path.stem)
    pack_file = path.resolve().parent.parent / "pack.yaml"
    if "pack" not in definition and "ref" not in definition and pack_file.is_file():
        pack = read_mapping(pack_file, "a pack (a mapping)", what)
        if isinstance(pack.get("ref"), str):
            definition["pack"] = pack["ref"]
    return definition


def _shown(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _outcome(matched: bool, error: str | None) -> str:
    if error:
        return f"error: {error}"
    return "matched" if matched else "no match"


def print_answer(answer: dict[str, Any]) -> None:
    """The rule tester's answer for people: verdict, trigger, criteria, when, parameters."""
    verdict = "matches" if answer["matched"] else "does not match"
    event = answer["event"]
    click.echo(f"rule {answer['rule']} {verdict} event {event['id']} ({event['occurred_at']})")
    trigger = answer["trigger"]
    check = "ok" if trigger["matched"] else "no match"
    click.echo(
        f"trigger: {trigger['got']} {_shown(trigger['params_got'])}, the rule listens to "
        f"{trigger['expected']} {_shown(trigger['params_expected'])}: {check}"
    )
    if answer["criteria"]:
        rows = [
            {
                "criterion": c["key"],
                "operator": c["operator"],
                "value": c["value"] if c["found"] else "<missing>",
                "pattern": c["pattern"],
                "outcome": _outcome(c["matched"], c["error"]),
            }
            for c in answer["criteria"]
        ]
        print_table(rows, COLUMNS)
    else:
        click.echo("criteria: none")
    when = answer["when"]
    if when is None:
        click.echo("when: none")
    else:
        result = f"error: {when['error']}" if when["error"] else _shown(when["value"])
        outcome = "matched" if when["matched"] else "no match"
        click.echo(f"when: {when['expression']} -> {result} ({outcome})")
    parameters = answer["parameters"]
    if answer["parameters_error"]:
        click.echo(f"parameters: error: {answer['parameters_error']}")
    if parameters is not None:
        click.echo(f"parameters for {answer['action']}:" if parameters else "parameters: none")
        for name, value in parameters.items():
            click.echo(f"  {name}: {_shown(value)}")
    for note in answer["notes"]:
        click.echo(f"note: {note}")


@click.command("test")
@click.argument("rule")
@click.option("--event", "event_id", help="The id of a stored trigger event to test.")
@click.option(
    "--payload",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A payload to test (JSON or YAML file), as if the trigger fired now.",
)
@click.option("--trigger", help="With --payload: the trigger type (default: the rule's).")
@json_option
@click.pass_context
def test_command(
    ctx: click.Context,
    rule: str,
    event_id: str | None,
    payload: Path | None,
    trigger: str | None,
) -> None:
    """How RULE (a ref or a YAML file) fares against a trigger event; changes nothing."""
    if (event_id is None) == (payload is None):
        raise click.UsageError("give either --event ID or --payload FILE")
    if trigger is not None and payload is None:
        raise click.UsageError("--trigger goes with --payload")
    body: dict[str, Any] = {"rule": rule_of(rule)}
    if event_id is not None:
        body["event"] = event_id
    else:
        assert payload is not None
        body["payload"] = read_mapping(payload, "an object", "--payload")
        if trigger is not None:
            body["trigger"] = trigger
    answer = call_api(ctx, "POST", "/api/v1/rules/test", json=body)
    if ctx.obj["json"]:
        click.echo(json.dumps(answer, indent=2))
    else:
        print_answer(answer)


test_command.__test__ = False  # type: ignore[attr-defined]  # a command, not a pytest test
