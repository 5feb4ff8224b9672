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
from typing import Protocol

import orjson

from attune.domain.catalogue import envelope
from attune.domain.events import AttuneEvent, event_name
from attune.streams.ports import EventLog

NAME = "relay"


@dataclass(frozen=True)
class OutgoingRecord:
    topic: str
    key: bytes
    value: bytes
    position: int


def records_of(
    batch: Sequence[tuple[int, AttuneEvent]], topic_of: Callable[[str], str]
) -> list[OutgoingRecord]:
    """What the relay sends for these events: the public envelope, keyed by aggregate id."""
    return [
        OutgoingRecord(
            topic=topic_of(event_name(event)),
            key=str(event.originator_id).encode(),
            value=orjson.dumps(envelope(event, position)),
            position=position,
        )
        for position, event in batch
    ]


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
    ) -> None:
        self.log = log
        self.publisher = publisher
        self.topic_of = topic_of
        self.batch_size = batch_size
        self.position = log.tracked_position(NAME)

    def step(self) -> int:
        """Publish the next batch; return how many events it held (0: caught up)."""
        batch = self.log.read(self.position, self.batch_size)
        if not batch:
            return 0
        self.publisher.publish(records_of(batch, self.topic_of))
        last = batch[-1][0]
        self.log.record_position(NAME, last)  # only now: the broker has every record
        self.position = last
        return len(batch)
