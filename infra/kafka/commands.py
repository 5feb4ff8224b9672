"""Commands over Kafka: the sender that workers use, and the command service.

`attune commands` consumes the commands topic as one consumer group, applies each batch of
commands to the store in one transaction (`CommandService.apply_batch`) and only then
commits the batch's offsets: a crash re-applies at most that batch, and re-applying is a
no-op because every command's ids derive from its cause. A message that is not a command
goes to the dead-letter topic with the reason, and the rest of the batch goes on.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Sequence

import orjson
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from eventsourcing.persistence import Tracking

from attune.commands.models import Command
from attune.commands.service import CommandService, Outcome
from attune.commands.wire import UnreadableCommand, decode_command, encode_command, target_of
from attune.infra.kafka.consumers import group_consumer
from attune.infra.kafka.publisher import idempotent_producer
from attune.streams.delivery import apply_until_written

log = logging.getLogger("attune")

GROUP = "attune-commands"
BATCH = 2000


class KafkaCommandSender:
    """A `CommandBus` that sends commands to the commands topic instead of applying them.

    `apply_batch` returns once the broker acknowledged every command; it cannot know
    which the command service will refuse, so the outcome names none.
    """

    def __init__(self, bootstrap: str, topic: str, timeout_ms: int = 10_000) -> None:
        self.topic = topic
        self._producer = idempotent_producer(bootstrap, linger_ms=2, timeout_ms=timeout_ms)

    def apply_batch(self, commands: Sequence[Command], tracking: Tracking | None = None) -> Outcome:
        for command in commands:
            self._producer.send(
                self.topic, key=target_of(command).encode(), value=encode_command(command)
            )
        self.send_raw([])
        return Outcome()

    def send_raw(self, messages: Sequence[tuple[str, bytes, bytes]]) -> None:
        """Send (topic, key, value) messages; return once all are acknowledged."""
        futures = [self._producer.send(t, key=k, value=v) for t, k, v in messages]
        self._producer.flush()
        for future in futures:
            future.get()

    def close(self) -> None:
        self._producer.close()


def dead_letter(message: ConsumerRecord, reason: str) -> bytes:  # type: ignore[type-arg]
    """What the dead-letter topic keeps of an unreadable message: where it was and why."""
    value = message.value.decode("utf-8", "replace") if message.value else None
    return orjson.dumps(
        {
            "topic": message.topic,
            "partition": message.partition,
            "offset": message.offset,
            "key": message.key.decode("utf-8", "replace") if message.key else None,
            "value": value,
            "reason": reason,
        }
    )


async def serve_commands(
    service: CommandService,
    bootstrap: str,
    topic: str,
    dead_letter_topic: str,
    stopping: threading.Event,
) -> None:
    """Apply the commands topic to the store until `stopping` is set."""
    consumer = group_consumer(bootstrap, GROUP, topic, max_poll_records=BATCH)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await consumer.start()
    await producer.start()
    loop = asyncio.get_running_loop()
    log.info("applying commands from %s at %s", topic, bootstrap)
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200, max_records=BATCH)
            messages = [m for partition in batches.values() for m in partition]
            if not messages:
                continue
            commands: list[Command] = []
            for message in messages:
                try:
                    commands.append(decode_command(message.value))
                except UnreadableCommand as problem:
                    log.error("dead letter from %s: %s", message.topic, problem)
                    await producer.send_and_wait(
                        dead_letter_topic,
                        key=message.topic.encode(),
                        value=dead_letter(message, str(problem)),
                    )
            if commands:
                await loop.run_in_executor(
                    None, apply_until_written, service, commands, None, stopping
                )
            await consumer.commit()
    finally:
        await consumer.stop()
        await producer.stop()
