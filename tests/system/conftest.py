"""Whole-system fixtures: a real `attune up` per test, stopped afterwards."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.system.harness import AttuneUp


@pytest.fixture
def attune_up(tmp_path: Path) -> Iterator[Callable[..., AttuneUp]]:
    started: list[AttuneUp] = []

    def start(
        *args: str, workdir: Path | None = None, env: dict[str, str] | None = None
    ) -> AttuneUp:
        # A known admin password, so tests can log in like a person would.
        env = {"ATTUNE_ADMIN_PASSWORD": "test-admin-pw", **(env or {})}
        instance = AttuneUp(workdir or tmp_path / "run", *args, env=env).start()
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()
