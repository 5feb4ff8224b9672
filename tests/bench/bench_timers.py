"""Timer benchmark: `python tests/bench/bench_timers.py` prints one JSON line.

It schedules 10,000 timers in one `TimerService` with the trigger timers (in process, no
store): 5,000 interval timers firing about every second (each its own `delta`, 1 s plus a
fraction of a microsecond) and 5,000 cron timers firing every second (each its own fields:
`*` with a redundant element), by registering one rule listening to each. It reports the
memory the processor holds for them (tracemalloc: its rules and timers), then the ticks per
second it fires: the clock advances a second at a time and every tick falls due. The
baseline, in the same run: building the same number of `FireTrigger` commands directly (what
each tick must produce at least). Target: 10,000 timers in at most 50 MB.
"""

from __future__ import annotations

import gc
import json
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attune.commands import models as m  # noqa: E402
from attune.domain.events import AttuneEvent  # noqa: E402
from attune.domain.ids import caused_id  # noqa: E402
from attune.streams.timer_service import TimerService  # noqa: E402
from attune.streams.timers import TriggerTimers  # noqa: E402
from tests.streams.events import T0, at, rule_registered  # noqa: E402

TIMERS = 10_000
ROUNDS = 5
TARGET_MB = 50


def rules() -> list[AttuneEvent]:
    events = []
    for n in range(TIMERS // 2):
        interval = {"unit": "seconds", "delta": 1 + n * 1e-7}
        events.append(
            rule_registered(
                f"bench.every_{n}", when=T0, trigger="core.intervaltimer", trigger_params=interval
            )
        )
        # every second, written 5,000 ways (a redundant element in the fields)
        cron = {"second": f"*,{n % 60}", "minute": f"*,{n // 60 % 60}", "hour": f"*,{n // 3600}"}
        events.append(
            rule_registered(
                f"bench.cron_{n}", when=T0, trigger="core.crontimer", trigger_params=cron
            )
        )
    return events


def main() -> None:
    registrations = rules()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    timers = TimerService([TriggerTimers()], grace=timedelta(seconds=2))
    for event in registrations:
        timers.handle(event, at(0))
    gc.collect()
    held = sum(s.size_diff for s in tracemalloc.take_snapshot().compare_to(before, "filename"))
    tracemalloc.stop()
    assert len(timers.timers) == TIMERS, len(timers.timers)

    fired, started = 0, time.perf_counter()
    for second in range(1, ROUNDS + 1):
        due = timers.tick(at(second + 0.5), up_since=at(0))
        timers.record(due)
        fired += len(due.commands)
    ticking = time.perf_counter() - started
    assert fired >= TIMERS * ROUNDS * 0.9, fired

    started = time.perf_counter()
    for second in range(ROUNDS * TIMERS):
        tick_at = at(second % 60)
        event_id = caused_id(tick_at, "timer", str(second))
        m.FireTrigger(
            actor="timer",
            at=tick_at,
            correlation_id=event_id,
            trigger_event_id=event_id,
            trigger="core.crontimer",
            trigger_params={},
            payload={"executed_at": tick_at.isoformat(), "schedule": {}},
        )
    building = time.perf_counter() - started
    megabytes = held / 1e6
    print(
        json.dumps(
            {
                "timers": len(timers.timers),
                "memory_mb": round(megabytes, 1),
                "ticks_per_s": round(fired / ticking),
                "commands_only_per_s": round(ROUNDS * TIMERS / building),
                "ratio_to_commands_only": round(
                    (fired / ticking) / (ROUNDS * TIMERS / building), 2
                ),
                "target_mb": TARGET_MB,
                "target_met": megabytes <= TARGET_MB,
            }
        )
    )


if __name__ == "__main__":
    main()
