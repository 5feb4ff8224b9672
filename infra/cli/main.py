"""The `attune` command line: `up` runs Attune; the other verbs talk to its API.

Output is a table for people, or JSON with `--json` for scripts. Errors from the API are
printed as the API worded them, and the command exits non-zero.
"""

from __future__ import annotations

import json
import socket
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import click

from attune.domain.execution import TERMINAL
from attune.infra.cli.admin import admin
from attune.infra.cli.catalog import action, trigger
from attune.infra.cli.client import call_api, json_option, log_to_stderr, print_table, settings_of
from attune.infra.cli.event import event
from attune.infra.cli.key import key
from attune.infra.cli.login import login
from attune.infra.cli.pack_config import config as pack_config
from attune.infra.cli.processes import GRACEFUL_SHUTDOWN_SECONDS, PROCESS_COMMANDS
from attune.infra.cli.relay import relay
from attune.infra.cli.replay import replay
from attune.infra.cli.replay_rules import replay_rules
from attune.infra.cli.rule import rule
from attune.infra.cli.rule_test import test_command
from attune.infra.cli.workflow import workflow
from attune.infra.settings import Settings
from attune.projections.queries import MAX_LIMIT

# A list's page size as the API takes it: a limit outside it is refused here, before asking.
LIMIT = click.IntRange(min=1, max=MAX_LIMIT)

TABLE_COLUMNS = {
    "executions": ["id", "action", "status", "created_at", "ended_at"],
    "packs": ["ref", "version", "description"],
}


def _emit(ctx: click.Context, payload: Any, kind: str) -> None:
    if ctx.obj["json"]:
        click.echo(json.dumps(payload, indent=2))
    else:
        print_table(payload["items"], TABLE_COLUMNS[kind])


@click.group()
@click.option("--api-url", envvar="ATTUNE_API_URL", help="API to talk to (default: local).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")
@click.pass_context
def main(ctx: click.Context, api_url: str | None, as_json: bool) -> None:
    """Attune: event-driven automation. Start it with `attune up`."""
    ctx.obj = {"settings": Settings().with_overrides(api_url=api_url), "json": as_json}


@main.command()
@click.option("--port", type=int, help="API port (default 8080).")
@click.option("--host", help="API address (default 127.0.0.1).")
@click.option(
    "--packs",
    "packs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="A directory of packs to register (repeatable; default ./packs).",
)
@click.option("--no-examples", is_flag=True, help="Do not register the examples pack.")
@click.option("--state-dir", type=click.Path(path_type=Path), help="Default ./.attune")
@click.pass_context
def up(
    ctx: click.Context,
    port: int | None,
    host: str | None,
    packs: tuple[Path, ...],
    no_examples: bool,
    state_dir: Path | None,
) -> None:
    """Run all of Attune in this process: store, processors, worker, API."""
    import uvicorn

    from attune.infra.bootstrap import build_embedded
    from attune.infra.storage.state_lock import StateDirectoryBusy, StateLock

    settings = settings_of(ctx).with_overrides(
        port=port,
        host=host,
        packs=list(packs) or None,
        state_dir=state_dir,
        examples=False if no_examples else None,
    )
    log_to_stderr(settings)
    # The state directory's lock first: a second `attune up` here would also find the port
    # taken, but what it should say is which Attune is running on this state.
    try:
        lock = StateLock(settings.state_dir).acquire()
    except StateDirectoryBusy as busy:
        raise click.ClickException(str(busy)) from None
    try:
        _check_port_free(settings.host, settings.port)
    except click.ClickException:
        lock.release()
        raise
    attune = build_embedded(settings, lock=lock)
    for problem in attune.problems:
        click.echo(f"pack problem: {problem}", err=True)
    if attune.generated_admin_password:
        click.echo(
            "Created the first admin: login 'admin', password "
            f"'{attune.generated_admin_password}' (shown only now; set ATTUNE_ADMIN_PASSWORD "
            "to choose it). The CLI on this machine needs no login.",
            err=True,
        )
    attune.start()
    click.echo(
        f"Attune is up: API {settings.base_url} (docs at {settings.base_url}/docs), "
        f"state in {settings.state_dir}, packs: {', '.join(p.pack.ref for p in attune.packs)}",
        err=True,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            attune.app,
            host=settings.host,
            port=settings.port,
            log_level="warning",
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
    )
    try:
        server.run()
    finally:
        attune.stop()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as problem:
            raise click.ClickException(
                f"cannot listen on {host}:{port} ({problem.strerror}); choose another --port"
            ) from None


def _parse_assignments(assignments: Sequence[str]) -> dict[str, Any]:
    parameters: dict[str, Any] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"'{item}' is not key=value", param_hint="PARAMETERS")
        if name in parameters:  # keeping one of the two values silently would surprise
            raise click.BadParameter(f"'{name}' is given twice", param_hint="PARAMETERS")
        parameters[name] = text
    return parameters


def _typed(ctx: click.Context, action: str, parameters: dict[str, str]) -> dict[str, Any]:
    """Give each key=value text the type the action declares for it."""
    from attune.domain.parameters import coerce_text, parse_schema

    found = call_api(ctx, "GET", f"/api/v1/actions/{action}")
    schema = parse_schema(found.get("parameters") or {})
    return {name: coerce_text(schema, name, text) for name, text in parameters.items()}


