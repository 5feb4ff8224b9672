"""Distributed timers survive the loss of their owner: two `attune streams` processes share
the timers topic's partitions; one is SIGKILLed while per-second cron timers and interval
timers run, and every tick of the window is on the trigger topic exactly once.

The timers are chosen so that each partition of the timers topic holds one cron timer and
one interval timer: whichever partitions the killed process owned, some of its timers are
taken over. The survivor fires their missed ticks late (the group notices the death after
its session timeout, ~10 s, longer than the grace period), which the Kafka record times
show: proof that a takeover happened and was caught up, not merely that no tick was due.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from attune.infra.kafka.topics import STREAM_TOPICS, TOPICS
from attune.streams.timer_service import partition_of
from attune.streams.timers import timer_key
from tests.kafka_broker import read_topics
from tests.system.distributed import Cluster
from tests.system.harness import wait_until, write_pack

pytestmark = pytest.mark.slow

PARTITIONS = STREAM_TOPICS.timers_partitions
TRIGGER_TOPIC = next(t for t in TOPICS if t.name == STREAM_TOPICS.triggers)
COMMANDS_TOPIC = next(t for t in TOPICS if t.name == STREAM_TOPICS.commands)
BEFORE_KILL, AFTER_KILL = timedelta(seconds=4), timedelta(seconds=25)
ON_TIME = timedelta(seconds=2)


def one_per_partition(trigger: str, candidates: Iterator[dict[str, Any]]) -> list[dict[str, Any]]:
    chosen: dict[int, dict[str, Any]] = {}
    for params in candidates:
        chosen.setdefault(partition_of(timer_key(trigger, params), PARTITIONS), params)
        if len(chosen) == PARTITIONS:
            return list(chosen.values())
    raise AssertionError(f"no {trigger} parameters for every partition")


CRONS = one_per_partition(
    "core.crontimer", ({"second": "*", "minute": f"*,{n}"} for n in range(60))
)
INTERVALS = one_per_partition(
    "core.intervaltimer", ({"unit": "seconds", "delta": n} for n in range(1, 60))
)


def rule(trigger: str, params: dict[str, Any]) -> str:
    # A rule that never matches: the timer runs (its rule is enabled) and each tick is a
    # trigger event, without an execution per tick loading the two cores.
    return (
        f"trigger: {trigger}\ntrigger_params: {json.dumps(params)}\n"
        "criteria:\n  trigger.executed_at: {type: equals, pattern: never}\n"
        "action: core.echo\naction_params: {message: tick}\n"
    )


@pytest.fixture
def cluster(
    tmp_path: Path, kafka_broker: str, postgres_server: str, postgres_schema: str
) -> Iterator[Cluster]:
    rules = {f"rules/cron_{n}.yaml": rule("core.crontimer", p) for n, p in enumerate(CRONS)}
    rules |= {
        f"rules/interval_{n}.yaml": rule("core.intervaltimer", p) for n, p in enumerate(INTERVALS)
    }
    write_pack(tmp_path / "run" / "packs", "ops", rules)
    cluster = Cluster(tmp_path / "run", postgres_server, postgres_schema, kafka_broker)
    cluster.commands["streams-2"] = ["streams"]
    cluster.attune("kafka", "init")
    cluster.start()
    cluster.start("streams-2")
    yield cluster
    cluster.stop()
    print(cluster.logs())  # shown when the test failed


def timer_ticks(bootstrap: str) -> dict[str, list[tuple[datetime, datetime]]]:
    """Per timer key, each trigger event's tick and when it reached the trigger topic."""
    ticks: dict[str, list[tuple[datetime, datetime]]] = {}
    for record in read_topics(bootstrap, [TRIGGER_TOPIC], for_at_most=4):
        event = json.loads(record.value)
        if event["type"] != "trigger_event.fired":
            continue
        fired = event["payload"]
        key = timer_key(fired["trigger"], fired["trigger_params"])
        tick_at = datetime.fromisoformat(fired["payload"]["executed_at"])
        published = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        ticks.setdefault(key, []).append((tick_at, published))
    return ticks


def fire_commands(bootstrap: str) -> Counter[str]:
    """How many `FireTrigger` commands the timers issued, per timer key."""
    issued: Counter[str] = Counter()
    for record in read_topics(bootstrap, [COMMANDS_TOPIC], for_at_most=4):
        command = json.loads(record.value)
        if command["type"] == "FireTrigger":
            issued[timer_key(command["trigger"], command["trigger_params"])] += 1
    return issued


def test_a_killed_timer_owner_loses_no_tick_and_fires_none_twice(
    cluster: Cluster, kafka_broker: str
) -> None:
    keys = [timer_key("core.crontimer", p) for p in CRONS]
    keys += [timer_key("core.intervaltimer", p) for p in INTERVALS]
    # Both processes own partitions once every timer ticks and the group has settled.
    wait_until(lambda: set(keys) <= set(timer_ticks(kafka_broker)), timeout=90)
    time.sleep(15)

    killed_at = datetime.now(UTC)
    cluster.kill("streams")
    window = (killed_at - BEFORE_KILL, killed_at + AFTER_KILL)

    def caught_up() -> bool:
        # Past the window, and on time again: the new owner's catch-up burst is over (its
        # commands land in the commands topic's partitions in any order).
        ticks = timer_ticks(kafka_broker)
        newest = [max(ticks[key]) for key in keys]
        return all(t >= window[1] and p - t < ON_TIME for t, p in newest)

    wait_until(caught_up, timeout=120)
    time.sleep(ON_TIME.total_seconds())
    ticks = timer_ticks(kafka_broker)
    late = timedelta(0)
    for params, key in zip(CRONS + INTERVALS, keys, strict=True):
        in_window = [(t, p) for t, p in ticks[key] if window[0] <= t <= window[1]]
        counts = Counter(t for t, _ in in_window)
        assert max(counts.values()) == 1, f"{key}: a tick fired twice: {counts.most_common(3)}"
        instants = sorted(counts)
        step = timedelta(seconds=params.get("delta", 1))
        gaps = [b - a for a, b in zip(instants, instants[1:], strict=False)]
        shown = [(f"{t:%S.%f}", round((p - t).total_seconds(), 1)) for t, p in sorted(in_window)]
        assert set(gaps) == {step}, f"{key}: ticks missing (tick, late by): {shown}"
        assert instants[0] - window[0] < step, f"{key}: ticks missing: {shown}"
        assert window[1] - instants[-1] < step, f"{key}: ticks missing: {shown}"
        late = max([late] + [published - t for t, published in in_window])
    # Some ticks were fired by the new owner, after the session timeout noticed the death.
    assert late > timedelta(seconds=5), f"no tick was taken over (latest by {late})"
    # It went on from the old owner's recorded progress: it issued again at most the few
    # ticks whose progress the old one had not recorded yet, not every tick since the start.
    issued = fire_commands(kafka_broker)
    applied = timer_ticks(kafka_broker)  # (read after: every command counted has landed)
    for key in keys:
        ticked = len({t for t, _ in applied[key]})
        assert issued[key] - ticked <= 3, f"{key}: {issued[key]} commands for {ticked} ticks"
