"""The timer triggers on the timer service: fire `core.intervaltimer`, `core.crontimer` and
`core.datetimer` trigger events on their schedules (`attune.domain.schedules`).

One timer exists per timer trigger type and distinct set of trigger parameters that an
enabled rule listens to; the last such rule disabled or gone cancels it. An interval's ticks
lie on a grid anchored at the first registration of such a rule (``anchor + k * delta``); a
cron timer's and a date timer's ticks are those of their schedule after the timer began
(again: a rule enabled again does not fire for the time it was off). A tick's trigger event
id derives from the timer and the tick time, so a tick fires once even when recomputed.
After downtime the misfire rule applies (`attune.streams.timer_service`): ticks missed by at
most the grace period (the setting `timer_grace_seconds`) all fire; of older ones the latest
fires once (``misfire: latest``, the default) or none (``misfire: skip``). The timers come
from the log's rule events and their progress from their own fired events, so a restart
resumes where it stopped.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Any

from attune.commands import models as m
from attune.domain.configuration import Rule
from attune.domain.events import AttuneEvent
from attune.domain.ids import caused_id
from attune.domain.schedules import (
    INTERVAL_TIMER,
    TIMER_TRIGGERS,
    ScheduleProblem,
    schedule_of,
)
from attune.domain.trigger_event import TriggerEvent
from attune.streams.catalog import RuleIndex
from attune.streams.timer_service import CancelTimer, SetTimer, Timer, TimerChange, TimerFired

ACTOR = "timer"


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


class TriggerTimers:
    """The timer source of the timer triggers: sets a timer when the first enabled rule
    listens to its parameters and cancels it when the last one goes."""

    def __init__(self) -> None:
        self.rules = RuleIndex()
        self._listeners: dict[str, set[str]] = {}  # timer key -> enabled rules listening
        # A timer set again keeps its first anchor: an interval's grid does not move.
        self._anchors: dict[str, datetime] = {}
        self._since: dict[str, datetime] = {}  # when each running timer began this time

    def observe(self, event: AttuneEvent) -> list[TimerChange]:
        if isinstance(event, TriggerEvent.Fired):
            if event.trigger not in TIMER_TRIGGERS:
                return []
            return [TimerFired(timer_key(event.trigger, event.trigger_params), event.timestamp)]
        ref = _rule_ref(event)
        if ref is None:
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
        changes = {}  # (one change per timer, when the rule stays on the same one)
        for rule in timed:
            key = timer_key(rule.trigger, rule.trigger_params)
            changes[key] = self._change(key, rule.trigger, rule.trigger_params, event.timestamp)
        return [change for change in changes.values() if change is not None]

    def _change(
        self, key: str, trigger: str, params: dict[str, Any], at: datetime
    ) -> TimerChange | None:
        if not self._listeners[key]:
            self._since.pop(key, None)
            return CancelTimer(key)
        anchor = self._anchors.setdefault(key, at)
        # (a timer enabled again does not fire for the time its rules were off)
        since = self._since.setdefault(key, at)
        try:
            schedule = schedule_of(trigger, params, anchor=anchor)
        except ScheduleProblem:
            return None  # (refused at registration; an older log may hold one)
        misfire = str(params.get("misfire", "latest"))
        return SetTimer(Timer(key, schedule, since, partial(_fire, trigger, params, key), misfire))


def _fire(trigger: str, params: dict[str, Any], key: str, tick_at: datetime) -> m.Command:
    trigger_event_id = caused_id(tick_at, "timer", key)
    return m.FireTrigger(
        actor=ACTOR,
        at=tick_at,
        correlation_id=trigger_event_id,
        trigger_event_id=trigger_event_id,
        trigger=trigger,
        trigger_params=params,
        payload={"executed_at": tick_at.isoformat(), "schedule": params},
    )
