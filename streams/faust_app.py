"""The distributed host: Attune's stream processors as agents of a faust-streaming app.

The processors are the same plain classes the embedded host runs; here faust feeds them
the relay's topics and keeps the state that must survive a restart in tables (with
changelog topics). Every instance of the app:

- follows the configuration stream from its start with a plain consumer (not a group
  member), so each instance knows every rule and action; agents wait until it caught up;
- runs the rule engine on trigger and enforcement events;
- runs the scheduler on the execution stream re-keyed by action ref (the relay publishes
  it), with its sets of unfinished executions per action in tables (ready for
  concurrency policies);
- supervises workers on a single partition: heartbeats from the liveness topic and the
  runs each worker holds (from the execution stream re-keyed by worker); the partition's
  owner sends itself a check every second through the same partition, and a worker whose
  last heartbeat is older than three intervals at a check is declared lost; a held run
  past its deadline and margin at a check is timed out (the monitor's backstop);
- fires the timers (`attune.streams.timer_service`), partitioned by timer key over the
  timers topic: the owner of a partition (Kafka's assignment, one at a time) pulses it
  when one of its timers is due, and the agent consuming the pulse issues the due ticks'
  commands, waits until the broker has them, then records the progress in a table. A
  new owner restores that table and fires every tick after it, once each: a tick fired
  again after a takeover has the same id, so it is applied once.

Commands go to the commands topic keyed by their target aggregate. faust flushes its
producer before it commits the offsets of the events consumed, so a command is on the
broker before its cause counts as processed: at least once, and exactly once in effect
because every command's ids derive from its cause.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

import faust
import faust.transport.drivers.aiokafka as faust_aiokafka
import orjson
from aiokafka import TopicPartition
from faust.transport.drivers import TRANSPORTS

from attune.commands.models import Command
from attune.commands.wire import encode_command, target_of
from attune.domain.events import AttuneEvent
from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.streams.claims import DEFAULT_MARGIN, ClaimRegistry
from attune.streams.delivered_events import FirstDelivery, decoded_or_none
from attune.streams.orchestrator import Orchestrator
from attune.streams.rule_engine import RuleEngine
from attune.streams.scheduler import Scheduler
from attune.streams.stream_follower import StreamFollower
from attune.streams.timer_service import DEFAULT_GRACE, TimerService, Uptime, partition_of
from attune.streams.timers import TriggerTimers

log = logging.getLogger(__name__)

APP_ID = "attune-streams"
LIVENESS_CHECK_SECONDS = 1.0
TIMER_TICK_SECONDS = 0.25
SILENT_INTERVALS = 3  # a worker silent this many heartbeat intervals is lost
FETCH_MAX_WAIT_MS = 20


@dataclass(frozen=True)
class StreamTopics:
    """The topics the app reads and writes, with their partition counts."""

    config: str
    triggers: str
    enforcements: str
    executions: str
    by_action: str
    by_action_partitions: int
    liveness: str
    by_worker: str
    commands: str
    timers: str
    timers_partitions: int


def tables_of(topics: StreamTopics) -> dict[str, int]:
    """Each table's name and partition count (its changelog topic is `APP_ID-NAME-changelog`)."""
    return {
        "active": topics.by_action_partitions,
        "workflow-tasks": topics.by_action_partitions,
        "heartbeats": 1,
        "held": 1,
        "lost-workers": 1,
        "deadlines": 1,
        "timer-progress": topics.timers_partitions,
    }


class TableIdSets:
    """`IdSets` in one faust table, keyed by member id, valued by group.

    One entry per member, so adding or removing one writes one small changelog message,
    whatever the size of its group; listing a group's members scans the table (only a
    lost worker needs that). Change it only inside the agent that consumes the table's
    partitions: faust writes a change to the changelog partition of the event in hand.
    """

    def __init__(self, table: Any) -> None:
        self._table = table

    def add(self, group: str, member: UUID) -> None:
        if self._table.get(str(member)) != group:
            self._table[str(member)] = group

    def remove(self, member: UUID) -> str | None:
        group: str | None = self._table.pop(str(member), None)
        return group

    def members(self, group: str) -> set[UUID]:
        return {UUID(member) for member, g in self._table.items() if g == group}

    def groups(self) -> list[str]:
        return sorted(set(self._table.values()))


