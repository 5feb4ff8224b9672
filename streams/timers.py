"""The interval timer: fires `core.intervaltimer` trigger events on a fixed grid.

One timer exists per distinct set of trigger parameters (``unit``, ``delta``) that an
enabled rule listens to. Its ticks lie on a grid anchored at the first registration of
such a rule: ``anchor + k * delta``. A tick's trigger event id derives from the timer and
the tick time, so a tick fires once even when recomputed. After downtime the timer fires
the latest missed tick once (no burst of catch-up ticks), then continues on the grid.
State comes from the log (rule events and the timer's own fired events), so a restart
resumes where it stopped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from attune.commands import models as m
from attune.domain.events import AttuneEvent
from attune.domain.ids import caused_id
from attune.domain.trigger_event import TriggerEvent
from attune.streams.catalog import RuleIndex
from attune.streams.dispatch import EventDispatch

TRIGGER = "core.intervaltimer"
ACTOR = "timer"
_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


def timer_key(trigger_params: dict[str, Any]) -> str:
    return json.dumps(trigger_params, sort_keys=True)


def interval_of(trigger_params: dict[str, Any]) -> timedelta | None:
    """The interval the params describe, or None if they describe none."""
    unit = trigger_params.get("unit", "seconds")
    delta = trigger_params.get("delta")
    if unit not in _UNITS or isinstance(delta, bool) or not isinstance(delta, int | float):
        return None
    if delta <= 0:
        return None
    return timedelta(seconds=delta * _UNITS[unit])


@dataclass
class Timer:
    params: dict[str, Any]
    interval: timedelta
    anchor: datetime
    last_fired: datetime | None = None
    rules: set[str] = field(default_factory=set)

    def next_due(self) -> datetime:
        return (self.last_fired or self.anchor) + self.interval

    def latest_tick(self, now: datetime) -> datetime:
        """The latest grid point at or before `now`."""
        steps = (now - self.anchor) // self.interval
        return self.anchor + steps * self.interval


class IntervalTimer:
    name = "interval_timer"

    def __init__(self) -> None:
        self.rules = RuleIndex()
        self.timers: dict[str, Timer] = {}
        self._dispatch = EventDispatch[None](lambda: None).on(TriggerEvent.Fired, self._fired)

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        """Fold rule changes and this timer's own ticks into the timers; never emits."""
        if self.rules.observe(event):
            self._refresh(event.timestamp)
        else:
            self._dispatch(event, now)
        return []

    def _fired(self, fired: TriggerEvent.Fired, _now: datetime) -> None:
        if fired.trigger != TRIGGER:
            return
        timer = self.timers.get(timer_key(fired.trigger_params))
        if timer is not None and (timer.last_fired or timer.anchor) < fired.timestamp:
            timer.last_fired = fired.timestamp

    def _refresh(self, at: datetime) -> None:
        wanted: dict[str, set[str]] = {}
        for rule in self.rules.listening_to(TRIGGER):
            wanted.setdefault(timer_key(rule.trigger_params), set()).add(rule.ref)
        for key, rules in wanted.items():
            params = json.loads(key)
            interval = interval_of(params)
            if interval is None:
                continue  # the rule engine never matches it either; nothing to fire
            timer = self.timers.setdefault(key, Timer(params, interval, anchor=at))
            timer.rules = rules
        for key in set(self.timers) - set(wanted):
            self.timers[key].rules = set()

    def tick(self, now: datetime) -> list[m.Command]:
        """Fire every timer that is due at `now` (at most one tick per timer)."""
        commands: list[m.Command] = []
        for key, timer in self.timers.items():
            if not timer.rules or now < timer.next_due():
                continue
            tick_at = timer.latest_tick(now)
            timer.last_fired = tick_at
            trigger_event_id = caused_id(tick_at, "timer", key)
            commands.append(
                m.FireTrigger(
                    actor=ACTOR,
                    at=tick_at,
                    correlation_id=trigger_event_id,
                    trigger_event_id=trigger_event_id,
                    trigger=TRIGGER,
                    trigger_params=timer.params,
                    payload={"executed_at": tick_at.isoformat(), "schedule": timer.params},
                )
            )
        return commands

    def next_due(self) -> datetime | None:
        """When the next tick falls due (for the host's sleep), or None if no timer runs."""
        dues = [t.next_due() for t in self.timers.values() if t.rules]
        return min(dues) if dues else None
