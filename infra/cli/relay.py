"""`attune relay`: the relay (distributed mode) and `attune relay republish`, which sends a
range of the log again, once (see docs/replay.md)."""

from __future__ import annotations

from pathlib import Path

import click

from attune.infra.cli.client import log_to_stderr, settings_of, stop_on_signals
from attune.infra.cli.state import (
    DRY_RUN,
    STATE_DIR,
    echo_counts,
    open_existing_store,
    progress_bar,
)


@click.group(invoke_without_command=True)
@click.pass_context
def relay(ctx: click.Context) -> None:
    """Publish the event store's log to Kafka (distributed mode), until stopped.

    With `republish`: publish a range of the log again, once.
    """
    if ctx.invoked_subcommand is not None:
        return
    from attune.infra.distributed import run_relay

    settings = settings_of(ctx)
    log_to_stderr(settings)
    run_relay(settings, stop_on_signals())


@relay.command("republish")
@click.option("--from", "first", type=click.IntRange(min=1), required=True, help="First position.")
@click.option("--to", "last", type=click.IntRange(min=1), help="Last position (default: the end).")
@STATE_DIR
@DRY_RUN
@click.pass_context
def relay_republish(
    ctx: click.Context, first: int, last: int | None, state_dir: Path | None, dry_run: bool
) -> None:
    """Publish a range of the log to Kafka again, as the relay does (its position stays)."""
    from attune.infra.kafka.admin import KafkaUnavailable
    from attune.infra.kafka.publisher import KafkaPublisher
    from attune.infra.kafka.topics import execution_rekeying, topic_of_event
    from attune.streams.replay import DryRunPublisher, republish

    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    store = open_existing_store(settings)
    kafka: KafkaPublisher | None = None
    try:
        log_end = store.position()
        last = log_end if last is None else min(last, log_end)
        if last < first:
            raise click.ClickException(
                f"nothing to republish from position {first}: the log ends at {log_end}"
            )
        if not dry_run:
            try:
                kafka = KafkaPublisher(settings.kafka_bootstrap)
            except KafkaUnavailable as problem:
                raise click.ClickException(str(problem)) from None
        with progress_bar("republishing", first, last) as progress:
            events, sent = republish(
                store,
                kafka or DryRunPublisher(),
                topic_of_event,
                first,
                last,
                progress=progress,
                rekeying=execution_rekeying(store.load),
            )
    finally:
        if kafka is not None:
            kafka.close()
        store.close()
    verb = "would republish" if dry_run else "republished"
    click.echo(
        f"{verb} {events} events as {sum(sent.values())} records (positions {first} to {last})"
    )
    echo_counts(sent)
    if dry_run:
        click.echo("dry run: nothing was published")