@main.command()
@click.argument("action")
@click.argument("parameters", nargs=-1)
@click.option("--wait", is_flag=True, help="Wait for the execution to end; print its output.")
@json_option
@click.option("--timeout", type=float, default=600.0, help="Seconds to wait with --wait.")
@click.pass_context
def run(
    ctx: click.Context, action: str, parameters: tuple[str, ...], wait: bool, timeout: float
) -> None:
    """Run ACTION with key=value PARAMETERS."""
    given = _typed(ctx, action, _parse_assignments(parameters))
    accepted = call_api(
        ctx, "POST", "/api/v1/executions", json={"action": action, "parameters": given}
    )
    if not wait:
        _show_execution(ctx, accepted)
        return
    execution = _wait_for_end(ctx, accepted["id"], accepted["position"], timeout)
    _show_execution(ctx, execution)
    if execution["status"] != "succeeded":
        sys.exit(1)


def _wait_for_end(ctx: click.Context, execution_id: str, position: int, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        execution = call_api(
            ctx, "GET", f"/api/v1/executions/{execution_id}", params={"position": position}
        )
        if execution["status"] in TERMINAL or time.monotonic() > deadline:
            return execution
        time.sleep(delay)
        delay = min(delay * 1.5, 1.0)


def _show_execution(ctx: click.Context, execution: dict[str, Any]) -> None:
    if ctx.obj["json"]:
        click.echo(json.dumps(execution, indent=2))
        return
    click.echo(f"id: {execution['id']}")
    click.echo(f"status: {execution['status']}")
    if execution.get("error"):
        click.echo(f"error: {execution['error']}")
    result = execution.get("result") or {}
    if "data" in result:
        click.echo(json.dumps(result["data"], indent=2))
    elif result.get("stdout"):
        click.echo(result["stdout"])
    if result.get("stderr"):
        click.echo(result["stderr"], err=True)


@main.group()
def execution() -> None:
    """Inspect and cancel executions."""


@execution.command("list")
@json_option
@click.option("--status")
@click.option("--action")
@click.option("--limit", type=LIMIT, default=50, show_default=True)
@click.pass_context
def execution_list(ctx: click.Context, status: str | None, action: str | None, limit: int) -> None:
    params = {k: v for k, v in {"status": status, "action": action, "limit": limit}.items() if v}
    _emit(ctx, call_api(ctx, "GET", "/api/v1/executions", params=params), "executions")


@execution.command("get")
@json_option
@click.argument("execution_id")
@click.pass_context
def execution_get(ctx: click.Context, execution_id: str) -> None:
    _show_execution(ctx, call_api(ctx, "GET", f"/api/v1/executions/{execution_id}"))


@execution.command("history")
@click.argument("execution_id")
@json_option
@click.pass_context
def execution_history(ctx: click.Context, execution_id: str) -> None:
    """An execution's lifecycle, one line per domain event."""
    history = call_api(ctx, "GET", f"/api/v1/executions/{execution_id}/history")
    if ctx.obj["json"]:
        click.echo(json.dumps(history, indent=2))
    else:
        print_table(history, ["occurred_at", "status", "event", "actor"])


@execution.command("cancel")
@click.argument("execution_id")
@json_option
@click.pass_context
def execution_cancel(ctx: click.Context, execution_id: str) -> None:
    """Cancel a run: `canceled` at once if it has not started, else `canceling` until its
    worker has stopped the action."""
    _show_execution(ctx, call_api(ctx, "DELETE", f"/api/v1/executions/{execution_id}"))


def _list_command(group: click.Group, kind: str) -> None:
    @group.command("list", help=f"List {kind}.")
    @json_option
    @click.option("--limit", type=LIMIT, default=100, show_default=True)
    @click.pass_context
    def list_(ctx: click.Context, limit: int) -> None:
        _emit(ctx, call_api(ctx, "GET", f"/api/v1/{kind}", params={"limit": limit}), kind)


_packs = click.Group("pack", help="Inspect packs, and configure them.")
_list_command(_packs, "packs")
_packs.add_command(pack_config)
main.add_command(_packs)


@main.group()
def kafka() -> None:
    """Kafka for distributed mode."""


@kafka.command("init")
@click.option("--bootstrap", help="host:port of a broker (default ATTUNE_KAFKA_BOOTSTRAP).")
@click.pass_context
def kafka_init(ctx: click.Context, bootstrap: str | None) -> None:
    """Create every topic of the catalogue (docs/topics.md) with its partition count."""
    from attune.infra.kafka.admin import KafkaUnavailable, TopicMismatch, init_topics
    from attune.infra.kafka.topics import TOPICS

    address = bootstrap or settings_of(ctx).kafka_bootstrap
    try:
        report = init_topics(address, TOPICS)
    except (KafkaUnavailable, TopicMismatch) as problem:
        raise click.ClickException(str(problem)) from None
    for name in report.created:
        click.echo(f"created {name}")
    for name in report.existing:
        click.echo(f"exists  {name}")


main.add_command(key)
rule.add_command(test_command)
replay.add_command(replay_rules)
main.add_command(rule)
main.add_command(event)
main.add_command(action)
main.add_command(trigger)
main.add_command(relay)
for _process in PROCESS_COMMANDS:
    main.add_command(_process)
main.add_command(replay)
main.add_command(login)
main.add_command(admin)
main.add_command(workflow)
