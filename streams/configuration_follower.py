"""Following the configuration stream: every rule and action, in every process that needs them.

Configuration events are few and every instance of a processor needs all of them, so they
are read from the start of their single-partition topic by a plain consumer (not a
consumer-group member, which would get only its share). Readers wait until it has caught
up with the topic's end as it was at start, so no trigger is evaluated against a rule set
that is still loading.
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


class ConfigurationFollower:
    """Reads the whole configuration stream into processors, from the start, and follows it.

    Not a consumer-group member: every app instance needs every rule and action.
    """

    def __init__(self, bootstrap: str, topic: str, processors: Sequence[Processor]) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
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
        partition = TopicPartition(self.topic, 0)
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        try:
            consumer.assign([partition])
            await consumer.seek_to_beginning(partition)
            end = (await consumer.end_offsets([partition]))[partition]
            while True:
                if not self.caught_up and await consumer.position(partition) >= end:
                    self.caught_up = True
                    self._event().set()
                    log.info("configuration caught up (%d events)", end)
                batches = await consumer.getmany(timeout_ms=500)
                for message in batches.get(partition, []):
                    decoded = decoded_or_none(message.value)
                    if decoded is not None:
                        for processor in self.processors:
                            processor.handle(decoded[1], clock())
        finally:
            await consumer.stop()
