"""Rule parameters in the expression language, in a real `attune up`: a rule that computes
its action's parameter runs the action with the value, and a rule whose parameter does not
parse is refused when its pack loads, naming file, line, parameter and position; what-if
over the ticks a time-dependent rule saw reports exactly what it enforced. (The
distributed processes run the same rules in `test_distributed.py`.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.system.harness import (
    TEMPLATED_RULE,
    TIMED_RULE,
    assert_what_if_agrees_with_the_live_engine,
    wait_until,
    write_pack,
)

pytestmark = pytest.mark.slow


def test_computed_parameters_reach_the_action_what_if_agrees_and_a_broken_one_is_refused(
    attune_up,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    started = datetime.now(UTC).isoformat()
    write_pack(
        tmp_path / "run" / "packs",
        "ops",
        {
            "rules/templated.yaml": TEMPLATED_RULE,
            "rules/timed.yaml": TIMED_RULE,
            "rules/broken.yaml": """\
            name: broken
            trigger: core.intervaltimer
            trigger_params: {unit: seconds, delta: 1}
            action: core.echo
            action_params:
              message: "{{ lenght(trigger.schedule) }}"
            """,
        },
    )
    attune = attune_up("--no-examples")
    with attune.client() as api:

        def echoed() -> list[dict[str, Any]]:
            page = api.get("/api/v1/executions", params={"status": "succeeded"}).json()
            return [e for e in page["items"] if e["rule"] == "ops.templated"]

        [run, *_] = wait_until(echoed, timeout=30)
        assert run["parameters"] == {"message": "SECONDS:2"}
        assert run["result"]["stdout"] == "SECONDS:2"
        rules = [r["ref"] for r in api.get("/api/v1/rules").json()["items"]]
        assert "ops.broken" not in rules and "ops.templated" in rules
        assert_what_if_agrees_with_the_live_engine(api, "ops.timed", since=started)

    problem = "packs/ops/rules/broken.yaml:6: field 'action_params.message': "
    assert problem in attune.log()
    assert "unknown function 'lenght' at 1:4 — did you mean 'length'?" in attune.log()
