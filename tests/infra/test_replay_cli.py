"""`attune replay projections|processor` and `attune relay republish` on real stores (SQLite
and PostgreSQL) and a real broker: what they write, what they leave alone, how they fail."""

from __future__ import annotations

from collections import Counter

import pytest
from click import Group
from click.testing import CliRunner, Result
from sqlalchemy import Engine

from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.infra.cli.relay import relay
from attune.infra.cli.replay import replay
from attune.infra.kafka.admin import init_topics
from attune.infra.kafka.publisher import KafkaPublisher
from attune.infra.kafka.topics import TOPICS, topic_of_event
from attune.infra.settings import Settings
from attune.infra.storage.state_lock import StateLock
from attune.projections.projector import Projector
from attune.projections.rebuild import dump_tables
from attune.projections.schema import execution
from attune.streams.relay import Relay
from tests.kafka_broker import read_topics
from tests.streams.test_replay import LATER, count_types, fire, lost_rule_engine_commands


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def invoke(group: Group, settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(group, list(args), obj={"settings": settings, "json": False})


def succeeded(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def test_replay_projections_drops_and_rebuilds_the_read_models(
    store: EventStore,
    commands: CommandService,
    read_engine: Engine,
    projector: Projector,
    settings: Settings,
) -> None:
    lost_rule_engine_commands(store, commands)
    projector.catch_up(store)
    live = dump_tables(read_engine)
    with read_engine.begin() as connection:
        connection.execute(execution.delete())  # rows the rebuild must bring back

    result = invoke(replay, settings, "projections")

    assert f"up to position {store.position()}" in succeeded(result)
    assert "rebuilding" in result.stderr  # the progress bar
    assert dump_tables(read_engine) == live


def test_a_dry_run_of_replay_projections_reports_and_changes_nothing(
    store: EventStore,
    commands: CommandService,
    read_engine: Engine,
    projector: Projector,
    settings: Settings,
) -> None:
    lost_rule_engine_commands(store, commands)
    projector.catch_up(store)
    with read_engine.begin() as connection:
        connection.execute(execution.delete().where(execution.c.status == "requested"))
    before = dump_tables(read_engine)

    output = succeeded(invoke(replay, settings, "projections", "--dry-run"))

    assert "would drop" in output and f"  enforcement: {len(before['enforcement'])} rows" in output
    assert f"would replay the log up to position {store.position()}" in output
    assert dump_tables(read_engine) == before


def test_replay_processor_restores_lost_commands_once_and_a_second_run_writes_nothing(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    lost = lost_rule_engine_commands(store, commands)

    result = invoke(replay, settings, "processor", "rule_engine", "--from", str(lost))

    output = succeeded(result)
    # Two trigger events, then what the replay's own writes caused: the whole chain.
    assert f"rule_engine handled 8 events (positions {lost} to {lost + 7})" in output
    assert "  CreateEnforcement: 2" in output and "  RequestExecution: 2" in output
    assert "replaying rule_engine" in result.stderr
    written = count_types(store)
    assert (written["enforcement.created"], written["execution.requested"]) == (3, 3)
    end = store.position()
    succeeded(invoke(replay, settings, "processor", "rule_engine", "--from", "1"))
    assert store.position() == end


def test_replay_processor_from_a_time(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    lost = lost_rule_engine_commands(store, commands)
    output = succeeded(
        invoke(replay, settings, "processor", "rule_engine", "--from", LATER.isoformat())
    )
    assert f"(positions {lost} to" in output
    assert count_types(store)["execution.requested"] == 3


def test_a_dry_run_of_replay_processor_counts_what_would_write_and_writes_nothing(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    lost = lost_rule_engine_commands(store, commands)
    end = store.position()

    output = succeeded(
        invoke(
            replay,
            settings,
            "processor",
            "rule_engine",
            "--from",
            "1",
            "--to",
            str(end),
            "--dry-run",
        )
    )

    assert f"rule_engine would handle {end} events (positions 1 to {end})" in output
    assert "  CreateEnforcement: 3 commands, 2 would write events" in output
    assert "  RequestExecution: 1 commands, 0 would write events" in output
    assert "nothing was written" in output
    assert store.position() == end
    assert lost < end


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["processor", "rules", "--from", "1"], "unknown processor 'rules'"),
        (["processor", "interval_timer", "--from", "1"], "driven by the clock"),
        (["processor", "scheduler", "--from", "soon"], "ISO-8601 time, not 'soon'"),
        (["processor", "scheduler", "--from", "0"], "store positions start at 1"),
    ],
)
def test_replay_processor_explains_a_bad_name_or_starting_point(
    settings: Settings, args: list[str], message: str
) -> None:
    result = invoke(replay, settings, *args)
    assert result.exit_code == 2 and message in result.output


def test_replay_processor_says_when_no_event_is_at_or_after_the_start(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    fire(commands, 1)
    result = invoke(replay, settings, "processor", "scheduler", "--from", "2999-01-01")
    assert result.exit_code == 1
    assert f"no event at or after 2999-01-01 (the log ends at {store.position()})" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("command", [["projections"], ["processor", "scheduler", "--from", "1"]])
def test_replays_on_sqlite_refuse_while_attune_runs(
    store: EventStore, commands: CommandService, settings: Settings, command: list[str]
) -> None:
    lock = StateLock(settings.state_dir).acquire()
    try:
        result = invoke(replay, settings, *command)
    finally:
        lock.release()
    assert result.exit_code == 1 and "Attune is already running on" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_missing_sqlite_store_is_named(settings: Settings) -> None:
    result = invoke(replay, settings, "projections")
    assert result.exit_code == 1 and f"no event store at {settings.events_db}" in result.output


def relay_everything(store: EventStore, bootstrap: str) -> None:
    publisher = KafkaPublisher(bootstrap)
    relay_ = Relay(store, publisher, topic_of_event)
    while relay_.step():
        pass
    publisher.close()


def test_relay_republish_sends_the_range_again_as_the_relay_did_and_leaves_its_position(
    kafka_broker: str, store: EventStore, commands: CommandService, settings: Settings
) -> None:
    init_topics(kafka_broker, TOPICS)
    for n in range(1, 11):
        fire(commands, n)
    relay_everything(store, kafka_broker)
    end = store.position()
    first = read_topics(kafka_broker, TOPICS)

    result = invoke(
        relay,
        settings.with_overrides(kafka_bootstrap=kafka_broker),
        "republish",
        "--from",
        str(end - 4),
        "--to",
        str(end - 1),
    )

    output = succeeded(result)
    assert f"republished 4 events as 4 records (positions {end - 4} to {end - 1})" in output
    assert "  attune.events.trigger: 4" in output
    assert "republishing" in result.stderr
    assert store.tracked_position("relay") == end
    seen = read_topics(kafka_broker, TOPICS)
    again = Counter(int(dict(m.headers)["position"]) for m in seen) - Counter(
        int(dict(m.headers)["position"]) for m in first
    )
    assert again == Counter(range(end - 4, end))  # each once more, nothing else
    as_sent = {(m.topic, m.key, m.value, tuple(m.headers)) for m in first}
    assert {(m.topic, m.key, m.value, tuple(m.headers)) for m in seen} == as_sent  # the same


def test_a_dry_run_of_relay_republish_counts_per_topic_and_publishes_nothing(
    kafka_broker: str, store: EventStore, commands: CommandService, settings: Settings
) -> None:
    init_topics(kafka_broker, TOPICS)
    fire(commands, 1)
    end = store.position()
    output = succeeded(
        invoke(
            relay,
            settings.with_overrides(kafka_bootstrap=kafka_broker),
            "republish",
            "--from",
            "1",
            "--dry-run",
        )
    )
    assert f"would republish {end} events as {end} records (positions 1 to {end})" in output
    assert "  attune.events.trigger: 1" in output and "  attune.events.config: " in output
    assert read_topics(kafka_broker, TOPICS) == []
    assert store.tracked_position("relay") == 0


def test_relay_republish_refuses_an_empty_range(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    end = store.position()
    result = invoke(relay, settings, "republish", "--from", str(end + 1))
    assert result.exit_code == 1
    assert f"nothing to republish from position {end + 1}: the log ends at {end}" in result.output


# This and the next wait out their client's 10 s connection timeout.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unreachable_broker_is_named(
    store: EventStore, commands: CommandService, settings: Settings
) -> None:
    result = invoke(
        relay, settings.with_overrides(kafka_bootstrap="127.0.0.1:1"), "republish", "--from", "1"
    )
    assert result.exit_code == 1
    assert "cannot reach the Kafka broker at 127.0.0.1:1" in result.output


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_unreachable_database_is_named(settings: Settings) -> None:
    unreachable = settings.with_overrides(database_url="postgresql://attune@127.0.0.1:1/attune")
    result = invoke(replay, unreachable, "processor", "scheduler", "--from", "1")
    assert result.exit_code == 1
    assert "cannot reach the database at postgresql://attune@127.0.0.1:1/attune" in result.output
