"""A second `attune up` on a state directory in use names the one running, whatever the port."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.system.harness import ATTUNE, AttuneUp, free_port

pytestmark = pytest.mark.slow


def second_up(workdir: Path, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ATTUNE, "up", "--port", str(port)],
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("same_port", [True, False], ids=["same port", "another port"])
def test_a_second_attune_up_in_the_same_directory_names_the_running_pid(
    attune_up: Callable[..., AttuneUp], same_port: bool
) -> None:
    first = attune_up("--no-examples")
    assert first.process is not None

    second = second_up(first.workdir, first.port if same_port else free_port())

    assert second.returncode != 0
    assert f"already running on .attune (pid {first.process.pid})" in second.stderr
    assert "cannot listen" not in second.stderr
    assert first.client().get("/health").status_code == 200  # the first one is untouched
