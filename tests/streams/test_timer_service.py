"""The timer service: timers set and canceled by their sources' events, each tick's command
issued once per recorded round, ownership by partition, and uptime against downtime."""

from __future__ import annotations

from datetime import datetime, timedelta

from attune.commands import models as m
from attune.domain.events import AttuneEvent
from attune.domain.ids import caused_id
from attune.domain.schedules import DateSchedule, IntervalSchedule
from attune.streams.timer_service import (
    CancelTimer,
    SetTimer,
    Timer,
    TimerChange,
    TimerService,
    Uptime,
    partition_of,
)
from tests.streams.events import T0, at, rule_registered


def command_at(key: str):  # type: ignore[no-untyped-def]
    def command(tick_at: datetime) -> m.Command:
        return m.RequestExecution(
            actor="timer",
            at=tick_at,
            execution_id=caused_id(tick_at, "timer", key),
            action=f"{key} at {(tick_at - T0).total_seconds():g}",
        )

    return command


class Deadlines:
    """A source that sets a timer for every rule registered and cancels it on a rule named
    `cancel.<key>`: the shape a later issue's timeouts take."""

    def __init__(self, schedule_of=lambda: DateSchedule(at(30))) -> None:  # type: ignore[no-untyped-def]
        self.schedule_of = schedule_of

    def observe(self, event: AttuneEvent) -> list[TimerChange]:
        ref = getattr(event, "definition", {}).get("ref", "")
        if ref.startswith("cancel."):
            return [CancelTimer(ref.removeprefix("cancel."))]
        if ref:
            return [SetTimer(Timer(ref, self.schedule_of(), event.timestamp, command_at(ref)))]
        return []


def actions(commands: list[m.Command]) -> list[str]:
    return [c.action for c in commands]  # type: ignore[attr-defined]


def fire(service: TimerService, now: datetime, up_since: datetime = T0) -> list[m.Command]:
    due = service.tick(now, up_since)
    service.record(due)
    return due.commands


def test_a_timer_set_by_an_event_issues_its_command_once_at_its_instant() -> None:
    service = TimerService([Deadlines()])
    service.handle(rule_registered("ops.deadline"), at(0))
    assert service.next_due() == at(30) and fire(service, at(29)) == []
    assert actions(fire(service, at(30.5))) == ["ops.deadline at 30"]
    assert fire(service, at(31)) == [] and service.next_due() is None


def test_a_round_not_recorded_is_issued_again_with_the_same_ids() -> None:
    service = TimerService([Deadlines()])
    service.handle(rule_registered("ops.deadline"), at(0))
    first = service.tick(at(31), T0)  # (its commands were never written: a crash)
    again = service.tick(at(32), T0)
    assert first.commands == again.commands and first.commands


def test_a_timer_canceled_by_an_event_never_fires() -> None:
    service = TimerService([Deadlines()])
    service.handle(rule_registered("ops.deadline"), at(0))
    service.handle(rule_registered("cancel.ops.deadline"), at(1))
    assert fire(service, at(60)) == [] and service.next_due() is None


def test_owners_of_the_partitions_together_fire_every_tick_once() -> None:
    every_second = Deadlines(lambda: IntervalSchedule(T0, timedelta(seconds=1)))
    keys = [f"ops.timer_{n}" for n in range(20)]
    hosts = [TimerService([every_second]) for _ in range(2)]
    for host in hosts:
        for key in keys:
            host.handle(rule_registered(key), at(0))
    fired: list[str] = []
    for partition, host in enumerate(hosts):
        due = host.tick(at(3), T0, owns=lambda key, p=partition: partition_of(key, 2) == p)  # type: ignore[misc]
        fired += actions(due.commands)
    assert sorted(fired) == sorted(f"{key} at {s}" for key in keys for s in (1, 2, 3))
    assert {partition_of(key, 2) for key in keys} == {0, 1}  # (both hosts had some)


def test_uptime_lasts_until_a_pause_longer_than_the_grace_period() -> None:
    uptime = Uptime(timedelta(seconds=5))
    assert uptime.beat(at(0)) == at(0)
    assert uptime.beat(at(4)) == at(0) and uptime.beat(at(8.5)) == at(0)
    assert uptime.beat(at(20)) == at(20)  # suspended for 11.5 s: down since
    # With no grace, a host's sleep between rounds is still not a pause.
    no_grace = Uptime(timedelta(0))
    no_grace.beat(at(0))
    assert no_grace.beat(at(0.5)) == at(0) and no_grace.beat(at(10)) == at(10)
