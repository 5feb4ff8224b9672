"""The relay: publishes the store's log of domain events to Kafka, in order, exactly once.

It reads the notification log in batches from its recorded position, publishes each event
(its public envelope as JSON) to its stream's topic keyed by aggregate id, with the store
position in a header, and records the new position only after the broker acknowledged the
whole batch. A crash between acknowledgement and recording republishes that batch; the
producer is idempotent within a session and consumers dedupe by position, so what
reaches processors is exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import orjson

from attune.domain.catalogue import envelope
from attune.domain.events import AttuneEvent, event_name
from attune.domain.execution import ENDING_EVENTS
from attune.streams.ports import EventLog

NAME = "relay"


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    position: int


class ExecutionRekeying:
    """Execution events again, keyed by what the scheduler and the supervisor are about.

    The scheduler keeps its sets by action ref and the supervisor by worker, but only
    `execution.requested` names the action and only `execution.claimed` the worker. The
    relay reads the whole log in order, so it knows both for every run: it publishes each
    run's request, cancel and end a second time keyed by action ref (the scheduler's and
    the orchestrator's stream), and its claim and end keyed by worker. After a restart it
    finds what it no longer remembers in the store.
    """

    def __init__(
        self,
        by_action: str,
        by_worker: str,
        load: Callable[[UUID], Any],
    ) -> None:
        self.by_action = by_action
        self.by_worker = by_worker
        self._load = load
        self._action: dict[UUID, str] = {}
        self._worker: dict[UUID, str] = {}

    def copies(self, event: AttuneEvent) -> list[tuple[str, str]]:
        """(topic, key) of each copy of this event to publish besides the original."""
        kind, run = event_name(event), event.originator_id
        if kind == "execution.requested":
            self._action[run] = event.action  # type: ignore[attr-defined]
            return [(self.by_action, event.action)]  # type: ignore[attr-defined]
        if kind == "execution.claimed":
            self._worker[run] = event.worker  # type: ignore[attr-defined]
            return [(self.by_worker, event.worker)]  # type: ignore[attr-defined]
        if kind == "execution.cancel_requested":  # (the orchestrator cancels a workflow's run)
            action = self._action.get(run) or self._load(run).action
            self._action[run] = action
            return [(self.by_action, action)]
        if kind not in ENDING_EVENTS:
            return []
        action, worker = self._action.pop(run, None), self._worker.pop(run, None)
        if action is None:  # requested before this relay started: ask the store
            execution = self._load(run)
            action, worker = execution.action, execution.worker
        copies = [(self.by_action, action)]
        return copies + ([(self.by_worker, worker)] if worker else [])


def records_of(
    batch: Sequence[tuple[int, AttuneEvent]],
    topic_of: Callable[[str], str],
    rekeying: ExecutionRekeying | None = None,
) -> list[OutgoingRecord]:
    """What the relay sends for these events: the public envelope, keyed by aggregate id
    (and the re-keyed copies, in log order too)."""
    records: list[OutgoingRecord] = []
    for position, event in batch:
        value = orjson.dumps(envelope(event, position))
        key = str(event.originator_id)
        copies = [] if rekeying is None else rekeying.copies(event)
        for topic, record_key in [(topic_of(event_name(event)), key), *copies]:
            records.append(OutgoingRecord(topic, record_key.encode(), value, position))
    return records


class Publisher(Protocol):
    def publish(self, records: Sequence[OutgoingRecord]) -> None:
        """Return once the broker acknowledged every record; raise if it did not."""


class PositionLog(EventLog, Protocol):
    def record_position(self, name: str, position: int) -> None: ...


class Relay:
    def __init__(
        self,
        log: PositionLog,
        publisher: Publisher,
        topic_of: Callable[[str], str],
        batch_size: int = 1000,
        rekeying: ExecutionRekeying | None = None,
    ) -> None:
        self.log = log
        self.publisher = publisher
        self.topic_of = topic_of
        self.rekeying = rekeying
        self.batch_size = batch_size
        self.position = log.tracked_position(NAME)

    def step(self) -> int:
        """Publish the next batch; return how many events it held (0: caught up)."""
        batch = self.log.read(self.position, self.batch_size)
        if not batch:
            return 0
        self.publisher.publish(records_of(batch, self.topic_of, self.rekeying))
        last = batch[-1][0]
        self.log.record_position(NAME, last)  # only now: the broker has every record
        self.position = last
        return len(batch)
