"""Replay logic on a real store: a processor re-run from a point restores lost commands once,
a dry run writes nothing, a republish sends what the relay sends."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import TypedDict
from uuid import UUID

import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import RuleDefinition, TriggerTypeDefinition
from attune.domain.events import event_name
from attune.infra.kafka.topics import execution_rekeying, topic_of_event
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.streams.relay import OutgoingRecord, records_of
from attune.streams.replay import (
    DryRunBus,
    DryRunPublisher,
    ReplayError,
    log_range,
    parse_start,
    processor_named,
    replay_processor,
    republish,
)
from attune.streams.rule_engine import RuleEngine
from attune.streams.scheduler import Scheduler
from tests.conftest import NOW

LATER = NOW + timedelta(hours=1)


def fire(commands: CommandService, n: int, at: datetime = NOW) -> None:
    commands.execute(
        m.FireTrigger(
            actor="sensor",
            at=at,
            trigger_event_id=UUID(int=(0x019B << 112) | (9 << 76) | n),
            trigger="monitoring.alert",
            payload={"n": n},
        )
    )


def process_all(store: EventStore, commands: CommandService, name: str) -> None:
    """What the live processor does: handle the whole log, until it asks for nothing more."""
    replay_processor(store, processor_named(name), 1, commands, lambda: NOW)


def lost_rule_engine_commands(store: EventStore, commands: CommandService) -> int:
    """A rule on `monitoring.alert`; trigger 1 handled; triggers 2 and 3 fired an hour
    later but their enforcements never written. Returns the position of trigger 2."""
    definition = RuleDefinition(
        ref="ops.on_alert",
        pack="ops",
        name="on_alert",
        trigger="monitoring.alert",
        action="core.noop",
    )
    alert = TriggerTypeDefinition(ref="monitoring.alert", pack="monitoring", name="alert")
    commands.execute(m.RegisterTriggerType(actor="test", at=NOW, definition=alert))
    commands.execute(m.RegisterRule(actor="test", at=NOW, definition=definition))
    fire(commands, 1)
    process_all(store, commands, "rule_engine")
    fire(commands, 2, LATER)
    lost = store.position()
    fire(commands, 3, LATER)
    return lost


def count_types(store: EventStore) -> Counter[str]:
    return Counter(event_name(e) for batch in log_range(store, 1, None, 100) for _, e in batch)


def test_a_replay_from_a_point_restores_lost_commands_exactly_once(
    store: EventStore, commands: CommandService
) -> None:
    lost = lost_rule_engine_commands(store, commands)
    assert count_types(store)["enforcement.created"] == 1

    report = replay_processor(store, RuleEngine(), lost, commands, lambda: LATER, batch_size=3)

    assert report.first == lost and report.folded == lost - 1
    assert report.commands["CreateEnforcement"] == 2
    # It followed its own writes: the new enforcements asked for their executions too.
    assert report.commands["RequestExecution"] == 2 and not report.refused
    written = count_types(store)
    assert written["enforcement.created"] == 3 and written["execution.requested"] == 3
    assert written["enforcement.processed"] == 3

    end = store.position()
    again = replay_processor(store, RuleEngine(), 1, commands, lambda: LATER)
    assert again.commands["CreateEnforcement"] == 3  # asked for again, and no-ops
    assert store.position() == end


def test_a_replay_from_a_time_starts_at_the_first_event_at_or_after_it(
    store: EventStore, commands: CommandService
) -> None:
    lost = lost_rule_engine_commands(store, commands)
    report = replay_processor(
        store, RuleEngine(), LATER - timedelta(minutes=30), commands, lambda: LATER
    )
    assert report.first == lost
    assert count_types(store)["execution.requested"] == 3


def test_a_replay_up_to_a_position_stops_there(store: EventStore, commands: CommandService) -> None:
    lost = lost_rule_engine_commands(store, commands)
    report = replay_processor(store, RuleEngine(), lost, commands, lambda: LATER, end=lost)
    assert (report.first, report.last, report.handled) == (lost, lost, 1)
    assert dict(report.commands) == {"CreateEnforcement": 1}
    assert count_types(store)["enforcement.created"] == 2
    with pytest.raises(ReplayError, match="ends"):
        replay_processor(store, RuleEngine(), lost, commands, lambda: LATER, end=lost - 1)


def test_a_dry_run_counts_what_would_write_and_writes_nothing(
    store: EventStore, commands: CommandService, secret_box: AesGcmSecretBox
) -> None:
    lost = lost_rule_engine_commands(store, commands)
    end = store.position()
    dry = DryRunBus(store, secret_box)

    report = replay_processor(store, RuleEngine(), 1, dry, lambda: LATER)

    assert report.commands == Counter(
        CreateEnforcement=3, RequestExecution=1, MarkEnforcementProcessed=1
    )
    assert dry.writing == Counter(CreateEnforcement=2)  # trigger 1's were applied before
    assert store.position() == end
    # The handlers changed cached aggregates; the dry run forgot them, so a real run works.
    replay_processor(store, RuleEngine(), lost, commands, lambda: LATER)
    assert count_types(store)["execution.requested"] == 3


def test_the_scheduler_replayed_schedules_requested_executions_once(
    store: EventStore, commands: CommandService
) -> None:
    for n in (1, 2):
        commands.execute(
            m.RequestExecution(
                actor="api", at=NOW, execution_id=UUID(int=(0x019B << 112) | n), action="core.noop"
            )
        )
    report = replay_processor(store, Scheduler(), 1, commands, lambda: NOW)
    assert report.commands == Counter(ScheduleExecution=2)
    end = store.position()
    assert count_types(store)["execution.scheduled"] == 2
    replay_processor(store, Scheduler(), 1, commands, lambda: NOW)
    assert store.position() == end


def test_the_start_is_a_position_or_an_iso_time_in_utc_unless_it_says_otherwise() -> None:
    assert parse_start("42") == 42
    assert parse_start("2026-01-01T12:00:00Z") == NOW
    assert parse_start("2026-01-01T12:00") == NOW
    assert parse_start("2026-01-01T13:00+01:00") == NOW
    assert parse_start("2026-01-02") == datetime(2026, 1, 2, tzinfo=UTC)
    with pytest.raises(ReplayError, match="start at 1"):
        parse_start("0")
    with pytest.raises(ReplayError, match="ISO-8601 time, not 'yesterday'"):
        parse_start("yesterday")


def test_only_event_driven_processors_can_be_replayed() -> None:
    assert isinstance(processor_named("rule_engine"), RuleEngine)
    assert isinstance(processor_named("scheduler"), Scheduler)
    assert processor_named("scheduler") is not processor_named("scheduler")  # fresh state
    with pytest.raises(ReplayError, match="interval_timer cannot be replayed: .* clock"):
        processor_named("interval_timer")
    with pytest.raises(ReplayError, match="unknown processor 'rules'; .*rule_engine, scheduler"):
        processor_named("rules")


def test_a_log_range_includes_both_ends_in_batches(
    store: EventStore, commands: CommandService
) -> None:
    for n in range(1, 8):
        fire(commands, n)
    end = store.position()
    batches = list(log_range(store, end - 5, end - 1, 2))
    assert [[p for p, _ in b] for b in batches] == [
        [end - 5, end - 4],
        [end - 3, end - 2],
        [end - 1],
    ]
    assert list(log_range(store, end + 1, None, 10)) == []


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[OutgoingRecord] = []

    def publish(self, records: Sequence[OutgoingRecord]) -> None:
        self.sent += records


def test_a_republish_sends_the_relays_records_for_the_range_only(
    store: EventStore, commands: CommandService
) -> None:
    for n in range(1, 6):
        fire(commands, n)
    end = store.position()
    publisher = RecordingPublisher()
    reached: list[int] = []

    sent = republish(
        store, publisher, topic_of_event, end - 3, end - 1, batch_size=2, progress=reached.append
    )

    batch = [pe for b in log_range(store, end - 3, end - 1, 10) for pe in b]
    assert publisher.sent == records_of(batch, topic_of_event)
    assert sent == (3, Counter({"attune.events.trigger": 3}))
    assert reached == [end - 2, end - 1]
    assert republish(store, DryRunPublisher(), topic_of_event, 1, end) == (
        end,
        Counter(topic_of_event(event_name(e)) for _, e in store.read(0, 100)),
    )


class RunFields(TypedDict):
    """The fields every command about one run shares."""

    actor: str
    at: datetime
    execution_id: UUID


def test_a_republish_sends_the_re_keyed_copies_of_execution_events_too(
    store: EventStore, commands: CommandService
) -> None:
    """The scheduler and the supervisor read copies keyed by action and by worker; a range
    that starts after a run's request still gets its end's copies (from the store)."""
    run = UUID(int=(0x019B << 112) | (7 << 76) | 1)
    at: RunFields = {"actor": "t", "at": NOW, "execution_id": run}
    commands.execute(m.RequestExecution(**at, action="core.noop"))
    requested = store.position()
    commands.apply_batch([m.ScheduleExecution(**at, pool="local")])
    commands.apply_batch([m.ClaimExecution(**at, worker="w1")])
    commands.apply_batch([m.CompleteExecution(**at, worker="w1", outcome="succeeded")])
    end = store.position()
    publisher = RecordingPublisher()

    events, sent = republish(
        store,
        publisher,
        topic_of_event,
        requested + 1,
        end,
        rekeying=execution_rekeying(store.load),
    )

    assert events == 3  # scheduled, claimed, succeeded
    copies = [(r.topic, r.key, r.position) for r in publisher.sent if "streams" in r.topic]
    assert copies == [
        ("attune.streams.executions-by-worker", b"w1", end - 1),  # the claim
        ("attune.streams.executions-by-action", b"core.noop", end),  # the end, both ways
        ("attune.streams.executions-by-worker", b"w1", end),
    ]
    assert sent["attune.events.execution"] == 3
