"""The relay against a real broker: every domain event once, in order, keyed, positioned."""

from __future__ import annotations

import json
from collections import defaultdict
from uuid import UUID

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.infra.kafka.admin import init_topics
from attune.infra.kafka.publisher import KafkaPublisher
from attune.infra.kafka.topics import TOPICS, topic_of_event
from attune.streams.relay import Relay
from tests.conftest import NOW
from tests.kafka_broker import read_topics

SECRET = "relay-Secret-77e1"


def test_the_relay_publishes_each_event_once_in_order_after_the_broker_acknowledged(
    kafka_broker: str,
    store: EventStore,
    commands: CommandService,
) -> None:
    init_topics(kafka_broker, TOPICS)
    for n in range(1, 21):
        execution_id = UUID(int=(0x019B << 112) | (7 << 76) | n)
        commands.execute(
            m.RequestExecution(
                actor="api",
                at=NOW,
                execution_id=execution_id,
                action="core.login",
                parameters={"cmd": "x", "password": SECRET},
            )
        )
        commands.apply_batch(
            [
                m.ScheduleExecution(
                    actor="scheduler", at=NOW, execution_id=execution_id, pool="local"
                )
            ]
        )
    publisher = KafkaPublisher(kafka_broker)
    relay = Relay(store, publisher, topic_of_event, batch_size=7)
    while relay.step():
        pass
    assert store.tracked_position("relay") == store.position()
    assert Relay(store, publisher, topic_of_event).step() == 0  # a restart republishes nothing
    publisher.close()

    messages = read_topics(kafka_broker, TOPICS)
    positions = [int(dict(msg.headers)["position"]) for msg in messages]
    assert sorted(positions) == list(range(1, store.position() + 1))  # each event, once
    by_aggregate: dict[bytes, list[int]] = defaultdict(list)
    for msg in messages:
        body = json.loads(msg.value)
        assert msg.topic == topic_of_event(body["type"])
        assert msg.key.decode() == body["aggregate_id"]
        assert SECRET.encode() not in msg.value  # sealed before it ever left the store
        by_aggregate[msg.key].append(body["aggregate_version"])
    assert all(versions == sorted(versions) for versions in by_aggregate.values())
    execution = [
        json.loads(msg.value) for msg in messages if msg.topic == "attune.events.execution"
    ]
    assert {e["type"] for e in execution} == {"execution.requested", "execution.scheduled"}
    assert execution[0]["payload"]["parameters"]["password"]["$secret"]
