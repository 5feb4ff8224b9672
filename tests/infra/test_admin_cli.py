"""`attune admin reset`: an admin locked out of a stopped Attune gets back in on the machine
that holds the state directory (issue 12, defect 4).

The lock-outs are written straight to the store, around the API's guard, as an older
version of Attune could have written them; the API that checks the credentials afterwards
is the real one over the same state directory, as `attune up` builds it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands.service import CommandService
from attune.domain.events import Cause
from attune.domain.identity import Identity
from attune.infra.bootstrap import open_read_engine, open_store, utc_now
from attune.infra.cli.main import main
from attune.infra.first_start import ensure_first_admin, ensure_local_cli_token
from attune.infra.projection_runner import projection_loop
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.secret_box import open_keyring
from attune.infra.security.tokens import TokenService, load_or_create_signing_key
from attune.infra.settings import Settings
from attune.infra.storage.state_lock import StateLock
from attune.projections.projector import Projector


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


def first_start(state_dir: Path) -> str:
    """What the first `attune up` leaves behind: the admin and the CLI's API key; returns
    the admin's password it printed."""
    settings = Settings(state_dir=state_dir)
    store = open_store(settings)
    try:
        commands = CommandService(store, open_keyring(state_dir))
        password = ensure_first_admin(commands, store, settings, utc_now)
        ensure_local_cli_token(commands, store, settings, utc_now)
    finally:
        store.close()
    assert password is not None
    return password


def lock_out(state_dir: Path, how: str) -> None:
    """The admin, the only one, loses its role or is disabled: an older version allowed it."""
    store = open_store(Settings(state_dir=state_dir))
    try:
        admin = store.load(Identity.id_for("admin"))
        assert isinstance(admin, Identity)
        cause = Cause("admin", utc_now())
        if how == "disabled":
            admin.disable(cause)
        else:
            admin.set_roles(["observer"], cause)
        store.record([admin])
    finally:
        store.close()


@contextmanager
def api(state_dir: Path) -> Iterator[TestClient]:
    """The API over the state directory, its read models following the store."""
    settings = Settings(state_dir=state_dir)
    store, engine = open_store(settings), open_read_engine(settings)
    projector = Projector(engine)
    projector.catch_up(store)
    loop = projection_loop(store, projector, poll_interval=0.05)
    store.on_saved(loop.wake)
    loop.start()
    signing_key = load_or_create_signing_key(settings.signing_key_file)
    services = ApiServices(
        commands=CommandService(store, open_keyring(state_dir)),
        read_engine=engine,
        projection=projector.watch,
        store_position=store.position,
        clock=utc_now,
        entropy=os.urandom,
        credentials=LocalCredentials(TokenService(signing_key)),
    )
    try:
        with TestClient(create_app(services)) as client:
            yield client
    finally:
        loop.stop()
        engine.dispose()
        store.close()


def manages_identities(client: TestClient, credential: str) -> bool:
    answer = client.get("/api/v1/identities", headers={"Authorization": f"Bearer {credential}"})
    assert answer.status_code in (200, 401, 403), answer.text
    return answer.status_code == 200


def logs_in_as_admin(client: TestClient, password: str) -> bool:
    answer = client.post("/auth/v1/login", json={"login": "admin", "password": password})
    return answer.status_code == 200 and manages_identities(client, answer.json()["access_token"])


def cli_key(state_dir: Path) -> str:
    return (state_dir / "cli-token").read_text().strip()


def reset(state_dir: Path, password: str | None = None) -> Result:
    """`attune admin reset`, with ATTUNE_ADMIN_PASSWORD set to `password` (or unset)."""
    return CliRunner().invoke(
        main,
        ["admin", "reset", "--state-dir", str(state_dir)],
        env={"ATTUNE_ADMIN_PASSWORD": password},
    )


def test_reset_gives_a_demoted_admin_its_role_a_new_password_and_the_cli_a_new_key(
    state_dir: Path,
) -> None:
    first_password = first_start(state_dir)
    old_key = cli_key(state_dir)
    lock_out(state_dir, "demoted")
    with api(state_dir) as client:
        assert not manages_identities(client, old_key)
        assert not logs_in_as_admin(client, first_password)

    result = reset(state_dir)

    assert result.exit_code == 0, result.output
    found = re.search(r"new password is '([^']+)' \(shown only now", result.output)
    assert found, result.output
    assert cli_key(state_dir) != old_key
    with api(state_dir) as client:
        assert manages_identities(client, cli_key(state_dir))
        assert logs_in_as_admin(client, found.group(1))
        assert not logs_in_as_admin(client, first_password)
        assert not manages_identities(client, old_key)  # revoked: the reset re-issued it


def test_reset_re_enables_a_disabled_admin_with_the_password_given(state_dir: Path) -> None:
    first_start(state_dir)
    lock_out(state_dir, "disabled")

    result = reset(state_dir, "chosen-password")

    assert result.exit_code == 0, result.output
    assert "chosen-password" not in result.output
    with api(state_dir) as client:
        assert manages_identities(client, cli_key(state_dir))
        assert logs_in_as_admin(client, "chosen-password")


def test_reset_creates_the_admin_on_a_store_without_one(state_dir: Path) -> None:
    open_store(Settings(state_dir=state_dir)).close()

    result = reset(state_dir, "chosen-password")

    assert result.exit_code == 0, result.output
    with api(state_dir) as client:
        assert manages_identities(client, cli_key(state_dir))
        assert logs_in_as_admin(client, "chosen-password")


def test_reset_refuses_while_attune_runs_on_the_state_directory(state_dir: Path) -> None:
    first_start(state_dir)
    lock = StateLock(state_dir).acquire()  # what a running `attune up` holds
    try:
        result = reset(state_dir)
    finally:
        lock.release()

    assert result.exit_code != 0
    assert "Attune is already running" in result.output


def test_reset_needs_an_existing_store(state_dir: Path) -> None:
    result = reset(state_dir)

    assert result.exit_code != 0 and "no event store at" in result.output
