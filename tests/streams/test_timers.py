"""The interval timer: grid ticks, one fire per tick, resumption from the log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import cast

from attune.commands import models as m
from attune.domain.configuration import Rule
from attune.domain.definitions import RuleDefinition
from attune.domain.trigger_event import TriggerEvent
from attune.streams.timers import Timers
from tests.streams.events import CAUSE, T0, at, pending_events, rule_registered

EVERY_10S = {"unit": "seconds", "delta": 10}


def timer_rule(ref: str = "examples.hello", params: dict | None = None, **fields):  # type: ignore[no-untyped-def]
    return rule_registered(
        ref, when=T0, trigger="core.intervaltimer", trigger_params=params or EVERY_10S, **fields
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
    assert timer.tick(at(100)) == [] and timer.next_due() is None

    timer.handle(timer_rule(), at(0))

    assert timer.next_due() == at(10)
    assert timer.tick(at(9.9)) == []
    [fire] = timer.tick(at(10.2))
    assert isinstance(fire, m.FireTrigger)
    assert fire.trigger == "core.intervaltimer" and fire.trigger_params == EVERY_10S
    assert fire.at == at(10) and fire.payload["executed_at"] == at(10).isoformat()
    assert timer.tick(at(10.5)) == []  # each tick fires once
    assert timer.next_due() == at(20)


def test_two_rules_with_the_same_params_share_one_timer_other_params_get_their_own() -> None:
    timer = Timers()
    timer.handle(timer_rule("examples.a"), at(0))
    timer.handle(timer_rule("examples.b"), at(0))
    timer.handle(timer_rule("examples.c", {"unit": "minutes", "delta": 1}), at(0))

    fires = timer.tick(at(60))
    assert sorted(f.trigger_params["delta"] for f in fires) == [1, 10]  # type: ignore[attr-defined]


def test_a_disabled_rule_stops_its_timer() -> None:
    timer = Timers()
    timer.handle(timer_rule(), at(0))
    timer.handle(timer_rule(enabled=False), at(0))
    assert timer.tick(at(30)) == [] and timer.next_due() is None


def test_after_downtime_the_latest_missed_tick_fires_once_with_a_stable_id() -> None:
    timer = Timers()
    timer.handle(timer_rule(), at(0))
    [fire] = timer.tick(at(95))
    assert fire.at == at(90)

    # A restarted timer rebuilt from the same log asks for the same trigger event.
    again = Timers()
    again.handle(timer_rule(), at(0))
    [refire] = again.tick(at(97))
    assert refire.trigger_event_id == fire.trigger_event_id  # type: ignore[attr-defined]


def test_a_restarted_timer_resumes_after_its_last_fired_tick() -> None:
    first = Timers()
    first.handle(timer_rule(), at(0))
    [fire] = first.tick(at(10))

    resumed = Timers()
    for event in (timer_rule(), applied(fire), applied(fire)):  # duplicate delivery too
        assert resumed.handle(event, at(11)) == []
    assert resumed.tick(at(15)) == []
    assert resumed.next_due() == at(20)


def test_rule_and_fired_events_in_either_order_give_the_same_next_tick() -> None:
    first = Timers()
    first.handle(timer_rule(), at(0))
    [fire] = first.tick(at(10))

    fired_first = Timers()
    fired_first.handle(applied(fire), at(11))
    fired_first.handle(timer_rule(), at(11))
    # The tick seen before the rule is not the timer's yet: the timer fires at 10 again,
    # with the same id, which the store dedupes.
    [refire] = fired_first.tick(at(11))
    assert refire.trigger_event_id == fire.trigger_event_id  # type: ignore[attr-defined]


def cron_rule(params: dict, ref: str = "examples.cron"):  # type: ignore[no-untyped-def,type-arg]
    return rule_registered(ref, when=T0, trigger="core.crontimer", trigger_params=params)


def fired_at(commands: list[m.Command]) -> list[float]:
    return [(c.at - T0).total_seconds() for c in commands if isinstance(c, m.FireTrigger)]


def test_a_cron_timer_fires_on_its_schedule_once_per_tick() -> None:
    timer = Timers()
    timer.handle(cron_rule({"second": "*/15"}), at(0))  # T0 is 12:00:00
    assert timer.next_due() == at(15)
    assert fired_at(timer.tick(at(15.1))) == [15]
    assert timer.tick(at(15.2)) == []
    [fire] = timer.tick(at(30.4))
    assert isinstance(fire, m.FireTrigger) and fire.trigger == "core.crontimer"
    assert fire.payload == {"executed_at": at(30).isoformat(), "schedule": {"second": "*/15"}}


def test_a_date_timer_fires_once_and_not_again_after_a_restart() -> None:
    params = {"date": at(20).isoformat()}
    timer = Timers()
    timer.handle(
        rule_registered("examples.once", when=T0, trigger="core.datetimer", trigger_params=params),
        at(0),
    )
    [fire] = timer.tick(at(21))
    assert timer.next_due() is None and timer.tick(at(100)) == []

    resumed = Timers()
    resumed.handle(
        rule_registered("examples.once", when=T0, trigger="core.datetimer", trigger_params=params),
        at(0),
    )
    resumed.handle(applied(fire), at(22))
    assert resumed.tick(at(200)) == [] and resumed.next_due() is None


def test_after_downtime_the_misfire_rule_and_the_grace_decide() -> None:
    every_second = {"second": "*"}
    latest, skip = Timers(grace=timedelta(seconds=3)), Timers(grace=timedelta(seconds=3))
    latest.handle(cron_rule(every_second), at(0))
    skip.handle(cron_rule(every_second | {"misfire": "skip"}, "examples.skip"), at(0))
    # Down from 0 to 60.5: the ticks of the last 3 s are all fired, older ones are not ...
    assert fired_at(latest.tick(at(60.5))) == [58, 59, 60]
    assert fired_at(skip.tick(at(60.5))) == [58, 59, 60]
    # ... and, with no grace, of a pause only the latest tick fires (once), or none.
    latest, skip = Timers(grace=timedelta(0)), Timers(grace=timedelta(0))
    latest.handle(cron_rule(every_second), at(0))
    skip.handle(cron_rule(every_second | {"misfire": "skip"}, "examples.skip"), at(0))
    assert fired_at(latest.tick(at(60.5))) == [60]
    assert skip.tick(at(60.5)) == [] and skip.next_due() == at(61)  # (passed over for good)


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
    assert sorted(len(t.rules) for t in timer.timers.values()) == [0, 2]  # both on 20 s now
    assert fired_at(timer.tick(at(25))) == [20]
    rule.unregister("its file is gone", CAUSE)
    for event in pending_events(rule):
        timer.handle(event, at(26))
    assert [sorted(t.rules) for t in timer.timers.values() if t.rules] == [["examples.other"]]
