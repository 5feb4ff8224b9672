"""Fixtures: the backends every projection test runs on, and the scenario they project.

The event store, command service and projector are the shared ones (`tests/conftest.py`).
On TimescaleDB (a WASM server for the session, `tests/timescale_server.py`) only the read
models live there, each test in a schema of its own; the event store stays in SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from projection_scenario import Scenario, play_scenario
from sqlalchemy import Engine

from attune.commands.service import CommandService
from tests.timescale_server import (  # noqa: F401 (fixtures)
    timescale_engine,
    timescale_schema,
    timescale_server,
)


@pytest.fixture
def scenario(commands: CommandService) -> Scenario:
    return play_scenario(commands)


@pytest.fixture(params=["sqlite", "postgresql", "timescaledb"])
def backend(request: pytest.FixtureRequest) -> str:
    """Every projection test runs on SQLite (embedded), PostgreSQL and TimescaleDB
    (distributed)."""
    return str(request.param)


@pytest.fixture
def read_engine(
    read_engine: Engine, backend: str, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """The shared read engine, but on TimescaleDB one for the test's schema on the server."""
    if backend != "timescaledb":
        yield read_engine
        return
    engine = timescale_engine(
        request.getfixturevalue("timescale_server"), request.getfixturevalue("timescale_schema")
    )
    yield engine
    engine.dispose()
