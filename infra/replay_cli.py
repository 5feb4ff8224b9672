"""`attune relay` and `attune replay`: moving the event log to Kafka and rebuilding state
from it."""

from __future__ import annotations

from pathlib import Path

import click

from attune.infra.cli_client import log_to_stderr, settings_of, stop_on_signals


@click.command()
@click.pass_context
def relay(ctx: click.Context) -> None:
    """Publish the event store's log to Kafka (distributed mode), until stopped."""
    from attune.infra.bootstrap import run_relay

    settings = settings_of(ctx)
    log_to_stderr(settings)
    run_relay(settings, stop_on_signals())


@click.group()
def replay() -> None:
    """Rebuild state from the event log."""


@replay.command("projections")
@click.option("--state-dir", type=click.Path(path_type=Path))
@click.pass_context
def replay_projections(ctx: click.Context, state_dir: Path | None) -> None:
    """Drop the read models and rebuild them from the whole log (Attune must be stopped)."""
    from attune.infra.bootstrap import open_read_engine, open_store
    from attune.infra.state_lock import StateDirectoryBusy, StateLock
    from attune.projections.rebuild import rebuild

    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    if not settings.events_db.exists():
        raise click.ClickException(f"no event store at {settings.events_db}")
    try:
        lock = StateLock(settings.state_dir).acquire()
    except StateDirectoryBusy as busy:
        raise click.ClickException(str(busy)) from None
    try:
        store = open_store(settings)
        count = rebuild(store, open_read_engine(settings))
    finally:
        lock.release()
    click.echo(f"rebuilt the read models from {count} events")
