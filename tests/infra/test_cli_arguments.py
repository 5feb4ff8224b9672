"""The CLI refuses arguments the API would refuse or that it would otherwise lose silently."""

from __future__ import annotations

import pytest
from click.testing import CliRunner, Result

from attune.infra.cli.main import main

NOWHERE = "http://127.0.0.1:9"  # nothing answers: a refusal must come before any request


def attune(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"ATTUNE_API_URL": NOWHERE})


@pytest.mark.parametrize(
    "command", [("execution", "list"), ("rule", "list"), ("action", "list"), ("pack", "list")]
)
@pytest.mark.parametrize("limit", ["0", "-1", "1001"])
def test_a_limit_outside_1_to_1000_is_refused(command: tuple[str, ...], limit: str) -> None:
    result = attune(*command, "--limit", limit)

    assert result.exit_code == 2, result.output
    assert "--limit" in result.output and "1<=x<=1000" in result.output


def test_a_parameter_given_twice_is_refused_naming_it() -> None:
    result = attune("run", "core.echo", "message=one", "count=1", "message=two")

    assert result.exit_code == 2, result.output
    assert "'message' is given twice" in result.output
