"""The worker masks a run's secret parameters and keystore values in what the run reports.

A real action (a subprocess) prints everything it was given to stdout and stderr and
returns it as its JSON result; the recorded end of the run, and the store's files, must
show `********` where the plaintext was.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Connection, Engine

from attune.commands import models as m
from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import ActionDefinition
from attune.domain.events import event_name
from attune.domain.execution import ENDING_EVENTS
from attune.domain.keystore import KeyScope
from attune.domain.parameters import ParameterSpec
from attune.domain.secrets import MASK
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.infra.settings import Settings
from attune.projections.keystore import get_key
from attune.projections.projector import Projector
from attune.streams.worker.loop import Worker
from attune.streams.worker.queue import WorkQueue
from attune.streams.worker.runners import ActionRunner, local_runners
from tests.conftest import NOW

PASSWORD = 'pa"ss-Word-4417'  # a quote: JSON output shows it escaped, which is masked too
TOKEN = "tok-Encrypted-9902"
HOST = "db-plain-3381.internal"
RUN = UUID("019b0000-0000-7000-8000-0000000000a1")
BAD_CWD = UUID("019b0000-0000-7000-8000-0000000000a2")


@pytest.fixture
def keys(
    commands: CommandService, store: EventStore, projector: Projector, read_engine: Engine
) -> Iterator[Connection]:
    for name, value, encrypt in [("api_token", TOKEN, True), ("db_host", HOST, False)]:
        commands.execute(
            SetKey(
                actor="admin",
                at=NOW,
                name=name,
                scope=KeyScope.SYSTEM,
                value=value,
                encrypt=encrypt,
            )
        )
    projector.catch_up(store)
    with read_engine.connect() as connection:
        yield connection


def reveal_action() -> ActionDefinition:
    """An action that runs `cmd`, given all parameters as JSON on stdin, its stdout read as
    its JSON result."""
    return ActionDefinition(
        ref="vault.reveal",
        pack="vault",
        name="reveal",
        runner_type="local-shell-cmd",
        output_format="json",
        parameters={
            "cmd": ParameterSpec(type="string", required=True),
            "password": ParameterSpec(type="string", secret=True),
            "cwd": ParameterSpec(type="string", secret=True),
            "token": ParameterSpec(type="string"),
            "host": ParameterSpec(type="string"),
        },
        timeout=30,
    )


NOWHERE = local_runners(lambda _pack, entry: Path("/nonexistent", entry))


def run_to_end(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    execution_id: UUID,
    parameters: dict[str, Any],
    runners: Mapping[str, ActionRunner] | None = None,
) -> Any:
    """Request, schedule and run one execution on a real worker (with the local runners
    unless given others); its ending event."""
    commands.execute(
        m.RequestExecution(
            actor="alice",
            at=NOW,
            execution_id=execution_id,
            action="vault.reveal",
            parameters=parameters,
        )
    )
    commands.execute(
        m.ScheduleExecution(actor="scheduler", at=NOW, execution_id=execution_id, pool="local")
    )
    queue = WorkQueue("local")
    for _, event in store.read(0, 10_000):
        queue.handle(event, NOW)
    worker = Worker(
        "w1",
        queue,
        commands,
        secret_box,
        NOWHERE if runners is None else runners,
        "http://127.0.0.1:9",
        lambda: NOW,
        issue_token=lambda execution, expires: "token",
        find_key=lambda name, scope, owner: get_key(keys, name, scope, owner, NOW),
    )
    try:
        assert worker._take_and_dispatch()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            for _, event in store.read(0, 10_000):
                if event.originator_id == execution_id and event_name(event) in ENDING_EVENTS:
                    return event
            time.sleep(0.05)
        raise AssertionError("the run did not end")
    finally:
        worker.stop()


def stored_bytes(settings: Settings) -> bytes:
    return b"".join(p.read_bytes() for p in settings.state_dir.glob("events.db*"))


def test_secret_parameters_and_keystore_values_are_masked_in_output_and_result(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    settings: Settings,
    tmp_path: Path,
) -> None:
    received = tmp_path / "received.json"
    commands.execute(m.RegisterAction(actor="test", at=NOW, definition=reveal_action()))
    ended = run_to_end(
        commands,
        store,
        secret_box,
        keys,
        RUN,
        {
            "cmd": f'input=$(cat); echo "$input" > {received}; echo "$input"; echo "$input" >&2',
            "password": PASSWORD,
            "token": "Bearer {{ keystore.api_token }}",
            "host": "{{ keystore.db_host }}",
        },
    )

    assert event_name(ended) == "execution.succeeded", ended.error
    given = received.read_text()
    assert all(value in given for value in ('pa\\"ss-Word-4417', TOKEN, HOST))  # it got them
    result = ended.result
    assert result["data"]["password"] == MASK
    assert result["data"]["token"] == f"Bearer {MASK}"
    assert result["data"]["host"] == MASK
    for stream in ("stdout", "stderr"):
        assert f'"password": "{MASK}"' in result[stream]
        assert f'"token": "Bearer {MASK}"' in result[stream]
    shown = repr(result)
    for plaintext in ('pa\\\\"ss', "ss-Word-4417", TOKEN, HOST):
        assert plaintext not in shown
    for stored in (b"ss-Word-4417", TOKEN.encode()):  # (an unencrypted key is stored as is)
        assert stored not in stored_bytes(settings)


def test_a_secret_in_the_error_of_a_failed_run_is_masked(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    settings: Settings,
    tmp_path: Path,
) -> None:
    commands.execute(m.RegisterAction(actor="test", at=NOW, definition=reveal_action()))
    cwd = f"/nonexistent/{TOKEN}-dir"
    ended = run_to_end(commands, store, secret_box, keys, BAD_CWD, {"cmd": "true", "cwd": cwd})

    assert event_name(ended) == "execution.failed"
    assert "could not start the action" in ended.error and MASK in ended.error
    assert "nonexistent" not in ended.error
    assert cwd.encode() not in stored_bytes(settings)
