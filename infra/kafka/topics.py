"""The Kafka topic catalogue of distributed Attune: every topic, its partitions and keys.

Topics are created explicitly, with these partition counts, by `attune kafka init` (never
auto-created: a broker's default partition count would not match, see docs/topics.md).
Domain events go to the topic of their aggregate's stream, keyed by aggregate id, so one
aggregate's events stay in order. `docs/topics.md` lists the same topics (a test checks).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from attune.streams.faust_app import APP_ID, StreamTopics, tables_of
from attune.streams.relay import ExecutionRekeying


@dataclass(frozen=True)
class Topic:
    name: str
    partitions: int
    key: str
    carries: str


EVENT_STREAMS: dict[str, tuple[str, ...]] = {
    "attune.events.config": ("pack", "action", "trigger_type", "rule", "role"),
    "attune.events.trigger": ("trigger_event",),
    "attune.events.enforcement": ("enforcement",),
    "attune.events.execution": ("execution",),
    "attune.events.workflow": ("workflow_execution",),
    "attune.events.worker": ("worker",),
    "attune.events.security": ("identity", "admin_roster", "session", "api_key", "key"),
}

TOPICS: tuple[Topic, ...] = (
    Topic(
        "attune.events.config",
        1,
        "aggregate id",
        "configuration events: packs, actions, trigger types, rules, roles",
    ),
    Topic("attune.events.trigger", 6, "aggregate id", "trigger_event.fired"),
    Topic("attune.events.enforcement", 6, "aggregate id", "enforcement events"),
    Topic("attune.events.execution", 12, "aggregate id", "execution events"),
    Topic("attune.events.workflow", 12, "aggregate id", "workflow_execution events"),
    Topic(
        "attune.events.security",
        1,
        "aggregate id",
        "identity, session, API key and keystore events",
    ),
    Topic("attune.events.worker", 1, "aggregate id", "worker.started, worker.lost"),
    Topic(
        "attune.commands",
        12,
        "target aggregate id",
        "commands of processors and workers, for the command service",
    ),
    Topic(
        "attune.dead-letter",
        1,
        "source topic",
        "messages that could not be parsed, with the reason",
    ),
    Topic("attune.liveness", 1, "worker name", "worker heartbeats (telemetry, not domain events)"),
    Topic(
        "attune.streams.executions-by-action",
        12,
        "action ref",
        "requests and ends of executions re-keyed by action, for the scheduler (relay)",
    ),
    Topic(
        "attune.streams.executions-by-worker",
        1,
        "worker name",
        "claims and ends of executions re-keyed by worker, for the supervisor (relay)",
    ),
    Topic(
        "attune.timers",
        4,
        "- (partition: timer key)",
        "pulses: a partition's owner fires that partition's due timers",
    ),
)

STREAM_TOPICS = StreamTopics(
    config="attune.events.config",
    triggers="attune.events.trigger",
    enforcements="attune.events.enforcement",
    executions="attune.events.execution",
    by_action="attune.streams.executions-by-action",
    by_action_partitions=12,
    liveness="attune.liveness",
    by_worker="attune.streams.executions-by-worker",
    commands="attune.commands",
    timers="attune.timers",
    timers_partitions=4,
)

# faust's own topics: a changelog per table and the app's leader-election topic (faust
# declares it; Attune elects no leader).
TOPICS += tuple(
    Topic(f"{APP_ID}-{table}-changelog", partitions, "table key", f"faust table `{table}`")
    for table, partitions in tables_of(STREAM_TOPICS).items()
) + (Topic(f"{APP_ID}-__assignor-__leader", 1, "-", "faust leader election (unused)"),)


def execution_rekeying(load: Callable[[UUID], Any]) -> ExecutionRekeying:
    """The relay's re-keyed copies of execution events, onto this catalogue's topics."""
    return ExecutionRekeying(STREAM_TOPICS.by_action, STREAM_TOPICS.by_worker, load)


_STREAM_OF_AGGREGATE = {
    aggregate: topic for topic, aggregates in EVENT_STREAMS.items() for aggregate in aggregates
}


def topic_of_event(event_name: str) -> str:
    """The topic a domain event is published to (`execution.succeeded` -> its stream)."""
    aggregate = event_name.partition(".")[0]
    try:
        return _STREAM_OF_AGGREGATE[aggregate]
    except KeyError:
        raise LookupError(
            f"no topic carries events of '{aggregate}' (event {event_name})"
        ) from None
