"""`attune replay rules`: what a rule would have matched over stored trigger events.

It asks the API's what-if (``POST /api/v1/rules/what-if``) batch after batch until the
window is done, with a progress bar on a terminal, and prints the events the rule would
have matched with the parameters it would have rendered (or, with `--json`, one JSON
document for scripts). Nothing is executed. RULE is a registered rule's ref or a rule's
YAML file, as for `attune rule test`.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import click

from attune.infra.cli.client import call_api, json_option, print_table
from attune.infra.cli.rule_test import rule_of

_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
COLUMNS = ["event", "occurred_at", "parameters"]


def time_of(text: str, now: datetime, option: str) -> datetime:
    """A time as given: a duration back from now (``90s``, ``30m``, ``24h``, ``7d``,
    ``2w``) or an ISO-8601 date-time (no zone: UTC)."""
    duration = _DURATION.fullmatch(text.strip())
    if duration:
        amount, unit = duration.groups()
        return now - timedelta(**{_UNITS[unit]: int(amount)})
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a duration (like 24h, 30m, 7d) nor an ISO-8601 date-time",
            param_hint=option,
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _shown_parameters(match: dict[str, Any]) -> str:
    if match["parameters_error"]:
        return f"error: {match['parameters_error']}"
    return json.dumps(match["parameters"])


@click.command("rules")
@click.option("--rule", "rule", required=True, help="A rule's ref or YAML file.")
@click.option("--since", required=True, help="The window's start: 24h (ago) or a date-time.")
@click.option("--until", help="The window's end: a duration ago or a date-time (default: now).")
@click.option(
    "--batch",
    type=click.IntRange(min=1, max=100_000),
    default=10_000,
    show_default=True,
    help="Trigger events examined per request.",
)
@json_option
@click.pass_context
def replay_rules(ctx: click.Context, rule: str, since: str, until: str | None, batch: int) -> None:
    """Which stored trigger events RULE would have matched since --since; executes nothing."""
    now = datetime.now(UTC)
    body: dict[str, Any] = {
        "rule": rule_of(rule, "--rule"),
        "since": time_of(since, now, "--since").isoformat(),
        "until": (now if until is None else time_of(until, now, "--until")).isoformat(),
        "batch": batch,
    }
    answer = call_api(ctx, "POST", "/api/v1/rules/what-if", json=body)
    matched, examined = list(answer["matched"]), answer["examined"]
    with click.progressbar(
        length=max(answer["total"], 1), label="trigger events", file=sys.stderr
    ) as bar:
        bar.update(examined)
        while answer["next"] is not None:
            answer = call_api(
                ctx, "POST", "/api/v1/rules/what-if", json=body | {"after": answer["next"]}
            )
            matched += answer["matched"]
            examined += answer["examined"]
            bar.update(answer["examined"])
    summary = {key: answer[key] for key in ("rule", "trigger", "type", "since", "until")}
    if ctx.obj["json"]:
        click.echo(json.dumps(summary | {"examined": examined, "matched": matched}, indent=2))
        return
    if matched:
        rows = [
            {
                "event": m["event"]["id"],
                "occurred_at": m["event"]["occurred_at"],
                "parameters": _shown_parameters(m),
            }
            for m in matched
        ]
        print_table(rows, COLUMNS)
    click.echo(
        f"rule {summary['rule']} would have matched {len(matched)} of {examined} "
        f"{summary['trigger']} events from {summary['since']} until {summary['until']}"
    )
