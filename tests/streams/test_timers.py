"""The timer triggers on the timer service: grid ticks, one fire per tick, resumption from
the log, the misfire rule after downtime and none after a takeover."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from attune.commands import models as m
from attune.domain.configuration import Rule
from attune.domain.definitions import RuleDefinition
from attune.domain.trigger_event import TriggerEvent
from attune.streams.timer_service import TimerService
from attune.streams.timers import TriggerTimers
from tests.streams.events import CAUSE, T0, at, pending_events, rule_registered

EVERY_10S = {"unit": "seconds", "delta": 10}


class Timers(TimerService):
    """The service with the trigger timers, ticked as a host does: each round recorded."""

    def __init__(self, grace: timedelta = timedelta(seconds=5)) -> None:
        super().__init__([TriggerTimers()], grace)

    def fire(self, now: datetime, up_since: datetime | None = None) -> list[m.Command]:
        due = self.tick(now, up_since)
        self.record(due)
        return due.commands


def timer_rule(ref: str = "examples.hello", params: dict | None = None, when=T0, **fields):  # type: ignore[no-untyped-def]
    return rule_registered(
        ref, when=when, trigger="core.intervaltimer", trigger_params=params or EVERY_10S, **fields
    )


def applied(command: m.Command):  # type: ignore[no-untyped-def]
    assert isinstance(command, m.FireTrigger)  # the timer's ticks are FireTrigger commands
    event = TriggerEvent.fire(
        command.trigger_event_id,
        command.trigger,
        command.trigger_params,
        command.payload,
        command.cause(),
    )
    return event.collect_events()[0]


def test_no_rule_no_tick_and_the_first_tick_comes_one_interval_after_registration() -> None:
    timer = Timers()
    assert timer.fire(at(100)) == [] and timer.next_due() is None

    timer.handle(timer_rule(), at(0))

    assert timer.next_due() == at(10)
    assert timer.fire(at(9.9)) == []
    [fire] = timer.fire(at(10.2))
    assert isinstance(fire, m.FireTrigger)
    assert fire.trigger == "core.intervaltimer" and fire.trigger_params == EVERY_10S
    assert fire.at == at(10) and fire.payload["executed_at"] == at(10).isoformat()
    assert timer.fire(at(10.5)) == []  # each tick fires once
    assert timer.next_due() == at(20)


def test_two_rules_with_the_same_params_share_one_timer_other_params_get_their_own() -> None:
    timer = Timers()
    timer.handle(timer_rule("examples.a"), at(0))
    timer.handle(timer_rule("examples.b"), at(0))
    timer.handle(timer_rule("examples.c", {"unit": "minutes", "delta": 1}), at(0))

    fires = timer.fire(at(60))
    assert sorted(f.trigger_params["delta"] for f in fires) == [1, 10]  # type: ignore[attr-defined]


def test_a_disabled_rule_stops_its_timer() -> None:
    timer = Timers()
    timer.handle(timer_rule(), at(0))
    timer.handle(timer_rule(enabled=False), at(0))
    assert timer.fire(at(30)) == [] and timer.next_due() is None


def test_after_downtime_the_latest_missed_tick_fires_once_with_a_stable_id() -> None:
    timer = Timers()
    timer.handle(timer_rule(), at(0))
    [fire] = timer.fire(at(95))
    assert fire.at == at(90)

    # A restarted timer rebuilt from the same log asks for the same trigger event.
    again = Timers()
    again.handle(timer_rule(), at(0))
    [refire] = again.fire(at(97))
    assert refire.trigger_event_id == fire.trigger_event_id  # type: ignore[attr-defined]


def test_a_restarted_timer_resumes_after_its_last_fired_tick() -> None:
    first = Timers()
    first.handle(timer_rule(), at(0))
    [fire] = first.fire(at(10))

    resumed = Timers()
    for event in (timer_rule(), applied(fire), applied(fire)):  # duplicate delivery too
        assert resumed.handle(event, at(11)) == []
    assert resumed.fire(at(15)) == []
    assert resumed.next_due() == at(20)


def test_rule_and_fired_events_in_either_order_give_the_same_next_tick() -> None:
    first = Timers()
    first.handle(timer_rule(), at(0))
    [fire] = first.fire(at(10))

    fired_first = Timers()
    fired_first.handle(applied(fire), at(11))
    fired_first.handle(timer_rule(), at(11))
    assert fired_first.fire(at(11)) == [] and fired_first.next_due() == at(20)


def test_a_rule_enabled_again_fires_nothing_for_the_time_it_was_off() -> None:
    timer = Timers()
    timer.handle(timer_rule(), at(0))
    assert fired_at(timer.fire(at(10))) == [10]
    timer.handle(timer_rule(enabled=False, when=at(12)), at(12))
    timer.handle(timer_rule(when=at(95)), at(95))
    # Off from 12 to 95: the grid stays (anchored at 0), no missed tick fires.
    assert timer.next_due() == at(100)
    assert fired_at(timer.fire(at(100), up_since=at(0))) == [100]


def test_ticks_that_fell_due_while_the_host_was_up_all_fire_however_late() -> None:
    # A new owner taking the timer over at 60.5 (up since 0): every tick after the old
    # owner's last one fires, once each; the misfire rule is for downtime.
    every_second = {"second": "*"}
    old_owner, new_owner = Timers(grace=timedelta(0)), Timers(grace=timedelta(0))
    for host in (old_owner, new_owner):
        host.handle(cron_rule(every_second), at(0))
    fires = old_owner.fire(at(40.2), up_since=at(0))
    assert fired_at(fires) == list(range(1, 41))
    for fire in fires:
        new_owner.handle(applied(fire), at(40.3))
    assert fired_at(new_owner.fire(at(60.5), up_since=at(0))) == list(range(41, 61))
    # Had the whole system been down from 40.2, only the latest would fire.
    restarted = Timers(grace=timedelta(0))
    restarted.handle(cron_rule(every_second), at(0))
    for fire in fires:
        restarted.handle(applied(fire), at(40.3))
    assert fired_at(restarted.fire(at(60.5), up_since=at(60.5))) == [60]


def cron_rule(params: dict, ref: str = "examples.cron"):  # type: ignore[no-untyped-def,type-arg]
    return rule_registered(ref, when=T0, trigger="core.crontimer", trigger_params=params)


def fired_at(commands: list[m.Command]) -> list[float]:
    return [(c.at - T0).total_seconds() for c in commands if isinstance(c, m.FireTrigger)]


def test_a_cron_timer_fires_on_its_schedule_once_per_tick() -> None:
    timer = Timers()
    timer.handle(cron_rule({"second": "*/15"}), at(0))  # T0 is 12:00:00
    assert timer.next_due() == at(15)
    assert fired_at(timer.fire(at(15.1))) == [15]
    assert timer.fire(at(15.2)) == []
    [fire] = timer.fire(at(30.4))
    assert isinstance(fire, m.FireTrigger) and fire.trigger == "core.crontimer"
    assert fire.payload == {"executed_at": at(30).isoformat(), "schedule": {"second": "*/15"}}


def test_a_date_timer_fires_once_and_not_again_after_a_restart() -> None:
    params = {"date": at(20).isoformat()}
    timer = Timers()
    timer.handle(
        rule_registered("examples.once", when=T0, trigger="core.datetimer", trigger_params=params),
        at(0),
    )
    [fire] = timer.fire(at(21))
    assert timer.next_due() is None and timer.fire(at(100)) == []

    resumed = Timers()
    resumed.handle(
        rule_registered("examples.once", when=T0, trigger="core.datetimer", trigger_params=params),
        at(0),
    )
    resumed.handle(applied(fire), at(22))
    assert resumed.fire(at(200)) == [] and resumed.next_due() is None


def test_after_downtime_the_misfire_rule_and_the_grace_decide() -> None:
    every_second = {"second": "*"}
    latest, skip = Timers(grace=timedelta(seconds=3)), Timers(grace=timedelta(seconds=3))
    latest.handle(cron_rule(every_second), at(0))
    skip.handle(cron_rule(every_second | {"misfire": "skip"}, "examples.skip"), at(0))
    # Down from 0 to 60.5: the ticks of the last 3 s are all fired, older ones are not ...
    assert fired_at(latest.fire(at(60.5))) == [58, 59, 60]
    assert fired_at(skip.fire(at(60.5))) == [58, 59, 60]
    # ... and, with no grace, of a pause only the latest tick fires (once), or none.
    latest, skip = Timers(grace=timedelta(0)), Timers(grace=timedelta(0))
    latest.handle(cron_rule(every_second), at(0))
    skip.handle(cron_rule(every_second | {"misfire": "skip"}, "examples.skip"), at(0))
    assert fired_at(latest.fire(at(60.5))) == [60]
    assert skip.fire(at(60.5)) == [] and skip.next_due() == at(61)  # (passed over for good)


def test_a_cron_timer_in_a_time_zone_skips_the_hour_summer_time_removes() -> None:
    # 2026-03-29, Europe/Paris: 02:00 becomes 03:00 (01:00 UTC); a 02:30 daily timer skips it.
    timer = Timers()
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)
    rule = rule_registered(
        "examples.paris",
        when=start,
        trigger="core.crontimer",
        trigger_params={"hour": 2, "minute": 30, "timezone": "Europe/Paris"},
    )
    timer.handle(rule, start)
    assert timer.next_due() == datetime(2026, 3, 30, 0, 30, tzinfo=UTC)  # 02:30 CEST, next day


def test_a_rule_changed_or_unregistered_moves_off_its_timer() -> None:
    timer = Timers()
    rule = cast(
        Rule,
        Rule.register(
            RuleDefinition.model_validate(timer_rule().definition),  # type: ignore[attr-defined]
            CAUSE,
        ),
    )
    for event in pending_events(rule):
        timer.handle(event, at(0))
    other = timer_rule("examples.other", {"unit": "seconds", "delta": 20})
    timer.handle(other, at(0))
    rule.redefine(
        RuleDefinition.model_validate(
            timer_rule(params={"unit": "seconds", "delta": 20}).definition  # type: ignore[attr-defined]
        ),
        CAUSE,
    )
    for event in pending_events(rule):
        timer.handle(event, at(1))
    [key] = timer.timers  # both on 20 s now: the 10 s timer is canceled
    assert '"delta": 20' in key
    assert fired_at(timer.fire(at(25))) == [20]
    rule.unregister("its file is gone", CAUSE)
    for event in pending_events(rule):
        timer.handle(event, at(26))
    assert list(timer.timers) == [key]  # the other rule still listens
    timer.handle(
        timer_rule("examples.other", {"unit": "seconds", "delta": 20}, enabled=False), at(27)
    )
    assert timer.timers == {} and timer.next_due() is None
