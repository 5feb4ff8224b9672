"""`attune kafka init` against a real Kafka-protocol broker, and the topic catalogue."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewTopic

from attune.domain.catalogue import EVENT_TYPES
from attune.infra.kafka.admin import KafkaUnavailable, TopicMismatch, init_topics
from attune.infra.kafka.topics import TOPICS, topic_of_event

DOCS = Path(__file__).resolve().parents[2] / "docs" / "topics.md"


def partitions(bootstrap: str) -> dict[str, int]:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        names = [t.name for t in TOPICS]
        return {d["name"]: len(d["partitions"]) for d in admin.describe_topics(names)}
    finally:
        admin.close()


def test_init_creates_every_topic_with_its_partition_count_and_is_repeatable(
    kafka_broker: str,
) -> None:
    first = init_topics(kafka_broker, TOPICS)
    assert sorted(first.created) == sorted(t.name for t in TOPICS) and first.existing == []
    assert partitions(kafka_broker) == {t.name: t.partitions for t in TOPICS}

    again = init_topics(kafka_broker, TOPICS)
    assert again.created == [] and sorted(again.existing) == sorted(t.name for t in TOPICS)


def test_a_topic_with_other_partitions_is_reported_not_changed(kafka_broker: str) -> None:
    admin = KafkaAdminClient(bootstrap_servers=kafka_broker)
    admin.create_topics(
        [NewTopic("attune.events.execution", num_partitions=3, replication_factor=1)]
    )
    admin.close()
    with pytest.raises(TopicMismatch, match="attune.events.execution has 3 partitions"):
        init_topics(kafka_broker, TOPICS)


def test_an_unreachable_broker_is_named() -> None:
    with pytest.raises(KafkaUnavailable, match="127.0.0.1:1"):
        init_topics("127.0.0.1:1", TOPICS, timeout_ms=1000)


def test_every_domain_event_has_a_topic_and_docs_list_the_catalogue() -> None:
    assert {topic_of_event(name) for name in EVENT_TYPES} <= {t.name for t in TOPICS}
    documented = set(re.findall(r"^\| `(attune[a-z.\-_]+)` \| (\d+) \|", DOCS.read_text(), re.M))
    assert documented == {(t.name, str(t.partitions)) for t in TOPICS}


def test_the_cli_creates_the_topics_and_names_an_unreachable_broker(kafka_broker: str) -> None:
    import subprocess
    import sys

    attune = str(Path(sys.executable).with_name("attune"))
    made = subprocess.run(
        [attune, "kafka", "init", "--bootstrap", kafka_broker],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    assert "created attune.events.execution" in made.stdout
    down = subprocess.run(
        [attune, "kafka", "init", "--bootstrap", "127.0.0.1:1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "cannot reach the Kafka broker at 127.0.0.1:1" in down.stderr
