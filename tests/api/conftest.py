"""Fixtures: the real API over the shared event store and command service
(`tests/conftest.py`) and a real projector, which tests catch up explicitly
(`projector.catch_up(store)`) so they control when reads see writes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest
from api_harness import ECHO, T0, TickingClock
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.identity import IdentityKind
from attune.infra.cli import client as cli_client
from attune.infra.projection_runner import projection_loop
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.passwords import hash_password
from attune.infra.security.tokens import TokenService
from attune.projections.projector import Projector


@pytest.fixture(autouse=True)
def echo_action(commands: CommandService) -> None:
    commands.execute(m.RegisterAction(definition=ECHO, actor="loader", at=T0))


@pytest.fixture
def credentials() -> LocalCredentials:
    return LocalCredentials(TokenService(b"test signing key, 32 bytes long!"))


@pytest.fixture
def admin_key(
    store: EventStore, commands: CommandService, projector: Projector, credentials: LocalCredentials
) -> str:
    """An API key of an `admin` user, already visible to the API."""
    commands.execute(
        m.CreateIdentity(
            actor="test",
            at=T0,
            login="admin",
            kind=IdentityKind.USER,
            roles=["admin"],
            password_hash=hash_password("secret-pw"),
        )
    )
    key_id = UUID("019b0000-0000-7000-8000-0000000000ad")
    key, secret_hash = credentials.new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="test", at=T0, key_id=key_id, login="admin", name="tests", secret_hash=secret_hash
        )
    )
    projector.catch_up(store)
    return key


@pytest.fixture
def services(
    store: EventStore,
    commands: CommandService,
    read_engine: Engine,
    projector: Projector,
    credentials: LocalCredentials,
) -> ApiServices:
    return ApiServices(
        commands=commands,
        read_engine=read_engine,
        projection=projector.watch,
        store_position=store.position,
        clock=TickingClock(),
        entropy=os.urandom,
        credentials=credentials,
    )


@pytest.fixture
def client(services: ApiServices, admin_key: str) -> Iterator[TestClient]:
    """A client of the real API, acting as the admin."""
    with TestClient(create_app(services)) as client:
        client.headers["Authorization"] = f"Bearer {admin_key}"
        yield client


@pytest.fixture
def live_projection(store: EventStore, projector: Projector) -> Iterator[None]:
    """Keep the projections following the store, as `attune up` does."""
    loop = projection_loop(store, projector, poll_interval=0.05)
    store.on_saved(loop.wake)
    loop.start()
    yield
    loop.stop()


@pytest.fixture
def cli_in_process(
    client: TestClient, admin_key: str, monkeypatch: pytest.MonkeyPatch, live_projection: None
) -> None:
    """The CLI's HTTP client talks to the test application, as the admin, with the
    projections following the store."""
    monkeypatch.setenv("ATTUNE_TOKEN", admin_key)

    def in_process(**options: Any) -> httpx.Client:
        return TestClient(client.app, base_url=options["base_url"], headers=options["headers"])

    monkeypatch.setattr(cli_client.httpx, "Client", in_process)
