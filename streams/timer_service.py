"""The durable timer service: "at instant T, issue command C", once.

A timer is a key, a schedule of instants (one for a date, many for an interval or cron),
and the command to issue at each; the command's ids derive from the key and the instant,
so issuing it twice writes it once. Timers come from sources (`TimerSource`) that fold
domain events into timer changes: a source sets a timer when an event asks for one and
cancels it when an event ends its purpose. The events are in the store, so after a
restart the sources rebuild every timer from the log.

What has fired is the service's progress: per timer, the instant up to which every tick
was issued or passed over (`TimerProgress`). The embedded host keeps it in memory and
rebuilds it from the log (the fired events, `TimerFired`); the distributed host keeps it
in a table, written once the commands of a round are on the broker, so a new owner of a
timer's partition goes on from where the old one stopped.

Which ticks fire (`due_ticks`) depends on how long the host has been up (`Uptime`): a
tick that fell due while this host ran, or while another one owned the timer, fires
however late; a tick missed while the whole system was down falls under the timer's
misfire rule (the latest fires once, or none), except the ones within the grace period.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from attune.commands.models import Command
from attune.domain.events import AttuneEvent
from attune.domain.schedules import Schedule, due_ticks

# Ticks missed by at most this long all fire (a host that woke late, a short restart); a
# misfire rule is about downtime, not jitter.
DEFAULT_GRACE = timedelta(seconds=5)


@dataclass
class Timer:
    key: str  # the timer's identity: its partition and its commands' ids derive from it
    schedule: Schedule
    since: datetime  # when it was set: ticks up to then are not its own
    command: Callable[[datetime], Command]  # what to issue at a tick
    misfire: str = "latest"
    _due: datetime | None = field(default=None, repr=False)
    _due_after: datetime | None = field(default=None, repr=False)

    def next_due(self, after: datetime) -> datetime | None:
        """The first tick after `after` (remembered until `after` moves: the host asks
        before each sleep and the service before each round, and a cron step is not free)."""
        if self._due_after != after:
            self._due, self._due_after = self.schedule.next_after(after), after
        return self._due


@dataclass(frozen=True)
class SetTimer:
    timer: Timer


@dataclass(frozen=True)
class CancelTimer:
    key: str


@dataclass(frozen=True)
class TimerFired:
    """The log shows the timer's command of this tick was applied."""

    key: str
    at: datetime


TimerChange = SetTimer | CancelTimer | TimerFired


class TimerSource(Protocol):
    def observe(self, event: AttuneEvent) -> list[TimerChange]:
        """The timer changes a domain event brings."""


class TimerProgress(Protocol):
    def get(self, key: str) -> datetime | None:
        """The instant up to which the timer's ticks were decided, if any were."""

    def set(self, key: str, at: datetime) -> None: ...


class MemoryProgress:
    def __init__(self) -> None:
        self._decided: dict[str, datetime] = {}

    def get(self, key: str) -> datetime | None:
        return self._decided.get(key)

    def set(self, key: str, at: datetime) -> None:
        self._decided[key] = at


# The shortest pause between a host's rounds that counts as downtime (with a grace period
# of zero, a host's ordinary sleep between rounds would otherwise be one).
MIN_PAUSE = timedelta(seconds=2)


class Uptime:
    """Since when this host has ticked without a pause longer than the grace period (a
    suspended machine, a frozen process; at least `MIN_PAUSE`): such a pause is downtime."""

    def __init__(self, grace: timedelta) -> None:
        self.pause = max(grace, MIN_PAUSE)
        self.since: datetime | None = None
        self._last: datetime | None = None

    def beat(self, now: datetime) -> datetime:
        if self.since is None or self._last is None or now - self._last > self.pause:
            self.since = now
        self._last = now
        return self.since


def partition_of(key: str, partitions: int) -> int:
    """The partition of the timers topic that owns the timer (stable across processes)."""
    return zlib.crc32(key.encode()) % partitions


@dataclass
class Round:
    """What one tick of the service decided: the commands to issue, then (once they are
    written) the progress to record."""

    commands: list[Command]
    decided: dict[str, datetime]


class TimerService:
    name = "interval_timer"  # (its name in replays and logs, as before cron and dates)

    def __init__(
        self,
        sources: Iterable[TimerSource],
        grace: timedelta = DEFAULT_GRACE,
        progress: TimerProgress | None = None,
    ) -> None:
        self.sources = list(sources)
        self.grace = grace
        self.progress: TimerProgress = progress or MemoryProgress()
        self.timers: dict[str, Timer] = {}

    def handle(self, event: AttuneEvent, now: datetime) -> list[Command]:
        """Fold an event's timer changes into the timers; never emits."""
        for source in self.sources:
            for change in source.observe(event):
                self._apply(change)
        return []

    def _apply(self, change: TimerChange) -> None:
        if isinstance(change, SetTimer):
            self.timers[change.timer.key] = change.timer
        elif isinstance(change, CancelTimer):
            self.timers.pop(change.key, None)
        else:
            decided = self.progress.get(change.key)
            if decided is None or decided < change.at:
                self.progress.set(change.key, change.at)

    def _after(self, timer: Timer) -> datetime:
        decided = self.progress.get(timer.key)
        return timer.since if decided is None else max(timer.since, decided)

    def tick(
        self,
        now: datetime,
        up_since: datetime | None = None,
        owns: Callable[[str], bool] | None = None,
    ) -> Round:
        """The commands of every tick due at `now` of the timers this host owns (all by
        default), by the misfire rule for the ticks that fell due before `up_since`."""
        round_ = Round([], {})
        for key, timer in self.timers.items():
            after = self._after(timer)
            next_due = timer.next_due(after)
            if next_due is None or next_due > now or (owns is not None and not owns(key)):
                continue
            due = due_ticks(timer.schedule, after, now, self.grace, timer.misfire, up_since)
            round_.commands.extend(timer.command(tick_at) for tick_at in due)
            # (a tick passed over by the misfire rule stays so)
            round_.decided[key] = now
        return round_

    def record(self, round_: Round) -> None:
        """Remember a round's decisions, once its commands are written."""
        for key, at in round_.decided.items():
            self.progress.set(key, at)

    def due(self, now: datetime) -> list[str]:
        """The keys of the timers with a tick due at `now`."""
        return [
            key
            for key, timer in self.timers.items()
            if (due := timer.next_due(self._after(timer))) is not None and due <= now
        ]

    def next_due(self) -> datetime | None:
        """When the next tick falls due (for the host's sleep), or None if no timer runs."""
        dues = [
            due for t in self.timers.values() if (due := t.next_due(self._after(t))) is not None
        ]
        return min(dues) if dues else None
