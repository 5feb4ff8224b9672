"""Cron and date timers in a real `attune up`: a per-second cron rule runs on every second,
each tick once; a date rule runs once at its time. (The distributed processes run the cron
rule in `test_distributed.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.system.harness import CRON_RULE, cron_ticks_run, wait_until, write_pack

pytestmark = pytest.mark.slow


def test_cron_and_date_timers_fire_their_rules(attune_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    at = (datetime.now(UTC) + timedelta(seconds=6)).replace(microsecond=0)
    date_rule = f"""\
    name: once
    trigger: core.datetimer
    trigger_params: {{date: "{at.isoformat()}"}}
    action: core.echo
    action_params:
      message: "once at {{{{ trigger.executed_at }}}}"
    """
    write_pack(
        tmp_path / "run" / "packs",
        "ops",
        {"rules/every_second.yaml": CRON_RULE, "rules/once.yaml": date_rule},
    )
    attune = attune_up("--no-examples")
    with attune.client() as api:
        ticks = cron_ticks_run(api, "ops.every_second", 4)
        assert ticks[-1] - ticks[0] == timedelta(seconds=len(ticks) - 1)  # none missing

        def once() -> list[dict[str, Any]]:
            page = api.get("/api/v1/executions", params={"status": "succeeded"}).json()
            return [e for e in page["items"] if e["rule"] == "ops.once"]

        [run] = wait_until(once, timeout=30)
        assert run["result"]["stdout"] == f"once at {at.isoformat()}"