class TableProgress:
    """`TimerProgress` in one faust table: timer key -> the ISO instant decided up to.

    Set it only inside the agent consuming the timers topic, so each timer's progress is
    in the changelog partition of its own timers partition and moves with it."""

    def __init__(self, table: Any) -> None:
        self._table = table

    def get(self, key: str) -> datetime | None:
        decided = self._table.get(key)
        return None if decided is None else datetime.fromisoformat(decided)

    def set(self, key: str, at: datetime) -> None:
        self._table[key] = at.isoformat()


class _QuickFetchThread(faust_aiokafka.AIOKafkaConsumerThread):  # type: ignore[misc]
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # faust hard-codes a 1.5 s fetch wait; a broker may hold an idle fetch that long
        # even when another subscribed topic receives data (Tansu does), and each hop of
        # the processors would wait for it.
        consumer._fetch_max_wait_ms = FETCH_MAX_WAIT_MS
        return consumer


class _QuickFetchConsumer(faust_aiokafka.Consumer):  # type: ignore[misc]
    def _new_consumer_thread(self) -> Any:
        return _QuickFetchThread(self, loop=self.loop, beacon=self.beacon)


class QuickFetchTransport(faust_aiokafka.Transport):  # type: ignore[misc]
    """faust's Kafka transport with a short fetch wait (URL scheme `attune-kafka://`)."""

    Consumer = _QuickFetchConsumer


TRANSPORTS.aliases["attune-kafka"] = f"{__name__}:QuickFetchTransport"


