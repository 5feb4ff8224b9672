"""`attune relay` as its own OS process: PostgreSQL store in, Kafka topics out."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from uuid import UUID

import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.infra.kafka.admin import init_topics
from attune.infra.kafka.topics import EVENT_STREAMS, STREAM_TOPICS, TOPICS
from attune.infra.settings import Settings
from tests.conftest import NOW
from tests.kafka_broker import read_topics
from tests.system.harness import ATTUNE, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def backend() -> str:
    return "postgresql"


def request(commands: CommandService, first: int, count: int) -> None:
    for n in range(first, first + count):
        execution_id = UUID(int=(0x019B << 112) | (7 << 76) | n)
        commands.execute(
            m.RequestExecution(actor="api", at=NOW, execution_id=execution_id, action="core.noop")
        )


def relay_process(
    settings: Settings, bootstrap: str, log: Path, poll_interval: float = 0.1
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ATTUNE_DATABASE_URL": str(settings.database_url),
        "ATTUNE_DATABASE_SCHEMA": str(settings.database_schema),
        "ATTUNE_KAFKA_BOOTSTRAP": bootstrap,
        "ATTUNE_POLL_INTERVAL": str(poll_interval),
    }
    return subprocess.Popen(
        [ATTUNE, "relay"], env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def test_the_relay_process_publishes_everything_and_resumes_after_a_kill(
    kafka_broker: str,
    store: EventStore,
    commands: CommandService,
    settings: Settings,
    tmp_path: Path,
) -> None:
    init_topics(kafka_broker, TOPICS)
    request(commands, 1, 50)
    log = tmp_path / "relay.log"
    relay = relay_process(settings, kafka_broker, log)
    try:
        wait_until(lambda: store.tracked_position("relay") == store.position(), timeout=30)
        relay.send_signal(signal.SIGKILL)
        relay.wait(10)
        request(commands, 100, 50)  # written while no relay runs
        relay = relay_process(settings, kafka_broker, log)
        wait_until(lambda: store.tracked_position("relay") == store.position(), timeout=30)
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(10)
    assert relay.returncode == 0  # a clean stop on SIGTERM
    messages = read_topics(kafka_broker, TOPICS)
    found = [int(dict(m.headers)["position"]) for m in messages if m.topic in EVENT_STREAMS]
    assert set(found) == set(range(1, store.position() + 1)), log.read_text()
    assert len(found) == len(set(found))  # it was killed while idle: nothing twice
    # Each request is published once more, keyed by its action, for the scheduler.
    by_action = [m for m in messages if m.topic == STREAM_TOPICS.by_action]
    assert len(by_action) == 100 and {m.key for m in by_action} == {b"core.noop"}


def test_a_write_wakes_the_relay_at_once_through_listen_notify(
    kafka_broker: str,
    store: EventStore,
    commands: CommandService,
    settings: Settings,
    tmp_path: Path,
) -> None:
    init_topics(kafka_broker, TOPICS)
    request(commands, 1, 1)
    relay = relay_process(settings, kafka_broker, tmp_path / "relay.log", poll_interval=60)
    try:
        wait_until(lambda: store.tracked_position("relay") == store.position(), timeout=30)
        time.sleep(0.5)  # the relay is now idle, waiting up to a minute between polls
        written = time.monotonic()
        request(commands, 2, 1)
        wait_until(
            lambda: store.tracked_position("relay") == store.position(), timeout=5, interval=0.02
        )
        assert time.monotonic() - written < 2  # woken by NOTIFY, not by its 60 s poll
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(5)  # a stop does not wait for the 60 s poll either


def test_an_unreachable_broker_is_named_and_retried_not_crash_looped(
    store: EventStore, settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "relay.log"
    relay = relay_process(settings, "127.0.0.1:1", log)
    try:
        wait_until(
            lambda: "cannot reach the Kafka broker at 127.0.0.1:1" in log.read_text(), timeout=40
        )
        time.sleep(1)
        assert relay.poll() is None  # still alive, retrying
        assert "retrying in" in log.read_text()
    finally:
        relay.send_signal(signal.SIGTERM)
        relay.wait(15)
