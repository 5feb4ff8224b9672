"""`attune replay`: rebuilding state from the event log.

`attune replay projections` drops and rebuilds the read models; `attune replay processor`
re-runs a stream processor from a point of the log. Each shows a progress bar on stderr
and has a `--dry-run` that writes nothing. See docs/replay.md.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import click
import sqlalchemy

from attune.commands.store import EventStore
from attune.domain.events import AttuneEvent
from attune.infra.cli.client import settings_of
from attune.infra.cli.state import (
    DRY_RUN,
    STATE_DIR,
    echo_counts,
    exclusive_state,
    open_existing_store,
    progress_bar,
)
from attune.infra.settings import Settings


@click.group()
def replay() -> None:
    """Rebuild state from the event log."""


@replay.command("projections")
@STATE_DIR
@DRY_RUN
@click.pass_context
def replay_projections(ctx: click.Context, state_dir: Path | None, dry_run: bool) -> None:
    """Drop the read models and rebuild them from the whole log.

    On SQLite, Attune must be stopped (the state directory's lock is taken). On PostgreSQL,
    stop `attune project` first: the tables are empty until the rebuild is done.
    """
    from attune.infra.bootstrap import open_read_engine
    from attune.projections.rebuild import rebuild

    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    with exclusive_state(settings, dry_run):
        store = open_existing_store(settings)
        try:
            end = store.position()
            if dry_run:
                _report_tables(settings)
                click.echo(f"would replay the log up to position {end}")
                click.echo("dry run: nothing was dropped or written")
                return
            engine = open_read_engine(settings)
            try:
                with progress_bar("rebuilding", 1, end) as progress:
                    reached = rebuild(
                        _Observed(store, progress),
                        engine,
                        retention_days=settings.retention_days,
                    )
            finally:
                engine.dispose()
        finally:
            store.close()
    click.echo(f"rebuilt the read models from the log up to position {reached}")


@replay.command("processor")
@click.argument("name")
@click.option(
    "--from",
    "start",
    required=True,
    help="A store position, or an ISO-8601 time (the first event at or after it).",
)
@click.option("--to", "end", type=click.IntRange(min=1), help="Last position (default: the end).")
@STATE_DIR
@DRY_RUN
@click.pass_context
def replay_processor_command(
    ctx: click.Context,
    name: str,
    start: str,
    end: int | None,
    state_dir: Path | None,
    dry_run: bool,
) -> None:
    """Re-run processor NAME (rule_engine, scheduler) over the log from a point.

    Its state is rebuilt from the events before the point; the events from the point on
    are handled again and what they ask for is applied. Commands applied before are
    no-ops (their ids derive from their causes), so on PostgreSQL this may run while
    Attune runs; on SQLite, Attune must be stopped.
    """
    from attune.commands.service import CommandService
    from attune.infra.bootstrap import utc_now
    from attune.infra.security.secret_box import AesGcmSecretBox
    from attune.streams.ports import CommandBus
    from attune.streams.replay import (
        DryRunBus,
        ReplayError,
        parse_start,
        processor_named,
        replay_processor,
    )

    settings = settings_of(ctx).with_overrides(state_dir=state_dir)
    try:
        processor = processor_named(name)
    except ReplayError as problem:
        raise click.BadParameter(str(problem), param_hint="NAME") from None
    try:
        starting = parse_start(start)
    except ReplayError as problem:
        raise click.BadParameter(str(problem), param_hint="'--from'") from None
    with exclusive_state(settings, dry_run):
        store = open_existing_store(settings)
        # The keys that sealed stored secrets; a missing one refuses those commands, saying so.
        secrets = AesGcmSecretBox(settings.state_dir)
        bus: CommandBus = DryRunBus(store, secrets) if dry_run else CommandService(store, secrets)
        try:
            with progress_bar(f"replaying {name}", 1, end or store.position()) as progress:
                report = replay_processor(
                    store, processor, starting, bus, utc_now, end=end, progress=progress
                )
        except ReplayError as problem:
            raise click.ClickException(str(problem)) from None
        finally:
            store.close()
    if report.first is None:
        raise click.ClickException(f"no event at or after {start} (the log ends at {report.last})")
    verb = "would handle" if dry_run else "handled"
    click.echo(
        f"{name} {verb} {report.handled} events (positions {report.first} to {report.last}) "
        f"after rebuilding its state from {report.folded}"
    )
    if isinstance(bus, DryRunBus):
        for kind, count in sorted(report.commands.items()):
            click.echo(f"  {kind}: {count} commands, {bus.writing[kind]} would write events")
    else:
        echo_counts(report.commands)
    for command, refusal in report.refused:
        click.echo(f"refused {type(command).__name__}: {refusal}", err=True)
    if dry_run:
        click.echo("dry run: nothing was written")


class _Observed:
    """The store's log, reporting the position of every batch read (for a progress bar)."""

    def __init__(self, store: EventStore, progress: Callable[[int], None]) -> None:
        self._store = store
        self._progress = progress

    def read(self, after: int, limit: int) -> list[tuple[int, AttuneEvent]]:
        batch: list[tuple[int, AttuneEvent]] = self._store.read(after, limit)
        if batch:
            self._progress(batch[-1][0])
        return batch


def _report_tables(settings: Settings) -> None:
    """The projection tables a rebuild would drop, with their row counts."""
    from attune.infra.bootstrap import open_read_engine
    from attune.infra.storage.databases import postgres_url
    from attune.projections.schema import metadata

    if postgres_url(settings) is None and not settings.read_db.exists():
        click.echo("would drop no tables (there are no read models yet)")
        return
    engine = open_read_engine(settings)
    try:
        existing = set(sqlalchemy.inspect(engine).get_table_names())
        tables = [t for t in metadata.sorted_tables if t.name in existing]
        with engine.connect() as connection:
            rows = {
                t.name: connection.execute(
                    sqlalchemy.select(sqlalchemy.func.count()).select_from(t)
                ).scalar_one()
                for t in tables
            }
    finally:
        engine.dispose()
    click.echo(f"would drop {len(rows)} tables:")
    echo_counts(Counter(rows), unit="rows")
