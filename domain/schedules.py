"""When timers fire: the schedules of `core.intervaltimer`, `core.crontimer` and
`core.datetimer`, and which ticks are due after a pause (the misfire rule).

A schedule answers, for an instant, the next tick after it and the latest tick at or before
it; ticks are UTC instants. Nothing here reads the clock: the timer host gives `now`.

- Interval: ``anchor + k * interval`` for k >= 1 (the anchor: when the timer began).
- Cron: StackStorm's fields (``second, minute, hour, day, month, day_of_week, year``; a
  field left out is ``*`` above the least significant one given and its minimum below it,
  as APScheduler's ``CronTrigger``; ``day_of_week`` 0 is Monday, or ``mon``..``sun``), or
  one cron string (``expression``: 5 fields, or 6 with the seconds first; ``day of week`` 0
  is Sunday, as in cron), in a ``timezone`` (default UTC). Wall-clock times: one that does
  not exist (the hour skipped when summer time starts) is skipped, one that happens twice
  (when it ends) fires once, the first time.
- Date: one instant (``date``, in ``timezone`` if it names none), fired once.

`due_ticks` applies the misfire rule: ticks that fell due while the host was up, or
missed by at most the grace period, are all fired; of older ones, ``misfire: latest``
(the default) fires the latest once, unless a more recent tick fires anyway, and
``misfire: skip`` fires none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

INTERVAL_TIMER = "core.intervaltimer"
CRON_TIMER = "core.crontimer"
DATE_TIMER = "core.datetimer"
TIMER_TRIGGERS = (INTERVAL_TIMER, CRON_TIMER, DATE_TIMER)
MISFIRE_RULES = ("latest", "skip")

_UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}
# Most significant first, as APScheduler assigns defaults; `year` is checked apart.
_CRON_FIELDS = ("month", "day", "day_of_week", "hour", "minute", "second")
_MINIMUM = {"month": "1", "day": "1", "day_of_week": "*", "hour": "0", "minute": "0", "second": "0"}
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # StackStorm's 0..6
_YEAR_PART = re.compile(r"(\d{4})(?:-(\d{4}))?")
_SEARCH_LIMIT = 100_000  # candidate wall-clock times looked at for one answer


class ScheduleProblem(ValueError):
    """Timer parameters that describe no schedule: the field and what is wrong."""

    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message
        super().__init__(f"{field}: {message}")


class Schedule(Protocol):
    def next_after(self, moment: datetime) -> datetime | None:
        """The first tick strictly after `moment`; None if there is none."""

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        """The last tick at or before `moment`; None if there is none."""


@dataclass(frozen=True)
class IntervalSchedule:
    anchor: datetime
    interval: timedelta

    def next_after(self, moment: datetime) -> datetime:
        steps = max((moment - self.anchor) // self.interval + 1, 1)
        return self.anchor + steps * self.interval

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        steps = (moment - self.anchor) // self.interval
        return self.anchor + steps * self.interval if steps >= 1 else None


@dataclass(frozen=True)
class DateSchedule:
    at: datetime

    def next_after(self, moment: datetime) -> datetime | None:
        return self.at if self.at > moment else None

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        return self.at if self.at <= moment else None


@dataclass(frozen=True)
class CronSchedule:
    expression: str  # croniter's order: minute hour day month day_of_week second
    zone: ZoneInfo
    years: frozenset[int] | None = None  # None: every year
    # The expression parsed once (parsing costs seven times a step): set to each start.
    _walls: croniter = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_walls", croniter(self.expression))

    def _from(self, wall: datetime) -> croniter:
        self._walls.set_current(wall, force=True)
        return self._walls

    def _instant(self, wall: datetime) -> datetime | None:
        """The UTC instant of a wall-clock time in the zone; None if it does not exist or
        its year is not one of the schedule's."""
        if self.years is not None and wall.year not in self.years:
            return None
        instant = wall.replace(tzinfo=self.zone).astimezone(UTC)  # fold=0: the first time
        if instant.astimezone(self.zone).replace(tzinfo=None) != wall:
            return None  # skipped by a change to summer time
        return instant

    def _past_the_years(self, wall: datetime, forward: bool) -> bool:
        if self.years is None:
            return False
        return wall.year > max(self.years) if forward else wall.year < min(self.years)

    def next_after(self, moment: datetime) -> datetime | None:
        walls = self._from(moment.astimezone(self.zone).replace(tzinfo=None))
        for _ in range(_SEARCH_LIMIT):
            candidate = walls.get_next(datetime)
            if self._past_the_years(candidate, forward=True):
                return None
            instant = self._instant(candidate)
            if instant is not None and instant > moment:
                return instant
        return None

    def latest_at_or_before(self, moment: datetime) -> datetime | None:
        wall = moment.astimezone(self.zone).replace(tzinfo=None) + timedelta(seconds=1)
        walls = self._from(wall)
        for _ in range(_SEARCH_LIMIT):
            candidate = walls.get_prev(datetime)
            if self._past_the_years(candidate, forward=False):
                return None
            instant = self._instant(candidate)
            if instant is not None and instant <= moment:
                return instant
        return None


