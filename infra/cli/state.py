"""What the commands that work on the state directory itself share (`attune replay`,
`attune relay republish`, `attune admin reset`): their options, opening the store, the
state directory's lock, a progress bar over store positions, counts."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import click
from eventsourcing.persistence import OperationalError

from attune.commands.store import EventStore
from attune.infra.settings import Settings

STATE_DIR = click.option(
    "--state-dir", type=click.Path(path_type=Path), help="Default ./.attune (SQLite only)."
)
DRY_RUN = click.option("--dry-run", is_flag=True, help="Report what would happen; write nothing.")


def open_existing_store(settings: Settings) -> EventStore:
    """The event store; a clear error when it is missing (SQLite) or unreachable."""
    from attune.infra.bootstrap import open_store
    from attune.infra.storage.databases import postgres_url

    url = postgres_url(settings)
    if url is None:
        if not settings.events_db.exists():
            raise click.ClickException(f"no event store at {settings.events_db}")
        return open_store(settings)
    try:
        store = open_store(settings)
        store.position()  # connects: an unreachable server is reported here, by its address
    except OperationalError as problem:
        address = url.render_as_string(hide_password=True)
        raise click.ClickException(f"cannot reach the database at {address}: {problem}") from None
    return store


def exclusive_state(settings: Settings, dry_run: bool) -> AbstractContextManager[object]:
    """The state directory's lock, when a run writes to SQLite files (Attune is stopped)."""
    from attune.infra.storage.databases import postgres_url

    if dry_run or postgres_url(settings) is not None:
        return nullcontext()
    return _state_lock(settings)


@contextmanager
def _state_lock(settings: Settings) -> Iterator[None]:
    from attune.infra.storage.state_lock import StateDirectoryBusy, StateLock

    try:
        lock = StateLock(settings.state_dir).acquire()
    except StateDirectoryBusy as busy:
        raise click.ClickException(str(busy)) from None
    try:
        yield
    finally:
        lock.release()


@contextmanager
def progress_bar(label: str, first: int, last: int) -> Iterator[Callable[[int], None]]:
    """A bar over store positions `first` to `last` on stderr; call it with each position
    reached (past `last` when the log grew meanwhile)."""
    with click.progressbar(length=max(last - first + 1, 1), label=label, file=sys.stderr) as bar:
        done = first - 1

        def advance(position: int) -> None:
            nonlocal done
            bar.length = max(bar.length or 0, position - first + 1)
            bar.update(position - done)
            done = position

        yield advance


def echo_counts(counts: Counter[str], unit: str = "") -> None:
    for name, count in sorted(counts.items()):
        click.echo(f"  {name}: {count}{f' {unit}' if unit else ''}")
