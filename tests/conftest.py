"""Shared fixtures: a real SQLite event store and command service in a temp directory."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import ActionDefinition
from attune.domain.parameters import ParameterSpec
from attune.infra.bootstrap import open_read_engine, open_store
from attune.infra.security.secret_box import AesGcmSecretBox, open_keyring
from attune.infra.settings import Settings
from attune.projections.projector import Projector
from tests.kafka_broker import kafka_broker  # noqa: F401 (fixture)
from tests.postgres_server import postgres_schema, postgres_server  # noqa: F401 (fixtures)

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> str:
    """Where store and read models live; test folders that must pass on both override it."""
    return "sqlite"


@pytest.fixture
def settings(tmp_path: Path, backend: str, request: pytest.FixtureRequest) -> Settings:
    if backend == "postgresql":
        return Settings(
            state_dir=tmp_path / "state",
            packs=[],
            database_url=request.getfixturevalue("postgres_server"),
            database_schema=request.getfixturevalue("postgres_schema"),
        )
    return Settings(state_dir=tmp_path / "state", packs=[])


@pytest.fixture
def store(settings: Settings) -> Iterator[EventStore]:
    store = open_store(settings)
    yield store
    store.close()


@pytest.fixture
def secret_box(settings: Settings) -> AesGcmSecretBox:
    return open_keyring(settings.state_dir)


@pytest.fixture
def read_engine(settings: Settings) -> Iterator[sqlalchemy.Engine]:
    engine = open_read_engine(settings)
    yield engine
    engine.dispose()


@pytest.fixture
def projector(read_engine: sqlalchemy.Engine) -> Projector:
    return Projector(read_engine)


@pytest.fixture
def commands(store: EventStore, secret_box: AesGcmSecretBox) -> CommandService:
    service = CommandService(store, secret_box)
    for definition in (
        ActionDefinition(ref="core.noop", pack="core", name="noop", runner_type="noop"),
        ActionDefinition(
            ref="core.login",
            pack="core",
            name="login",
            runner_type="local-shell-cmd",
            parameters={
                "cmd": ParameterSpec(type="string", required=True),
                "password": ParameterSpec(type="string", secret=True),
                "retries": ParameterSpec(type="integer", default=3),
            },
        ),
    ):
        service.execute(m.RegisterAction(actor="test", at=NOW, definition=definition))
    return service
