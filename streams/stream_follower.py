"""Following whole streams: every rule and action (and, in workers, every worker's life) in
every process that needs them.

Configuration events and worker life events are few, and every instance of a processor
needs all of them, so their single-partition topics are read from the start by a plain
consumer (not a consumer-group member, which would get only its share). Readers wait
until it has caught up with the topics' ends as they were at start, so no trigger is
evaluated against a rule set that is still loading.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from attune.streams.delivered_events import decoded_or_none
from attune.streams.ports import Processor

log = logging.getLogger(__name__)


class StreamFollower:
    """Reads single-partition topics into processors, from the start, and follows them.

    Not a consumer-group member: every app instance needs every event of these topics.
    """

    def __init__(
        self, bootstrap: str, topics: str | Sequence[str], processors: Sequence[Processor]
    ) -> None:
        self.bootstrap = bootstrap
        self.topics = [topics] if isinstance(topics, str) else list(topics)
        self.processors = processors
        self.caught_up = False
        self._ready: asyncio.Event | None = None  # made in the loop that waits on it

    def _event(self) -> asyncio.Event:
        if self._ready is None:
            self._ready = asyncio.Event()
        return self._ready

    async def ready(self) -> None:
        await self._event().wait()

    async def run(self, clock: Callable[[], datetime]) -> None:
        partitions = [TopicPartition(topic, 0) for topic in self.topics]
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            while True:
                if not self.caught_up and all(
                    [await consumer.position(p) >= ends[p] for p in partitions]
                ):
                    self.caught_up = True
                    self._event().set()
                    log.info("%s caught up (%d events)", ", ".join(self.topics), sum(ends.values()))
                batches = await consumer.getmany(timeout_ms=500)
                for messages in batches.values():
                    for message in messages:
                        decoded = decoded_or_none(message.value)
                        if decoded is not None:
                            for processor in self.processors:
                                processor.handle(decoded[1], clock())
        finally:
            await consumer.stop()
