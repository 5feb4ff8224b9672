"""Provisioning Kafka topics explicitly: `attune kafka init`.

Creates every catalogue topic with its partition count. Topics that exist already are
checked, not changed: a different partition count is an error naming the topic, because
re-keying a live topic would break per-aggregate order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaError

from attune.infra.kafka.topics import Topic


class KafkaUnavailable(Exception):
    pass


class TopicMismatch(Exception):
    pass


@dataclass
class InitReport:
    created: list[str] = field(default_factory=list)
    existing: list[str] = field(default_factory=list)


def init_topics(bootstrap: str, topics: Iterable[Topic], timeout_ms: int = 10_000) -> InitReport:
    try:
        admin = KafkaAdminClient(
            bootstrap_servers=bootstrap,
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
    except (KafkaError, ValueError) as problem:  # kafka-python 3 has no NoBrokersAvailable
        raise KafkaUnavailable(f"cannot reach the Kafka broker at {bootstrap}: {problem}") from None
    try:
        wanted = list(topics)
        existing = set(admin.list_topics())
        report = InitReport()
        missing = [t for t in wanted if t.name not in existing]
        if missing:
            admin.create_topics(
                [
                    NewTopic(t.name, num_partitions=t.partitions, replication_factor=1)
                    for t in missing
                ]
            )
            report.created = [t.name for t in missing]
        present = [t for t in wanted if t.name in existing]
        if present:
            described = {
                # kafka-python 3 calls it `name`, earlier releases `topic`
                d.get("name") or d.get("topic"): len(d["partitions"])
                for d in admin.describe_topics([t.name for t in present])
            }
            for topic in present:
                if described.get(topic.name) != topic.partitions:
                    raise TopicMismatch(
                        f"topic {topic.name} has {described.get(topic.name)} partitions, "
                        f"the catalogue says {topic.partitions}: recreate the topic"
                    )
            report.existing = [t.name for t in present]
        return report
    finally:
        admin.close()