def create_streams_app(
    bootstrap: str,
    topics: StreamTopics,
    clock: Callable[[], datetime],
    heartbeat_seconds: float,
    limits: Limits = DEFAULT_LIMITS,
    timer_grace: timedelta = DEFAULT_GRACE,
    timeout_margin: timedelta = DEFAULT_MARGIN,
) -> faust.App:
    app = faust.App(
        APP_ID,
        broker=f"attune-kafka://{bootstrap}",
        store="memory://",
        web_enabled=False,
        topic_allow_declare=False,  # `attune kafka init` creates every topic
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        producer_linger_ms=2,
        broker_commit_every=1000,
        # A lone or restarted instance should not wait long for others to join the group.
        broker_rebalance_timeout=3.0,
        broker_session_timeout=10.0,
        broker_commit_interval=0.5,
    )
    raw: dict[str, Any] = {
        "key_type": bytes,
        "value_type": bytes,
        "key_serializer": "raw",
        "value_serializer": "raw",
    }
    commands_topic = app.topic(topics.commands, **raw)
    by_action = app.topic(topics.by_action, **raw)
    liveness = app.topic(topics.liveness, **raw)
    timers_topic = app.topic(topics.timers, **raw)

    def table(name: str) -> Any:
        return app.Table(name, default=None, partitions=tables_of(topics)[name])

    scheduler = Scheduler(active=TableIdSets(table("active")))
    orchestrator = Orchestrator(tasks=TableIdSets(table("workflow-tasks")))
    claims = ClaimRegistry(
        held=TableIdSets(table("held")),
        lost=table("lost-workers"),
        deadlines=table("deadlines"),
        margin=timeout_margin,
    )
    heartbeats = table("heartbeats")
    rule_engine = RuleEngine(limits)
    timers = TimerService([TriggerTimers()], timer_grace, TableProgress(table("timer-progress")))
    uptime = Uptime(timer_grace)
    configured = StreamFollower(bootstrap, topics.config, [rule_engine, timers])

    async def send(commands: Iterable[Command], acked: bool = False) -> None:
        deliveries = []
        for command in commands:
            key = target_of(command).encode()
            deliveries.append(await commands_topic.send(key=key, value=encode_command(command)))
        if acked:
            for delivery in deliveries:
                await delivery

    @app.task
    async def follow_configuration() -> None:
        await configured.run(clock)

    once = FirstDelivery()

    def first_time(event: Any) -> tuple[int, AttuneEvent] | None:
        """The domain event of a relay message, unless this partition delivered it before."""
        decoded = decoded_or_none(event.value)
        message = event.message
        if decoded is None or not once.first_time((message.topic, message.partition), decoded[0]):
            return None
        return decoded

    @app.agent(app.topic(topics.triggers, topics.enforcements, **raw))
    async def evaluate_rules(stream: Any) -> None:
        await configured.ready()
        async for event in stream.events():
            decoded = first_time(event)
            if decoded is not None:
                await send(rule_engine.handle(decoded[1], clock()))

    @app.agent(by_action)
    async def schedule(stream: Any) -> None:
        async for event in stream.events():
            decoded = first_time(event)
            if decoded is not None:
                now = clock()
                await send(scheduler.handle(decoded[1], now) + orchestrator.handle(decoded[1], now))

    limit = timedelta(seconds=SILENT_INTERVALS * heartbeat_seconds)

    @app.agent(app.topic(topics.liveness, topics.by_worker, **raw))
    async def supervise(stream: Any) -> None:
        async for event in stream.events():
            if event.message.topic == topics.by_worker:
                decoded = first_time(event)
                if decoded is not None:
                    await send(claims.handle(decoded[1], clock()))
                continue
            note = orjson.loads(event.value)
            if note["state"] == "alive":
                heartbeats[note["worker"]] = note["at"]
            elif note["state"] == "stopped":
                heartbeats.pop(note["worker"], None)
            elif note["state"] == "check":
                # The check travels the same partition as the heartbeats, so a backlog
                # here delays both alike: only a worker that really fell silent is lost.
                checked_at = datetime.fromisoformat(note["at"])
                for worker, seen in list(heartbeats.items()):
                    silent_for = checked_at - datetime.fromisoformat(seen)
                    if silent_for > limit:
                        heartbeats.pop(worker, None)
                        reason = f"worker {worker} sent no heartbeat for {silent_for.seconds} s"
                        await send(claims.declare_lost(worker, reason, clock()))
                await send(claims.overdue(checked_at))

    @app.timer(interval=LIVENESS_CHECK_SECONDS)
    async def check_liveness() -> None:
        if TopicPartition(topics.liveness, 0) not in app.assignor.assigned_actives():
            return  # another instance owns the supervisor's partition
        note = {"worker": "", "state": "check", "at": clock().isoformat()}
        await liveness.send(key=b"check", value=orjson.dumps(note))

    def owned_timer_partitions() -> set[int]:
        owned = app.assignor.assigned_actives()
        return {tp.partition for tp in owned if tp.topic == topics.timers}

    def owned_by(partition: int) -> Callable[[str], bool]:
        return lambda key: partition_of(key, topics.timers_partitions) == partition

    @app.timer(interval=TIMER_TICK_SECONDS)
    async def pulse_timers() -> None:
        uptime.beat(clock())
        if not configured.caught_up:
            return
        owned = owned_timer_partitions()
        due = {partition_of(key, topics.timers_partitions) for key in timers.due(clock())}
        for partition in sorted(due & owned):
            await timers_topic.send(key=b"pulse", value=b"", partition=partition)

    @app.agent(timers_topic)
    async def fire_timers(stream: Any) -> None:
        await configured.ready()
        async for event in stream.events():
            now = clock()
            due = timers.tick(now, uptime.since or now, owned_by(event.message.partition))
            # The progress is recorded only once the broker has the commands: a new owner
            # fires again what this one may not have delivered.
            await send(due.commands, acked=True)
            timers.record(due)

    return app
