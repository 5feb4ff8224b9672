"""Fixtures: the real API over the shared event store and command service
(`tests/conftest.py`) and a real projector, which tests catch up explicitly
(`projector.catch_up(store)`) so they control when reads see writes."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from api_harness import ECHO, T0, TickingClock
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.projections.projector import Projector


@pytest.fixture(autouse=True)
def echo_action(commands: CommandService) -> None:
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=T0))


@pytest.fixture
def client(
    store: EventStore, commands: CommandService, read_engine: Engine, projector: Projector
) -> Iterator[TestClient]:
    services = ApiServices(
        commands=commands,
        read_engine=read_engine,
        projection=projector.watch,
        store_position=store.position,
        clock=TickingClock(),
        entropy=os.urandom,
    )
    with TestClient(create_app(services)) as client:
        yield client
