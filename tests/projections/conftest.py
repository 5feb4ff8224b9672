"""Fixtures: the scenario the projector tests project.

The event store, command service, read engine and projector are the shared ones
(`tests/conftest.py`)."""

from __future__ import annotations

import pytest
from projection_scenario import Scenario, play_scenario

from attune.commands.service import CommandService


@pytest.fixture
def scenario(commands: CommandService) -> Scenario:
    return play_scenario(commands)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every projection test runs on SQLite (embedded) and on PostgreSQL (distributed)."""
    return str(request.param)
