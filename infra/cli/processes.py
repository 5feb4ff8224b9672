"""The processes of distributed mode: `attune api`, `commands`, `streams`, `worker`, `project`.

Each reads its settings from the environment (`ATTUNE_DATABASE_URL`,
`ATTUNE_KAFKA_BOOTSTRAP`, ...; see docs/deploy.md) and runs until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import click

from attune.infra.cli.client import log_to_stderr, settings_of, stop_on_signals

# Requests still running when the API is told to stop get this long: a read waiting for the
# projections could otherwise hold the shutdown for its whole `wait` (up to a minute).
GRACEFUL_SHUTDOWN_SECONDS = 5


@click.command()
@click.option("--port", type=int, help="Port to listen on (default 8080).")
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.pass_context
def api(ctx: click.Context, port: int | None, host: str | None) -> None:
    """Serve the API: user commands to the store, reads from the projections."""
    import uvicorn

    from attune.infra.distributed import build_api
    from attune.infra.startup import connect_with_retry

    settings = settings_of(ctx).with_overrides(port=port, host=host)
    log_to_stderr(settings)
    app = connect_with_retry("the database", lambda: build_api(settings), stop_on_signals())
    if app is None:
        return
    click.echo(f"Attune API on {settings.base_url}", err=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )


@click.command()
@click.pass_context
def commands(ctx: click.Context) -> None:
    """Apply the commands of processors and workers (the commands topic) to the store."""
    from attune.infra.distributed import run_commands

    settings = settings_of(ctx)
    log_to_stderr(settings)
    run_commands(settings, stop_on_signals())


@click.command()
@click.pass_context
def streams(ctx: click.Context) -> None:
    """Run the stream processors (rule engine, scheduler, timers, supervisor) on faust."""
    from attune.infra.distributed import run_streams

    settings = settings_of(ctx)
    log_to_stderr(settings)
    run_streams(settings)


@click.command()
@click.option("--pool", help="The worker pool to serve (default: local).")
@click.option("--concurrency", type=int, help="Actions run at once (default 8).")
@click.pass_context
def worker(ctx: click.Context, pool: str | None, concurrency: int | None) -> None:
    """Run the executions scheduled for a worker pool (no database access needed)."""
    from attune.infra.distributed import run_worker

    settings = settings_of(ctx).with_overrides(worker_pool=pool, worker_concurrency=concurrency)
    log_to_stderr(settings)
    run_worker(settings, stop_on_signals())


@click.command()
@click.pass_context
def project(ctx: click.Context) -> None:
    """Keep the read models up to date with the store's log."""
    from attune.infra.distributed import run_project

    settings = settings_of(ctx)
    log_to_stderr(settings)
    run_project(settings, stop_on_signals())


PROCESS_COMMANDS = (api, commands, streams, worker, project)
