"""Replay tooling: re-running a processor over a range of the log, and re-publishing a range.

A processor replay folds the processor's state over the events before its starting point
(discarding what they ask for, which was applied back then), then hands the events from
that point on to it and applies their commands in batches. Every command a processor
emits has an id derived from its cause, so commands that were applied before are no-ops
and only lost ones write anything: a replay is safe on a live system. A dry run applies
the commands to a bus that runs their handlers and records nothing.

A republish sends a range of the log to Kafka exactly as the relay does (same records),
without touching the relay's recorded position.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from eventsourcing.persistence import Tracking

from attune.commands.models import Command
from attune.commands.ports import SecretBox
from attune.commands.service import Outcome, handle_each
from attune.commands.store import EventStore
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.errors import DomainError
from attune.domain.events import AttuneEvent
from attune.streams.ports import CommandBus, EventLog, Processor
from attune.streams.relay import ExecutionRekeying, OutgoingRecord, Publisher, records_of
from attune.streams.rule_engine import RuleEngine
from attune.streams.scheduler import Scheduler

# A starting point: a store position, or a time (the first event at or after it).
Start = int | datetime
Progress = Callable[[int], None]
Batch = list[tuple[int, AttuneEvent]]

REPLAYABLE: dict[str, Callable[[], Processor]] = {
    RuleEngine.name: RuleEngine,
    Scheduler.name: Scheduler,
}
# Processors whose output does not follow from events, so replaying events re-creates nothing.
NOT_REPLAYABLE = {
    "interval_timer": (
        "its ticks are driven by the clock, not by events: replaying the log only rebuilds "
        "its state and asks for nothing. A running Attune fires the latest missed tick by "
        "itself"
    ),
}


class ReplayError(ValueError):
    """A replay asked for something that cannot be done (the message says why)."""


def _ignore(_position: int) -> None:
    pass


def processor_named(name: str) -> Processor:
    """A fresh processor of that name, with empty state."""
    if name in NOT_REPLAYABLE:
        raise ReplayError(f"{name} cannot be replayed: {NOT_REPLAYABLE[name]}")
    if name not in REPLAYABLE:
        raise ReplayError(
            f"unknown processor '{name}'; replayable processors: {', '.join(sorted(REPLAYABLE))}"
        )
    return REPLAYABLE[name]()


def parse_start(text: str) -> Start:
    """A store position (`42`) or an ISO-8601 time (`2026-01-01T12:00Z`; without an
    offset it is UTC)."""
    try:
        position = int(text)
    except ValueError:
        pass
    else:
        if position < 1:
            raise ReplayError(f"store positions start at 1, not {position}")
        return position
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ReplayError(
            f"expected a store position (an integer) or an ISO-8601 time, not '{text}'"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _reached(start: Start, position: int, event: AttuneEvent) -> bool:
    if isinstance(start, datetime):
        occurred: datetime = event.timestamp
        return occurred >= start
    return position >= start


def log_range(log: EventLog, first: int, last: int | None, batch_size: int) -> Iterator[Batch]:
    """The events from position `first` to `last` (both included) in batches; with no
    `last`, until the log's end, including events written meanwhile."""
    position = first - 1
    while last is None or position < last:
        # Positions are distinct integers, so (position, last] holds at most last - position.
        limit = batch_size if last is None else min(batch_size, last - position)
        batch = log.read(position, limit)
        if last is not None:
            batch = [(p, e) for p, e in batch if p <= last]
        if not batch:
            return
        yield batch
        position = batch[-1][0]


@dataclass
class ReplayReport:
    """What a processor replay did: events folded and handled, commands asked for."""

    folded: int = 0  # events before the starting point: they only rebuilt the state
    handled: int = 0  # events from the starting point on
    first: int | None = None  # position of the first handled event
    last: int = 0  # position of the last event read
    commands: Counter[str] = field(default_factory=Counter)
    refused: list[tuple[Command, DomainError]] = field(default_factory=list)


def replay_processor(
    log: EventLog,
    processor: Processor,
    start: Start,
    bus: CommandBus,
    clock: Callable[[], datetime],
    end: int | None = None,
    batch_size: int = 500,
    progress: Progress = _ignore,
) -> ReplayReport:
    """Re-run `processor` over the log from `start` to `end` (default: until caught up,
    including the events its own commands write) and apply what it asks for to `bus`."""
    if end is not None and isinstance(start, int) and end < start:
        raise ReplayError(f"the range ends (at {end}) before it starts (at {start})")
    report = ReplayReport()
    for batch in log_range(log, 1, end, batch_size):
        now = clock()
        commands: list[Command] = []
        for position, event in batch:
            emitted = processor.handle(event, now)
            if report.first is None and _reached(start, position, event):
                report.first = position
            if report.first is None:
                report.folded += 1
            else:
                report.handled += 1
                commands += emitted
        if commands:
            report.commands.update(type(c).__name__ for c in commands)
            report.refused += bus.apply_batch(commands).refused
        report.last = batch[-1][0]
        progress(report.last)
    return report


class DryRunBus:
    """Runs commands' handlers on a unit of work and records nothing, counting per command
    type how many would write events (the others were applied before: no-ops)."""

    def __init__(self, store: EventStore, secrets: SecretBox) -> None:
        self.store = store
        self.secrets = secrets
        self.writing: Counter[str] = Counter()

    def apply_batch(self, commands: Sequence[Command], tracking: Tracking | None = None) -> Outcome:
        uow = UnitOfWork(self.store)
        pending = 0

        def count_if_writing(command: Command) -> None:
            nonlocal pending
            now_pending = sum(len(a.pending_events) for a in uow.changed())
            if now_pending > pending:
                self.writing[type(command).__name__] += 1
            pending = now_pending

        try:
            return handle_each(commands, uow, self.secrets, count_if_writing)
        finally:
            # The handlers changed cached aggregates in place; they are not the truth.
            self.store.forget_cached()


class DryRunPublisher:
    """Sends nothing: a dry run of a republish only counts what it would send."""

    def publish(self, records: Sequence[OutgoingRecord]) -> None:
        pass


def republish(
    log: EventLog,
    publisher: Publisher,
    topic_of: Callable[[str], str],
    first: int,
    last: int,
    batch_size: int = 1000,
    progress: Progress = _ignore,
    rekeying: ExecutionRekeying | None = None,
) -> tuple[int, Counter[str]]:
    """Publish the events from `first` to `last` as the relay does, re-keyed copies
    included; return how many events, and how many records went to each topic.

    The relay's recorded position stays where it is.
    """
    events, published = 0, Counter[str]()
    for batch in log_range(log, first, last, batch_size):
        records = records_of(batch, topic_of, rekeying)
        publisher.publish(records)
        events += len(batch)
        published.update(r.topic for r in records)
        progress(batch[-1][0])
    return events, published
