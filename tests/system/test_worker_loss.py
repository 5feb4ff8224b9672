"""A distributed worker declared lost while still alive (a pause longer than the liveness
limit) stops taking work and exits, naming the reason, instead of claiming in vain."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import orjson
import pytest
from kafka import KafkaProducer

from attune.domain.catalogue import envelope
from attune.domain.events import AttuneEvent, Cause
from attune.domain.worker import Worker
from attune.infra.kafka.admin import init_topics
from attune.infra.kafka.topics import TOPICS
from tests.conftest import NOW
from tests.system.harness import ATTUNE, wait_until

pytestmark = pytest.mark.slow


def lost(name: str, reason: str) -> tuple[bytes, bytes]:
    """The `worker.lost` message the relay would publish for worker `name`."""
    supervisor = Cause("supervisor", NOW)
    worker = Worker.start(name, "local", supervisor)
    worker.declare_lost(reason, supervisor)
    *_, event = cast(Sequence[AttuneEvent], worker.collect_events())  # our domain events
    return str(worker.id).encode(), orjson.dumps(envelope(event, position=1000))


def test_a_worker_declared_lost_while_alive_exits_and_says_why(
    tmp_path: Path, kafka_broker: str
) -> None:
    init_topics(kafka_broker, TOPICS)
    log = tmp_path / "worker.log"
    env = {
        **os.environ,
        "ATTUNE_KAFKA_BOOTSTRAP": kafka_broker,
        "ATTUNE_STATE_DIR": str(tmp_path / "state"),
        "ATTUNE_HEARTBEAT_SECONDS": "1",
    }
    with open(log, "wb") as out:
        worker = subprocess.Popen(
            [ATTUNE, "worker", "--pool", "local"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=tmp_path,
        )
    try:
        serving = wait_until(
            lambda: re.search(r"worker (\S+) serves pool local", log.read_text()), timeout=60
        )
        name = serving.group(1)
        producer = KafkaProducer(bootstrap_servers=kafka_broker)
        # Another worker's loss is none of its business ...
        key, value = lost("local@elsewhere/1-abc", "silent")
        producer.send("attune.events.worker", key=key, value=value).get(10)
        producer.flush()
        with pytest.raises(subprocess.TimeoutExpired):
            worker.wait(3)
        # ... its own is: it stops and exits with the reason.
        reason = f"worker {name} sent no heartbeat for 7 s"
        key, value = lost(name, reason)
        producer.send("attune.events.worker", key=key, value=value).get(10)
        producer.close()
        assert worker.wait(30) != 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(10)
    text = log.read_text()
    assert f"this worker ({name}) was declared lost: {reason}" in text
    assert f"worker {name} was declared lost ({reason}); start it again" in text
