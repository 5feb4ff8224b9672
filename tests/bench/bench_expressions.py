"""Expression benchmark: `python tests/bench/bench_expressions.py` prints one JSON line.

Evaluations per second of compiled typical expressions, each next to the same computation
written as a Python lambda, measured in the same run on the same scope:
  (a) a comparison chain, the shape of a rule's criteria;
  (b) function calls and concatenation;
  (c) a dotted path lookup;
  (d) a type-preserving template (``"{{ trigger.count }}"`` renders to the integer).
Each is timed alternately with its lambda, five rounds of about 0.2 s each, and the best
round of each kept (the least disturbed by other processes); the JSON gives both rates
and their ratio (how many times slower the expression is). Targets: (a) at least 200,000
evaluations/s, and every ratio within 20.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attune.domain.expressions import compile_expression, compile_template  # noqa: E402

ROUNDS = 5
ROUND_SECONDS = 0.2

SCOPE: dict[str, Any] = {
    "trigger": {
        "count": 5,
        "level": "low",
        "host": "b",
        "port": 8080,
        "a": {"b": {"c": 42}},
    }
}


def cases() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any], Any]]]:
    chain = compile_expression(
        'trigger.count > 3 and trigger.level == "high" or trigger.host in ["a", "b"]'
    )
    calls = compile_expression('upper(trigger.host) + ":" + string(trigger.port + 1)')
    path = compile_expression("trigger.a.b.c")
    template = compile_template("{{ trigger.count }}")
    return {
        "comparison_chain": (
            chain.evaluate,
            lambda s: (
                s["trigger"]["count"] > 3
                and s["trigger"]["level"] == "high"
                or s["trigger"]["host"] in ["a", "b"]
            ),
        ),
        "function_calls": (
            calls.evaluate,
            lambda s: s["trigger"]["host"].upper() + ":" + str(s["trigger"]["port"] + 1),
        ),
        "path_lookup": (path.evaluate, lambda s: s["trigger"]["a"]["b"]["c"]),
        "whole_template": (template.render, lambda s: s["trigger"]["count"]),
    }


def rate(function: Callable[[Any], Any], scope: Any) -> float:
    """Calls per second over about `ROUND_SECONDS`."""
    batch = 1_000
    calls, started = 0, time.perf_counter()
    while True:
        for _ in range(batch):
            function(scope)
        calls += batch
        elapsed = time.perf_counter() - started
        if elapsed >= ROUND_SECONDS:
            return calls / elapsed


def main() -> None:
    figures: dict[str, Any] = {}
    for name, (expression, baseline) in cases().items():
        assert expression(SCOPE) == baseline(SCOPE), name
        compiled, python = 0.0, 0.0
        for _ in range(ROUNDS):  # alternately, so both see the same machine
            compiled = max(compiled, rate(expression, SCOPE))
            python = max(python, rate(baseline, SCOPE))
        figures[name] = {
            "evaluations_per_s": round(compiled),
            "python_lambda_per_s": round(python),
            "ratio": round(python / compiled, 1),
        }
    figures["targets_met"] = figures["comparison_chain"]["evaluations_per_s"] >= 200_000 and all(
        f["ratio"] <= 20 for f in figures.values() if isinstance(f, dict)
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
