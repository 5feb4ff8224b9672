"""Analytics count executions and trigger events per hour over a window of hours, with the
same answers on every backend (continuous aggregates on TimescaleDB)."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import pytest
from analytics_scenario import (
    EXECUTIONS_PER_HOUR,
    TRIGGER_EVENTS_PER_HOUR,
    at,
    play_analytics,
)
from sqlalchemy import Engine

from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.projections.analytics import executions_per_hour, trigger_events_per_hour
from attune.projections.projector import Projector


@pytest.fixture
def projected(commands: CommandService, store: EventStore, projector: Projector) -> None:
    play_analytics(commands)
    projector.catch_up(store)


def executions(read_engine: Engine, since: Any, until: Any, **filters: Any) -> list[Any]:
    with read_engine.connect() as connection:
        return executions_per_hour(connection, since, until, **filters)


def trigger_events(read_engine: Engine, since: Any, until: Any, **filters: Any) -> list[Any]:
    with read_engine.connect() as connection:
        return trigger_events_per_hour(connection, since, until, **filters)


@pytest.mark.usefixtures("projected")
def test_executions_are_counted_per_hour_of_creation_by_action_and_status(
    read_engine: Engine,
) -> None:
    assert executions(read_engine, at(-5), at(5)) == EXECUTIONS_PER_HOUR


@pytest.mark.usefixtures("projected")
def test_trigger_events_are_counted_per_hour_by_trigger(read_engine: Engine) -> None:
    assert trigger_events(read_engine, at(-5), at(5)) == TRIGGER_EVENTS_PER_HOUR


@pytest.mark.usefixtures("projected")
def test_a_window_holds_the_hours_that_start_in_it(read_engine: Engine) -> None:
    # 12:30 to 15:00: the hours of 13:00 and 14:00; 15:00 is where the window ends.
    assert executions(read_engine, at(0.5), at(3)) == EXECUTIONS_PER_HOUR[2:4]
    assert trigger_events(read_engine, at(0.5), at(3)) == TRIGGER_EVENTS_PER_HOUR[3:]
    # A second past 15:00 (given in another zone): the hour of 15:00 starts in it.
    paris = timezone(timedelta(hours=2))
    assert executions(read_engine, at(3), at(3) + timedelta(seconds=1)) == [EXECUTIONS_PER_HOUR[4]]
    assert executions(read_engine, at(3).astimezone(paris), at(4)) == [EXECUTIONS_PER_HOUR[4]]
    assert executions(read_engine, at(-5), at(-1)) == []


@pytest.mark.usefixtures("projected")
def test_counts_can_be_narrowed_to_an_action_a_status_a_trigger_or_packs(
    read_engine: Engine,
) -> None:
    window = (at(-5), at(5))
    assert executions(read_engine, *window, action="core.noop") == [
        EXECUTIONS_PER_HOUR[3],
        EXECUTIONS_PER_HOUR[4],
    ]
    assert executions(read_engine, *window, status="succeeded") == [
        EXECUTIONS_PER_HOUR[1],
        EXECUTIONS_PER_HOUR[3],
    ]
    assert trigger_events(read_engine, *window, trigger="core.timer") == [
        TRIGGER_EVENTS_PER_HOUR[1]
    ]
    assert executions(read_engine, *window, packs={"core"}) == EXECUTIONS_PER_HOUR
    assert executions(read_engine, *window, packs={"other"}) == []
    assert trigger_events(read_engine, *window, packs=set()) == []
