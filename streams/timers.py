"""The timers: fire `core.intervaltimer`, `core.crontimer` and `core.datetimer` trigger
events on their schedules (`attune.domain.schedules`).

One timer exists per timer trigger type and distinct set of trigger parameters that an
enabled rule listens to. An interval's ticks lie on a grid anchored at the first
registration of such a rule (``anchor + k * delta``); a cron timer's and a date timer's
ticks are those of their schedule after that registration. A tick's trigger event id
derives from the timer and the tick time, so a tick fires once even when recomputed.
After a pause (downtime, a slow host) the misfire rule applies (`due_ticks`): ticks missed
by at most the grace period (the setting `timer_grace_seconds`) all fire; of older ones
the latest fires once (``misfire: latest``, the default) or none (``misfire: skip``).
State comes from the log (rule events and the timers' own fired events), so a restart
resumes where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from attune.commands import models as m
from attune.domain.configuration import Rule
from attune.domain.events import AttuneEvent
from attune.domain.ids import caused_id
from attune.domain.schedules import (
    INTERVAL_TIMER,
    TIMER_TRIGGERS,
    Schedule,
    ScheduleProblem,
    due_ticks,
    schedule_of,
)
from attune.domain.trigger_event import TriggerEvent
from attune.streams.catalog import RuleIndex
from attune.streams.dispatch import EventDispatch

ACTOR = "timer"
# Ticks missed by at most this long all fire (a host that woke late, a short restart); a
# misfire rule is about downtime, not jitter.
DEFAULT_GRACE = timedelta(seconds=5)


def _rule_ref(event: AttuneEvent) -> str | None:
    """The ref of the rule a rule event is about; None for another event."""
    if isinstance(event, Rule.Unregistered):
        return event.ref
    if isinstance(event, (Rule.Registered, Rule.Updated, Rule.Restored)):
        return str(event.definition["ref"])
    return None


def timer_key(trigger: str, trigger_params: dict[str, Any]) -> str:
    params = json.dumps(trigger_params, sort_keys=True)
    # (the interval timer's keys are its parameters alone, as its tick ids always were)
    return params if trigger == INTERVAL_TIMER else f"{trigger} {params}"


@dataclass
class Timer:
    trigger: str
    params: dict[str, Any]
    schedule: Schedule
    anchor: datetime  # when the first rule listening to it was registered
    last_fired: datetime | None = None
    decided_until: datetime | None = None  # every tick up to here was fired or passed over
    rules: set[str] = field(default_factory=set)
    _due: datetime | None = field(default=None, repr=False)
    _due_after: datetime | None = field(default=None, repr=False)

    @property
    def misfire(self) -> str:
        return str(self.params.get("misfire", "latest"))

    def after(self) -> datetime:
        """The instant after which ticks are still to be decided."""
        last = self.last_fired or self.anchor
        return last if self.decided_until is None else max(last, self.decided_until)

    def next_due(self) -> datetime | None:
        """The next tick to decide (remembered until `after` moves: the host asks before
        each sleep and `Timers.tick` before each timer, and a cron step is not free)."""
        after = self.after()
        if self._due_after != after:
            self._due, self._due_after = self.schedule.next_after(after), after
        return self._due


class Timers:
    name = "interval_timer"  # (its name in replays and logs, as before cron and dates)

    def __init__(self, grace: timedelta = DEFAULT_GRACE) -> None:
        self.grace = grace
        self.rules = RuleIndex()
        self.timers: dict[str, Timer] = {}
        self._listeners: dict[str, set[str]] = {}  # timer key -> enabled rules listening
        self._dispatch = EventDispatch[None](lambda: None).on(TriggerEvent.Fired, self._fired)

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        """Fold rule changes and the timers' own ticks into the timers; never emits."""
        ref = _rule_ref(event)
        if ref is None:
            self._dispatch(event, now)
            return []
        before = self.rules.get(ref)
        self.rules.observe(event)
        after = self.rules.get(ref)
        # Only the timers of this rule, before and after, change: a start-up replaying
        # thousands of rules does not look at every rule for each.
        timed = [r for r in (before, after) if r is not None and r.trigger in TIMER_TRIGGERS]
        for rule in timed:
            self._listeners.setdefault(timer_key(rule.trigger, rule.trigger_params), set())
            self._listeners[timer_key(rule.trigger, rule.trigger_params)].discard(ref)
        if after is not None and after.enabled and after in timed:
            self._listeners[timer_key(after.trigger, after.trigger_params)].add(ref)
        for rule in timed:
            self._refresh(rule.trigger, rule.trigger_params, event.timestamp)
        return []

    def _fired(self, fired: TriggerEvent.Fired, _now: datetime) -> None:
        if fired.trigger not in TIMER_TRIGGERS:
            return
        timer = self.timers.get(timer_key(fired.trigger, fired.trigger_params))
        if timer is not None and (timer.last_fired or timer.anchor) < fired.timestamp:
            timer.last_fired = fired.timestamp

    def _refresh(self, trigger: str, params: dict[str, Any], at: datetime) -> None:
        """The timer of these parameters listens to its rules; it begins (anchored at
        `at`) when its first rule comes."""
        key = timer_key(trigger, params)
        rules = self._listeners.get(key, set())
        timer = self.timers.get(key)
        if timer is None and rules:
            try:
                schedule = schedule_of(trigger, params, anchor=at)
            except ScheduleProblem:
                return  # (refused at registration; an older log may hold one)
            timer = self.timers[key] = Timer(trigger, params, schedule, anchor=at)
        if timer is not None:
            timer.rules = set(rules)

    def tick(self, now: datetime) -> list[m.Command]:
        """Fire every tick that is due at `now`, by the misfire rule."""
        commands: list[m.Command] = []
        for key, timer in self.timers.items():
            next_due = timer.next_due()
            if not timer.rules or next_due is None or next_due > now:
                continue
            due = due_ticks(timer.schedule, timer.after(), now, self.grace, timer.misfire)
            timer.decided_until = now  # (a tick passed over by the misfire rule stays so)
            for tick_at in due:
                timer.last_fired = tick_at
                trigger_event_id = caused_id(tick_at, "timer", key)
                commands.append(
                    m.FireTrigger(
                        actor=ACTOR,
                        at=tick_at,
                        correlation_id=trigger_event_id,
                        trigger_event_id=trigger_event_id,
                        trigger=timer.trigger,
                        trigger_params=timer.params,
                        payload={"executed_at": tick_at.isoformat(), "schedule": timer.params},
                    )
                )
        return commands

    def next_due(self) -> datetime | None:
        """When the next tick falls due (for the host's sleep), or None if no timer runs."""
        dues = [due for t in self.timers.values() if t.rules and (due := t.next_due()) is not None]
        return min(dues) if dues else None
