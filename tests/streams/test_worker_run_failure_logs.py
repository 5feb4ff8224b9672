"""What the server console shows when a run fails before its action starts.

A run's own mistake (a keystore reference to a key that does not exist) fails the run and is
one line naming the run and the key; only an unexpected exception earns a traceback.
"""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

import pytest
from sqlalchemy import Connection

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.events import event_name
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.streams.worker import loop as worker
from attune.streams.worker.runners import RunResult
from tests.conftest import NOW
from tests.streams.test_worker_masks_secrets import keys, reveal_action, run_to_end

__all__ = ["keys"]  # the fixture, shared with the masking tests

MISSING = UUID("019b0000-0000-7000-8000-0000000000b1")
BROKEN = UUID("019b0000-0000-7000-8000-0000000000b2")
NO_RUNNER = UUID("019b0000-0000-7000-8000-0000000000b3")


def worker_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == worker.__name__]


def test_a_missing_key_fails_the_run_with_one_line_naming_run_action_and_key(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    commands.execute(m.RegisterAction(actor="test", at=NOW, definition=reveal_action()))
    parameters: dict[str, Any] = {"cmd": "true", "host": "{{ keystore.nosuch }}"}
    with caplog.at_level(logging.INFO, logger=worker.__name__):
        ended = run_to_end(commands, store, secret_box, keys, MISSING, parameters)

    assert event_name(ended) == "execution.failed"
    assert "no key 'nosuch'" in ended.error
    [record] = worker_records(caplog)
    line = record.getMessage()
    assert str(MISSING) in line and "vault.reveal" in line and "'nosuch'" in line
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_an_unexpected_exception_is_still_logged_with_its_traceback(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenRunner:
        def run(self, *args: Any) -> RunResult:
            raise RuntimeError("the runner broke")

    commands.execute(m.RegisterAction(actor="test", at=NOW, definition=reveal_action()))
    with caplog.at_level(logging.INFO, logger=worker.__name__):
        ended = run_to_end(
            commands,
            store,
            secret_box,
            keys,
            BROKEN,
            {"cmd": "true"},
            runners={"local-shell-cmd": BrokenRunner()},
        )

    assert event_name(ended) == "execution.failed"
    [record] = worker_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    assert str(BROKEN) in record.getMessage()


def test_a_run_no_runner_of_this_worker_can_run_fails_with_one_line_naming_the_runner_type(
    commands: CommandService,
    store: EventStore,
    secret_box: AesGcmSecretBox,
    keys: Connection,
    caplog: pytest.LogCaptureFixture,
) -> None:
    commands.execute(m.RegisterAction(actor="test", at=NOW, definition=reveal_action()))
    with caplog.at_level(logging.INFO, logger=worker.__name__):
        ended = run_to_end(commands, store, secret_box, keys, NO_RUNNER, {"cmd": "true"}, {})

    assert event_name(ended) == "execution.failed"
    assert "this worker has no runner for 'local-shell-cmd'" in ended.error
    [record] = worker_records(caplog)
    assert str(NO_RUNNER) in record.getMessage() and record.exc_info is None
