"""Safe rule registration in a real `attune up`: rules that do not fit are refused at start
with file and line while the pack's good rule fires; a rule whose file is deleted no longer
fires after a restart, and its history says it was unregistered, while a rule created
through the API survives the restart. (The distributed processes register packs through
the same code: `test_distributed.py` checks a refusal.)"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from attune.domain.configuration import Rule
from tests.system.harness import wait_until, write_pack

pytestmark = pytest.mark.slow

RULES = {
    "rules/unknown_action.yaml": """\
    trigger: core.intervaltimer
    trigger_params: {delta: 1}
    action: ops.nosuch
    """,
    "rules/unknown_trigger.yaml": """\
    trigger: core.sundial
    action: core.echo
    action_params: {message: never}
    """,
    "rules/bad_params.yaml": """\
    trigger: core.intervaltimer
    action: core.echo
    action_params: {message: never}
    trigger_params:
      delta: 1
      unit: fortnights
    """,
    "rules/good.yaml": """\
    trigger: core.intervaltimer
    trigger_params: {delta: 1}
    action: core.echo
    action_params: {message: "good {{ rule.ref }}"}
    """,
}

API_RULE = {
    "trigger": "core.intervaltimer",
    "trigger_params": {"delta": 3600},
    "action": "core.echo",
    "action_params": {"message": "made through the API"},
}


def test_bad_rules_are_refused_with_their_lines_and_a_deleted_rule_stops_firing(
    attune_up,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    packs = tmp_path / "run" / "packs"
    write_pack(packs, "ops", RULES)
    attune = attune_up("--no-examples")
    with attune.client() as api:

        def good_runs() -> list[dict[str, Any]]:
            page = api.get("/api/v1/executions", params={"limit": 500}).json()
            return [e for e in page["items"] if e["rule"] == "ops.good"]

        [run, *_] = wait_until(good_runs, timeout=30)
        assert run["parameters"] == {"message": "good ops.good"}
        rules = [r["ref"] for r in api.get("/api/v1/rules").json()["items"]]
        assert rules == ["ops.good"]
        made = api.post("/api/v1/rules", json={**API_RULE, "ref": "ops.api_made"})
        assert made.status_code == 201, made.text
    log = attune.log()
    for problem in (
        "packs/ops/rules/unknown_action.yaml:3: field 'action': unknown action 'ops.nosuch'",
        "packs/ops/rules/unknown_trigger.yaml:1: field 'trigger': unknown trigger type "
        "'core.sundial'",
        "packs/ops/rules/bad_params.yaml:6: field 'trigger_params.unit': must be one of",
    ):
        assert problem in log

    attune.stop()
    (packs / "ops" / "rules" / "good.yaml").unlink()
    attune = attune_up("--no-examples")
    restarted = datetime.now(UTC)
    with attune.client() as api:
        # the pack's files changed; the rule made through the API is no pack file's
        rules = [r["ref"] for r in api.get("/api/v1/rules").json()["items"]]
        assert rules == ["ops.api_made"]
        history = wait_until(
            lambda: api.get(
                "/api/v1/audit", params={"aggregate_id": str(Rule.id_for("ops.good"))}
            ).json()["items"],
            timeout=10,
        )
        assert "rule.unregistered" in [entry["event"] for entry in history]
        time.sleep(3)  # three firings of its timer, were it still registered
        since = [r for r in good_runs() if datetime.fromisoformat(r["created_at"]) > restarted]
        assert since == []
