"""Timer schedules: interval grids, cron (StackStorm's fields or a cron string, in a time
zone across summer time), dates, the misfire rule and the grace period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from attune.domain.schedules import (
    CRON_TIMER,
    DATE_TIMER,
    INTERVAL_TIMER,
    Schedule,
    ScheduleProblem,
    due_ticks,
    schedule_of,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def ticks(schedule: Schedule, after: datetime, count: int) -> list[str]:
    found: list[str] = []
    moment: datetime | None = after
    while moment is not None and len(found) < count:
        moment = schedule.next_after(moment)
        if moment is not None:
            found.append(moment.strftime("%Y-%m-%d %H:%M:%S"))
    return found


def cron(**params: Any) -> Schedule:
    return schedule_of(CRON_TIMER, params, T0)


def test_an_interval_ticks_on_its_grid_from_the_anchor() -> None:
    grid = schedule_of(INTERVAL_TIMER, {"unit": "minutes", "delta": 5}, utc("2026-01-01T00:00:07"))
    assert ticks(grid, T0, 2) == ["2026-01-01 00:05:07", "2026-01-01 00:10:07"]
    assert grid.latest_at_or_before(utc("2026-01-01T00:12:00")) == utc("2026-01-01T00:10:07")
    assert grid.latest_at_or_before(utc("2026-01-01T00:04:00")) is None  # before the first


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"hour": 3}, ["2026-01-01 03:00:00", "2026-01-02 03:00:00"]),  # minute, second: 0
        ({"minute": "*/20"}, ["2026-01-01 00:20:00", "2026-01-01 00:40:00"]),
        ({"second": "*/30", "minute": 1}, ["2026-01-01 00:01:00", "2026-01-01 00:01:30"]),
        ({"day_of_week": 0, "hour": 9}, ["2026-01-05 09:00:00", "2026-01-12 09:00:00"]),  # Mon
        ({"day_of_week": "sat-sun", "hour": 6}, ["2026-01-03 06:00:00", "2026-01-04 06:00:00"]),
        ({"year": 2027}, ["2027-01-01 00:00:00"]),  # then never again
        ({"month": 2, "day": 29, "year": "2026-2028"}, ["2028-02-29 00:00:00"]),
        ({"expression": "*/15 * * * *"}, ["2026-01-01 00:15:00", "2026-01-01 00:30:00"]),
        ({"expression": "30 */15 * * * *"}, ["2026-01-01 00:00:30", "2026-01-01 00:15:30"]),
        ({"expression": "0 9 * * 1"}, ["2026-01-05 09:00:00", "2026-01-12 09:00:00"]),  # cron: Mon
        (
            {"expression": "0 12 * * *", "timezone": "Asia/Tokyo"},
            ["2026-01-01 03:00:00", "2026-01-02 03:00:00"],
        ),
    ],
)
def test_cron_fields_and_strings_fire_as_stackstorm_and_cron_do(
    params: dict[str, Any], expected: list[str]
) -> None:
    assert ticks(cron(**params), T0, len(expected)) == expected


def test_a_cron_limited_to_years_ends() -> None:
    assert ticks(cron(year=2027), T0, 3) == ["2027-01-01 00:00:00"]


def test_across_summer_time_a_missing_local_time_is_skipped_and_a_repeated_one_fires_once() -> None:
    new_york = {"timezone": "America/New_York"}
    spring = cron(expression="30 2 * * *", **new_york)  # 2026-03-08 02:30 does not exist
    assert ticks(spring, utc("2026-03-07T00:00:00"), 2) == [
        "2026-03-07 07:30:00",  # 02:30 EST
        "2026-03-09 06:30:00",  # 02:30 EDT, the day after the gap
    ]
    autumn = cron(expression="30 1 * * *", **new_york)  # 2026-11-01 01:30 happens twice
    assert ticks(autumn, utc("2026-10-31T12:00:00"), 2) == [
        "2026-11-01 05:30:00",  # 01:30 EDT, the first time only
        "2026-11-02 06:30:00",  # 01:30 EST
    ]
    hourly = cron(minute=0, **new_york)
    assert len(ticks(hourly, utc("2026-11-01T04:30:00"), 3)) == 3  # 01:00 once, then 02:00 EST ...
    assert ticks(hourly, utc("2026-11-01T04:30:00"), 2) == [
        "2026-11-01 05:00:00",
        "2026-11-01 07:00:00",
    ]


def test_a_date_fires_once_in_its_zone() -> None:
    date = schedule_of(DATE_TIMER, {"date": "2026-12-24T18:00", "timezone": "Europe/Paris"}, T0)
    assert ticks(date, T0, 2) == ["2026-12-24 17:00:00"]
    assert date.latest_at_or_before(utc("2026-12-25T00:00:00")) == utc("2026-12-24T17:00:00")


@pytest.mark.parametrize(
    ("trigger", "params", "field", "message"),
    [
        (CRON_TIMER, {"hour": 25}, "hour", "'25' is not a valid cron value"),
        (CRON_TIMER, {"day_of_week": "funday"}, "day_of_week", "unknown day 'funday'"),
        (CRON_TIMER, {"day_of_week": 7}, "day_of_week", "7 is not a day"),
        (CRON_TIMER, {"timezone": "Mars/Olympus"}, "timezone", "unknown time zone"),
        (CRON_TIMER, {"expression": "* * *"}, "expression", "5 fields, or 6"),
        (CRON_TIMER, {"expression": "61 * * * *"}, "expression", "not a valid cron value"),
        (CRON_TIMER, {"expression": "* * * * *", "hour": 1}, "hour", "either an expression"),
        (CRON_TIMER, {"year": "soon"}, "year", "not a year"),
        (CRON_TIMER, {"misfire": "all"}, "misfire", "latest or skip"),
        (DATE_TIMER, {}, "date", "is required"),
        (DATE_TIMER, {"date": "tomorrow"}, "date", "not an ISO-8601 date-time"),
        (DATE_TIMER, {"date": "2025-06-01T00:00"}, "date", "has passed"),
        (INTERVAL_TIMER, {"unit": "fortnights", "delta": 1}, "unit", "unknown unit"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(
    trigger: str, params: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ScheduleProblem) as refused:
        schedule_of(trigger, params, T0, now=T0)
    assert refused.value.field == field and message in refused.value.message


EVERY_10S = schedule_of(INTERVAL_TIMER, {"delta": 10}, T0)


@pytest.mark.parametrize(
    ("down_for", "grace", "misfire", "fired"),
    [
        (35, 0, "latest", [30]),  # the latest missed tick, once
        (35, 0, "skip", []),
        (35, 60, "latest", [10, 20, 30]),  # missed by less than the grace: all of them
        (35, 12, "latest", [30]),  # 30 is within the grace; the older ones are not fired
        (35, 12, "skip", [30]),
        (5, 0, "latest", []),  # nothing was due
    ],
)
def test_the_ticks_due_after_a_pause_follow_the_misfire_rule_and_the_grace(
    down_for: int, grace: int, misfire: str, fired: list[int]
) -> None:
    now = T0 + timedelta(seconds=down_for)
    due = due_ticks(EVERY_10S, T0, now, timedelta(seconds=grace), misfire)
    assert due == [T0 + timedelta(seconds=s) for s in fired]


def test_a_tick_already_fired_is_not_due_again() -> None:
    last = T0 + timedelta(seconds=30)
    assert due_ticks(EVERY_10S, last, last + timedelta(seconds=5), timedelta(seconds=60)) == []
    per_second = cron(second="*")
    now = utc("2026-01-01T00:00:10")
    assert len(due_ticks(per_second, now - timedelta(seconds=4), now, timedelta(seconds=60))) == 4
