"""The group consumer that the command service and the workers share: offsets committed
by hand (after the work is written), from the earliest offset, with a short fetch wait and a
group that lets a restarted member in quickly."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer


def group_consumer(bootstrap: str, group: str, *topics: str, **options: Any) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=20,
        # A restarted member should not wait long for the group, nor for its dead self.
        rebalance_timeout_ms=3000,
        session_timeout_ms=6000,
        heartbeat_interval_ms=2000,
        **options,
    )
