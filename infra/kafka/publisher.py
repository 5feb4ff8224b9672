"""The relay's Kafka side: kafka-python's idempotent producer with `acks=all`."""

from __future__ import annotations

from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError

from attune.infra.kafka.admin import KafkaUnavailable
from attune.streams.relay import OutgoingRecord


def idempotent_producer(bootstrap: str, linger_ms: int, timeout_ms: int) -> KafkaProducer:
    """kafka-python's idempotent producer with `acks=all`; `KafkaUnavailable` names the
    broker it could not reach."""
    try:
        return KafkaProducer(
            bootstrap_servers=bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            request_timeout_ms=timeout_ms,
            bootstrap_timeout_ms=timeout_ms,
        )
    except (KafkaError, ValueError) as problem:
        raise KafkaUnavailable(f"cannot reach the Kafka broker at {bootstrap}: {problem}") from None


class KafkaPublisher:
    def __init__(self, bootstrap: str, timeout_ms: int = 10_000) -> None:
        self._producer = idempotent_producer(bootstrap, linger_ms=5, timeout_ms=timeout_ms)

    def publish(self, records: Sequence[OutgoingRecord]) -> None:
        futures = [
            self._producer.send(
                record.topic,
                key=record.key,
                value=record.value,
                headers=[("position", str(record.position).encode())],
            )
            for record in records
        ]
        self._producer.flush()
        for future in futures:
            future.get()  # raises the broker's error if any record was not acknowledged

    def close(self) -> None:
        self._producer.close()
