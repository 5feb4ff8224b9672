"""Rule engine benchmark: `python tests/bench/bench_rules.py` prints one JSON line.

Trigger events per second through `RuleEngine.handle` (in process, no store), after an
action and N enabled rules on one trigger type are registered, for N = 10, 100 and 1,000.
The rules are a fixed mix: 60 % test `trigger.service` for equality with one of 50
values, 40 % test a regular expression (`trigger.host`), a substring (`trigger.message`)
or a comparison (`trigger.count`). The 200 events are built so that about 1 % of the
(event, rule) pairs match (at most 2 %: checked, and reported as `match_fraction`); each
match renders its rule's parameters and validates them against the action's schema.

The baseline, measured in the same run on the same rules and events: the engine
evaluating every rule on the trigger type alone for every event (`EveryRule`: its
`RuleIndex.matching` asks `matches` of each rule of `listening_to`, as before the index
and the compiled criteria). Both engines are checked to give the same commands for every
event. Each is timed alternately, five rounds of about 0.3 s, the best round kept.
Targets: at least 20,000 events/s with 100 rules and 4,000 with 1,000 rules.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attune.commands import models as m  # noqa: E402
from attune.domain.configuration import Rule  # noqa: E402
from attune.domain.definitions import RuleDefinition  # noqa: E402
from attune.domain.events import AttuneEvent  # noqa: E402
from attune.streams.catalog import RuleIndex  # noqa: E402
from attune.streams.rule_engine import RuleEngine  # noqa: E402
from tests.streams.events import CAUSE, action_registered, at, fired, pending_events  # noqa: E402
from tests.streams.test_rule_index import EveryRule  # noqa: E402

SIZES = (10, 100, 1_000)
EVENTS = 200
ROUNDS = 5
ROUND_SECONDS = 0.3
TRIGGER = "monitoring.alert"
TARGETS = {100: 20_000, 1_000: 4_000}  # events/s


def criteria(number: int) -> dict[str, Any]:
    """Rule `number`'s criteria: 6 in 10 an equality, the others a regex, contains or gt."""
    kind = number % 10
    if kind < 6:
        return {"trigger.service": {"type": "equals", "pattern": f"svc-{number % 50}"}}
    if kind < 8:
        return {"trigger.host": {"type": "regex", "pattern": rf"^host-{number % 100}\."}}
    if kind < 9:
        return {"trigger.message": {"type": "contains", "pattern": f"code={number % 100};"}}
    return {"trigger.count": {"type": "gt", "pattern": 98}}


def rule_events(size: int) -> list[AttuneEvent]:
    events = []
    for number in range(size):
        definition = RuleDefinition(
            ref=f"bench.rule_{number:04d}",
            pack="bench",
            name=f"rule_{number:04d}",
            trigger=TRIGGER,
            criteria=criteria(number),
            action="core.echo",
            action_params={"message": "{{ trigger.host }}: {{ trigger.service }} is down"},
        )
        events.extend(pending_events(Rule.register(definition, CAUSE)))
    return events


def trigger_events() -> list[AttuneEvent]:
    return [
        fired(
            {
                "service": f"svc-{i % 100}",  # half of them one of the rules' 50 values
                "host": f"host-{i % 200}.example.com",
                "message": f"GET /api code={i % 200}; 12 ms",
                "count": i % 100,
            },
            trigger=TRIGGER,
            seconds=i,
        )
        for i in range(EVENTS)
    ]


def engine(size: int, index: RuleIndex) -> RuleEngine:
    built = RuleEngine()
    built.rules = index
    for event in [action_registered("core.echo"), *rule_events(size)]:
        assert built.handle(event, at(0)) == []
    return built


def rate(built: RuleEngine, events: list[AttuneEvent]) -> float:
    """Events per second over about `ROUND_SECONDS`."""
    handle, now = built.handle, at(1_000)
    handled, started = 0, time.perf_counter()
    while True:
        for event in events:
            handle(event, now)
        handled += len(events)
        elapsed = time.perf_counter() - started
        if elapsed >= ROUND_SECONDS:
            return handled / elapsed


def main() -> None:
    events = trigger_events()
    figures: dict[str, Any] = {}
    for size in SIZES:
        indexed, every_rule = engine(size, RuleIndex()), engine(size, EveryRule())
        created = 0
        for event in events:  # the index changes nothing but the speed
            commands = indexed.handle(event, at(1_000))
            assert commands == every_rule.handle(event, at(1_000)), event
            created += sum(isinstance(command, m.CreateEnforcement) for command in commands)
        match_fraction = created / (len(events) * size)
        assert 0 < match_fraction <= 0.02, match_fraction
        best, baseline = 0.0, 0.0
        for _ in range(ROUNDS):  # alternately, so both see the same machine
            best = max(best, rate(indexed, events))
            baseline = max(baseline, rate(every_rule, events))
        figures[f"rules_{size}"] = {
            "events_per_s": round(best),
            "every_rule_events_per_s": round(baseline),
            "speedup": round(best / baseline, 1),
            "match_fraction": round(match_fraction, 4),
        }
    figures["targets_met"] = all(
        figures[f"rules_{size}"]["events_per_s"] >= target for size, target in TARGETS.items()
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
