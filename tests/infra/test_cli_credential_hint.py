"""The CLI run away from `attune up`'s directory: a 401 says where it looked and what to do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from attune.infra.cli.main import main
from tests.system.harness import AttuneUp


@pytest.fixture
def attune(tmp_path: Path) -> Iterator[AttuneUp]:
    instance = AttuneUp(tmp_path / "run", "--no-examples").start()
    yield instance
    instance.stop()


@pytest.mark.slow
def test_a_401_without_a_credential_names_the_local_key_path_and_attune_login(
    attune: AttuneUp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    env = {
        "ATTUNE_API_URL": attune.url,
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no `attune login` kept there
        "ATTUNE_TOKEN": None,
    }

    result = CliRunner().invoke(main, ["execution", "list"], env=env)

    assert result.exit_code != 0
    assert "401: authentication required" in result.output
    assert str(elsewhere / ".attune" / "cli-token") in result.output
    assert f"attune login {attune.url}" in result.output


@pytest.mark.slow
def test_where_attune_up_runs_the_cli_needs_no_credential(
    attune: AttuneUp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(attune.workdir)
    env = {"ATTUNE_API_URL": attune.url, "XDG_CONFIG_HOME": str(tmp_path / "config")}

    result = CliRunner().invoke(main, ["action", "list"], env={**env, "ATTUNE_TOKEN": None})

    assert result.exit_code == 0, result.output
    assert "core.echo" in result.output
