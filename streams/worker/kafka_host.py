"""The Kafka worker host: a worker of distributed mode, fed by Kafka, with no database.

`attune.infra.distributed.run_worker` (`attune worker --pool NAME`) wires it. It consumes
the execution stream as a member of its pool's consumer group (so the workers of a pool
share the partitions), folds the events into its work queue, and sends its commands to
the commands topic: a claim first, and the action starts only when the
`execution.claimed` event naming this worker comes back. Actions and their entry points
come from the configuration stream and the packs directory. It announces itself
(`worker.started`) and sends heartbeats to the liveness topic; the supervisor declares it
lost when they stop.

Offsets are committed up to the oldest execution of a partition that is still open here
(requested and not yet ended or handed to another pool), so after a restart the worker
sees every open execution's events again, from its request on.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import threading
from collections.abc import Callable
from datetime import datetime
from uuid import UUID

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from attune.commands import models as m
from attune.domain.events import AttuneEvent, event_name
from attune.domain.execution import ENDING_EVENTS
from attune.domain.worker import Worker as WorkerRecord
from attune.streams.delivered_events import FirstDelivery, decoded_or_none
from attune.streams.dispatch import EventDispatch
from attune.streams.stream_follower import StreamFollower
from attune.streams.worker.loop import Worker
from attune.streams.worker.queue import WorkQueue

log = logging.getLogger("attune")


class OwnLoss:
    """Watches the worker stream for this worker's own `worker.lost`.

    A worker that paused longer than the liveness limit is declared lost while alive: its
    claims are refused from then on, so it must stop taking work (a restart serves the
    pool again under a new name).
    """

    name = "own_loss"

    def __init__(self, worker: str, on_lost: Callable[[str], None]) -> None:
        self._id = WorkerRecord.id_for(worker)
        self._on_lost = on_lost
        self._dispatch = EventDispatch[list[m.Command]](list).on(WorkerRecord.Lost, self._lost)

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        return self._dispatch(event, now)

    def _lost(self, lost: WorkerRecord.Lost, _now: datetime) -> list[m.Command]:
        if lost.originator_id == self._id:
            self._on_lost(lost.reason)
        return []


def worker_name(pool: str) -> str:
    return f"{pool}@{socket.gethostname()}/{os.getpid()}-{os.urandom(3).hex()}"


class OpenExecutions:
    """Per partition, the offset of each open execution's request: how far to commit."""

    def __init__(self, pool: str) -> None:
        self.pool = pool
        self._open: dict[TopicPartition, dict[UUID, int]] = {}
        self._next: dict[TopicPartition, int] = {}

    def see(self, partition: TopicPartition, offset: int, event: AttuneEvent) -> None:
        opened = self._open.setdefault(partition, {})
        kind, execution_id = event_name(event), event.originator_id
        if kind == "execution.requested":
            opened.setdefault(execution_id, offset)
        elif kind in ENDING_EVENTS or (
            kind == "execution.scheduled" and event.pool != self.pool  # type: ignore[attr-defined]
        ):
            opened.pop(execution_id, None)
        self._next[partition] = offset + 1

    def in_partitions(self, partitions: set[TopicPartition]) -> set[UUID]:
        return {i for p in partitions for i in self._open.get(p, {})}

    def forget(self, partitions: set[TopicPartition]) -> None:
        for partition in partitions:
            self._open.pop(partition, None)
            self._next.pop(partition, None)

    def committable(self) -> dict[TopicPartition, int]:
        return {
            partition: min(self._open.get(partition, {}).values(), default=next_offset)
            for partition, next_offset in self._next.items()
        }


class _GiveUpOnRevoke(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(
        self, worker: Worker, open_executions: OpenExecutions, once: FirstDelivery
    ) -> None:
        self.worker = worker
        self.open = open_executions
        self.once = once

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        revoked = set(revoked)
        ids = self.open.in_partitions(revoked)
        await asyncio.get_running_loop().run_in_executor(None, self.worker.give_up, ids)
        self.open.forget(revoked)
        self.once.forget(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        pass


async def serve_worker(
    worker: Worker,
    queue: WorkQueue,
    new_consumer: Callable[[], AIOKafkaConsumer],
    executions_topic: str,
    whole_streams: StreamFollower,
    heartbeat: Callable[[str], None],
    heartbeat_seconds: float,
    clock: Callable[[], datetime],
    stopping: threading.Event,
    stop_grace: float = 0.0,
) -> None:
    """Feed `worker` from the execution stream until `stopping` is set, then stop it,
    letting its runs end for `stop_grace` seconds (heartbeats go on meanwhile, so it is not
    declared lost); `new_consumer` makes a member of the pool's consumer group that
    commits by hand (called here: an aiokafka consumer belongs to the running event
    loop)."""
    open_executions = OpenExecutions(queue.pool)
    once = FirstDelivery()
    consumer = new_consumer()
    consumer.subscribe([executions_topic], listener=_GiveUpOnRevoke(worker, open_executions, once))
    loop = asyncio.get_running_loop()
    following = asyncio.create_task(whole_streams.run(clock))
    beating = asyncio.create_task(_beat(heartbeat, heartbeat_seconds))
    await consumer.start()
    await whole_streams.ready()
    worker.start()
    log.info("worker %s serves pool %s", worker.name, queue.pool)
    try:
        while not stopping.is_set():
            batches = await consumer.getmany(timeout_ms=200)
            for partition, messages in batches.items():
                for message in messages:
                    decoded = decoded_or_none(message.value)
                    if decoded is None or not once.first_time(partition, decoded[0]):
                        continue
                    event = decoded[1]
                    queue.handle(event, clock())
                    worker.observe(event)
                    open_executions.see(partition, message.offset, event)
            if batches:
                worker.notify()
                await consumer.commit(open_executions.committable())
    finally:
        following.cancel()
        await loop.run_in_executor(None, worker.stop, stop_grace)
        beating.cancel()
        await consumer.stop()
        heartbeat("stopped")


async def _beat(heartbeat: Callable[[str], None], seconds: float) -> None:
    """Heartbeats until canceled (after the worker stopped: its last runs still count)."""
    loop = asyncio.get_running_loop()
    while True:
        await loop.run_in_executor(None, heartbeat, "alive")
        await asyncio.sleep(seconds)


def heartbeat_message(worker: str, pool: str, state: str, at: datetime) -> bytes:
    return orjson.dumps({"worker": worker, "pool": pool, "state": state, "at": at.isoformat()})


def started(worker: str, pool: str, at: datetime) -> m.StartWorker:
    return m.StartWorker(actor=f"worker:{worker}", at=at, worker=worker, pool=pool)
