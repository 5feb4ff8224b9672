"""Fixtures: a projector over a temporary SQLite file, and the scenario it projects.

The event store and command service are the shared ones (`tests/conftest.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from projection_scenario import Scenario, play_scenario
from sqlalchemy import Engine, create_engine

from attune.commands.service import CommandService
from attune.projections.projector import Projector


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'read.db'}")
    yield engine
    engine.dispose()


@pytest.fixture
def projector(engine: Engine) -> Projector:
    return Projector(engine)


@pytest.fixture
def scenario(commands: CommandService) -> Scenario:
    return play_scenario(commands)
