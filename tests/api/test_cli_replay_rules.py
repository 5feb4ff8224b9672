"""`attune replay rules` against the real API (in process): batches, table and JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click
import pytest
from api_harness import at
from click.testing import CliRunner, Result

from attune.infra.cli.replay_rules import replay_rules, time_of
from attune.infra.settings import Settings
from tests.api.test_api_rule_what_if import catalog, event_id  # noqa: F401 (fixture)

pytestmark = pytest.mark.usefixtures("cli_in_process")


def run(*args: str) -> Result:
    return CliRunner().invoke(replay_rules, list(args), obj={"settings": Settings(), "json": False})


WINDOW = ["--since", at(0).isoformat(), "--until", at(3600).isoformat()]


def test_it_prints_the_events_a_rule_would_have_matched_over_every_batch() -> None:
    result = run("--rule", "ops.db", "--batch", "2", *WINDOW)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("018f")] == [
        str(event_id(n)) for n in (0, 2, 4)
    ]
    assert lines[-1].startswith("rule ops.db would have matched 3 of 6 core.webhook events")


def test_json_gathers_every_batch_into_one_document() -> None:
    result = run("--rule", "ops.db", "--batch", "4", "--json", *WINDOW)

    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert (answer["rule"], answer["examined"]) == ("ops.db", 6)
    assert [m["event"]["id"] for m in answer["matched"]] == [str(event_id(n)) for n in (0, 2, 4)]


def test_times_are_durations_back_from_now_or_date_times() -> None:
    now = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert time_of("24h", now, "--since") == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    assert time_of("90s", now, "--since") == datetime(2026, 12, 2, 11, 58, 30, tzinfo=UTC)
    assert time_of("2w", now, "--since") == datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
    assert time_of("2026-12-01T08:00", now, "--since") == datetime(2026, 12, 1, 8, tzinfo=UTC)
    with pytest.raises(click.BadParameter, match="'yesterday' is neither a duration"):
        time_of("yesterday", now, "--since")


def test_a_bad_rule_is_the_apis_error_naming_the_field() -> None:
    result = run("--rule", "ops.nope", *WINDOW)
    assert result.exit_code == 1 and "ops.nope" in result.output
