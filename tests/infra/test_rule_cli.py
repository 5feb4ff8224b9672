"""`attune rule`, `attune action get` and `attune trigger` against a real `attune up`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from attune.infra.cli.main import main
from tests.system.harness import AttuneUp

pytestmark = pytest.mark.slow

RULE = """\
pack: ops
name: hourly
description: once an hour
trigger: core.intervaltimer
trigger_params: {delta: 3600}
action: core.echo
action_params: {message: "tick {{ rule.ref }}"}
"""


@pytest.fixture
def attune(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AttuneUp]:
    instance = AttuneUp(tmp_path / "run", "--no-examples").start()
    monkeypatch.chdir(instance.workdir)  # where the CLI finds `attune up`'s local key
    yield instance
    instance.stop()


def cli(attune: AttuneUp, *args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"ATTUNE_API_URL": attune.url})


def ok(attune: AttuneUp, *args: str) -> str:
    result = cli(attune, *args)
    assert result.exit_code == 0, result.output
    return result.output


def test_a_rule_is_created_shown_disabled_updated_and_deleted(
    attune: AttuneUp, tmp_path: Path
) -> None:
    file = tmp_path / "hourly.yaml"
    file.write_text(RULE)

    assert "ops.hourly" in ok(attune, "rule", "create", str(file))
    again = cli(attune, "rule", "create", str(file))
    assert again.exit_code != 0 and "409: rule 'ops.hourly' already exists" in again.output
    assert "tick {{ rule.ref }}" in ok(attune, "rule", "get", "ops.hourly")
    assert "ops.hourly" in ok(attune, "rule", "list")

    ok(attune, "rule", "disable", "ops.hourly")
    shown = json.loads(ok(attune, "--json", "rule", "get", "ops.hourly"))
    assert shown["enabled"] is False
    assert json.loads(ok(attune, "rule", "enable", "ops.hourly", "--json"))["enabled"] is True

    file.write_text(RULE.replace("once an hour", "hourly, replaced"))
    updated = json.loads(ok(attune, "--json", "rule", "update", str(file)))
    assert updated["description"] == "hourly, replaced"

    assert "deleted the rule ops.hourly" in ok(attune, "rule", "delete", "ops.hourly")
    gone = cli(attune, "rule", "get", "ops.hourly")
    assert gone.exit_code != 0 and "404: unknown rule 'ops.hourly'" in gone.output


def test_refusals_print_the_fields_the_api_names(attune: AttuneUp, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(RULE.replace("core.echo", "core.nosuch").replace("delta: 3600", "delta: x"))
    result = cli(attune, "rule", "create", str(bad))
    assert result.exit_code != 0
    assert "422: " in result.output and "action: unknown action 'core.nosuch'" in result.output
    assert "trigger_params.delta:" in result.output

    unnamed = tmp_path / "unnamed.yaml"
    unnamed.write_text("trigger: core.intervaltimer\naction: core.echo\n")
    result = cli(attune, "rule", "create", str(unnamed))
    assert result.exit_code != 0 and "names no rule" in result.output


def test_actions_and_trigger_types_are_shown(attune: AttuneUp) -> None:
    assert "message" in ok(attune, "action", "get", "core.echo")
    assert "core.intervaltimer" in ok(attune, "trigger", "list")
    shown = json.loads(ok(attune, "--json", "trigger", "get", "core.intervaltimer"))
    assert shown["ref"] == "core.intervaltimer" and "delta" in shown["definition"]["parameters"]
    unknown = cli(attune, "trigger", "get", "core.nosuch")
    assert unknown.exit_code != 0 and "404" in unknown.output
