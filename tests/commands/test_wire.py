"""Commands and domain events on the wire: what the Kafka processes send and read back."""

from __future__ import annotations

from uuid import UUID

import orjson
import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore, UnreadableEvent, decode_envelope
from attune.commands.wire import (
    COMMAND_TYPES,
    UnreadableCommand,
    decode_command,
    encode_command,
    target_of,
)
from attune.domain.catalogue import envelope
from tests.conftest import NOW
from tests.projections.projection_scenario import play_scenario

EXECUTION = UUID("01900000-0000-7000-8000-000000000001")


def test_a_command_survives_the_wire_and_travels_under_its_target_id() -> None:
    command = m.CompleteExecution(
        actor="worker:w1",
        at=NOW,
        correlation_id=EXECUTION,
        execution_id=EXECUTION,
        worker="w1",
        outcome="succeeded",
        result={"stdout": "hi", "n": [1, 2]},
    )
    assert decode_command(encode_command(command)) == command
    assert target_of(command) == str(EXECUTION)
    assert "FireTrigger" in COMMAND_TYPES and "ClaimExecution" in COMMAND_TYPES


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object, got list"),
        (b'{"type": "LaunchMissiles"}', "unknown command type 'LaunchMissiles'"),
        (
            b'{"type": "ClaimExecution", "actor": "w", "at": "2024-05-01T12:00:00+00:00"}',
            "invalid ClaimExecution: execution_id: Field required; worker: Field required",
        ),
        (None, "not JSON"),
    ],
)
def test_an_unreadable_command_is_refused_with_the_reason(value: bytes | None, reason: str) -> None:
    with pytest.raises(UnreadableCommand) as refused:
        decode_command(value)
    assert reason in str(refused.value)


def test_every_stored_event_decodes_from_its_public_envelope_unchanged(
    store: EventStore, commands: CommandService
) -> None:
    play_scenario(commands)
    events = store.read(0, 1000)
    assert len({type(event) for _, event in events}) >= 8
    for position, event in events:
        decoded_position, decoded = decode_envelope(orjson.dumps(envelope(event, position)))
        assert decoded_position == position
        assert type(decoded) is type(event)
        assert vars(decoded) == vars(event)


@pytest.mark.parametrize(
    "value",
    [b"garbage", b"{}", b'{"type": "execution.exploded", "payload": {}}', None],
)
def test_an_unreadable_event_is_refused(value: bytes | None) -> None:
    with pytest.raises(UnreadableEvent, match="not a domain event envelope"):
        decode_envelope(value)