def _zone(params: dict[str, Any]) -> ZoneInfo:
    name = params.get("timezone", "UTC")
    if not isinstance(name, str):
        raise ScheduleProblem("timezone", f"must be a time zone name, not {name!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleProblem("timezone", f"unknown time zone '{name}'") from None


def _weekdays(value: str) -> str:
    """StackStorm's day_of_week (0 is Monday, or names) in cron's words."""

    def named(part: str) -> str:
        if part.isdigit():
            if int(part) > 6:
                raise ScheduleProblem("day_of_week", f"{part} is not a day (0 is Monday, 6 Sunday)")
            return _WEEKDAYS[int(part)]
        if part != "*" and part.lower() not in _WEEKDAYS:
            raise ScheduleProblem("day_of_week", f"unknown day '{part}' (mon, tue, ... sun)")
        return part.lower()

    translated = []
    for item in value.split(","):
        span, slash, step = item.partition("/")
        days = "-".join(named(part.strip()) for part in span.split("-"))
        translated.append(f"{days}{slash}{step}")
    return ",".join(translated)


def _years(value: Any) -> frozenset[int] | None:
    text = str(value).strip()
    if text == "*":
        return None
    years: set[int] = set()
    for part in text.split(","):
        found = _YEAR_PART.fullmatch(part.strip())
        if found is None:
            raise ScheduleProblem("year", f"'{part}' is not a year or a range of years (2027-2029)")
        first = int(found.group(1))
        years.update(range(first, int(found.group(2) or first) + 1))
    if not years:
        raise ScheduleProblem("year", f"'{text}' holds no year")
    return frozenset(years)


def _checked(expression: str, field: str, value: str) -> str:
    if not croniter.is_valid(expression):
        raise ScheduleProblem(field, f"'{value}' is not a valid cron value (or out of range)")
    return expression


def _cron(params: dict[str, Any]) -> CronSchedule:
    zone = _zone(params)
    if "expression" in params:
        given = [name for name in (*_CRON_FIELDS, "year") if name in params]
        if given:
            raise ScheduleProblem(given[0], "give either an expression or the fields, not both")
        text = params["expression"]
        parts = text.split() if isinstance(text, str) else []
        if len(parts) not in (5, 6):
            message = "must be a cron string of 5 fields, or 6 with the seconds first"
            raise ScheduleProblem("expression", message)
        if len(parts) == 6:
            parts = parts[1:] + parts[:1]  # croniter wants the seconds last
        return CronSchedule(_checked(" ".join(parts), "expression", text), zone)
    values: dict[str, str] = {}
    remaining = {name for name in _CRON_FIELDS if name in params}
    anything = bool(remaining) or "year" in params
    for name in _CRON_FIELDS:  # APScheduler's defaults (`year` is the most significant)
        if name in params:
            remaining.discard(name)
            values[name] = str(params[name]).strip()
        else:
            values[name] = "*" if remaining or not anything else _MINIMUM[name]
    values["day_of_week"] = _weekdays(values["day_of_week"])
    for name in _CRON_FIELDS:  # each on its own, so a bad one is named
        alone = {n: "*" for n in _CRON_FIELDS} | {name: values[name]}
        _checked(_order(alone), name, values[name])
    years = _years(params["year"]) if "year" in params else None
    return CronSchedule(_order(values), zone, years)


def _order(values: dict[str, str]) -> str:
    fields = ("minute", "hour", "day", "month", "day_of_week", "second")
    return " ".join(values[name] for name in fields)


def _date(params: dict[str, Any], now: datetime | None) -> DateSchedule:
    zone = _zone(params)
    text = params.get("date")
    if not isinstance(text, str):
        raise ScheduleProblem("date", "is required: an ISO-8601 date-time (2026-12-24T18:00)")
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ScheduleProblem("date", f"'{text}' is not an ISO-8601 date-time") from None
    instant = (at if at.tzinfo else at.replace(tzinfo=zone)).astimezone(UTC)
    if now is not None and instant <= now:
        raise ScheduleProblem("date", f"{instant.isoformat()} has passed")
    return DateSchedule(instant)


def _interval(params: dict[str, Any], anchor: datetime) -> IntervalSchedule:
    unit, delta = params.get("unit", "seconds"), params.get("delta")
    if unit not in _UNITS:
        raise ScheduleProblem("unit", f"unknown unit '{unit}' (seconds, minutes, hours, days)")
    if isinstance(delta, bool) or not isinstance(delta, int | float) or delta <= 0:
        raise ScheduleProblem("delta", "must be a positive number")
    return IntervalSchedule(anchor, timedelta(seconds=delta * _UNITS[unit]))


def schedule_of(
    trigger: str, params: dict[str, Any], anchor: datetime, now: datetime | None = None
) -> Schedule:
    """The schedule the timer parameters describe (an interval's grid starts at `anchor`;
    a date must lie after `now` when it is given, as at registration), or
    `ScheduleProblem` naming the field."""
    misfire = params.get("misfire", "latest")
    if misfire not in MISFIRE_RULES:
        raise ScheduleProblem("misfire", f"must be latest or skip, not {misfire!r}")
    if trigger == INTERVAL_TIMER:
        return _interval(params, anchor)
    if trigger == CRON_TIMER:
        return _cron(params)
    if trigger == DATE_TIMER:
        return _date(params, now)
    raise ValueError(f"{trigger} is not a timer")


def due_ticks(
    schedule: Schedule,
    after: datetime,
    now: datetime,
    grace: timedelta,
    misfire: str = "latest",
    up_since: datetime | None = None,
) -> list[datetime]:
    """The ticks to fire at `now` of those in (`after`, `now`], oldest first: every one
    that fell due while the host was up (since `up_since`; just now if not given) or at
    most `grace` before, and of the older ones the latest if `misfire` is ``latest`` and
    no more recent one fires."""
    start = now if up_since is None else min(now, up_since)
    boundary = start - grace - timedelta(microseconds=1)
    recent: list[datetime] = []
    tick = schedule.next_after(max(after, boundary))
    while tick is not None and tick <= now:
        recent.append(tick)
        tick = schedule.next_after(tick)
    if recent or misfire == "skip":
        return recent
    older = schedule.latest_at_or_before(boundary)
    return [older] if older is not None and older > after else []
