"""The interval timer: grid ticks, one fire per tick, resumption from the log."""

from __future__ import annotations

from attune.commands import models as m
from attune.domain.trigger_event import TriggerEvent
from attune.streams.timers import IntervalTimer
from tests.streams.events import T0, at, rule_registered

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
    timer = IntervalTimer()
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
    timer = IntervalTimer()
    timer.handle(timer_rule("examples.a"), at(0))
    timer.handle(timer_rule("examples.b"), at(0))
    timer.handle(timer_rule("examples.c", {"unit": "minutes", "delta": 1}), at(0))

    fires = timer.tick(at(60))
    assert sorted(f.trigger_params["delta"] for f in fires) == [1, 10]  # type: ignore[attr-defined]


def test_a_disabled_rule_stops_its_timer() -> None:
    timer = IntervalTimer()
    timer.handle(timer_rule(), at(0))
    timer.handle(timer_rule(enabled=False), at(0))
    assert timer.tick(at(30)) == [] and timer.next_due() is None


def test_after_downtime_the_latest_missed_tick_fires_once_with_a_stable_id() -> None:
    timer = IntervalTimer()
    timer.handle(timer_rule(), at(0))
    [fire] = timer.tick(at(95))
    assert fire.at == at(90)

    # A restarted timer rebuilt from the same log asks for the same trigger event.
    again = IntervalTimer()
    again.handle(timer_rule(), at(0))
    [refire] = again.tick(at(97))
    assert refire.trigger_event_id == fire.trigger_event_id  # type: ignore[attr-defined]


def test_a_restarted_timer_resumes_after_its_last_fired_tick() -> None:
    first = IntervalTimer()
    first.handle(timer_rule(), at(0))
    [fire] = first.tick(at(10))

    resumed = IntervalTimer()
    for event in (timer_rule(), applied(fire), applied(fire)):  # duplicate delivery too
        assert resumed.handle(event, at(11)) == []
    assert resumed.tick(at(15)) == []
    assert resumed.next_due() == at(20)


def test_rule_and_fired_events_in_either_order_give_the_same_next_tick() -> None:
    first = IntervalTimer()
    first.handle(timer_rule(), at(0))
    [fire] = first.tick(at(10))

    fired_first = IntervalTimer()
    fired_first.handle(applied(fire), at(11))
    fired_first.handle(timer_rule(), at(11))
    # The tick seen before the rule is not the timer's yet: the timer fires at 10 again,
    # with the same id, which the store dedupes.
    [refire] = fired_first.tick(at(11))
    assert refire.trigger_event_id == fire.trigger_event_id  # type: ignore[attr-defined]
