"""Commands on the wire: how processor and worker commands travel on the commands topic.

A command is sent as JSON: its fields plus `type`, the command's class name. It is keyed
by its target aggregate's id, so the commands for one aggregate stay in order on one
partition and are applied by one command-service consumer. Decoding refuses anything that
is not a known, valid command with `UnreadableCommand` naming the reason; the command
service sends such messages to the dead-letter topic.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError

from attune.commands import models as m
from attune.commands.handlers import HANDLERS
from attune.domain.definitions import FROM_LOG

COMMAND_TYPES: dict[str, type[m.Command]] = {kind.__name__: kind for kind in HANDLERS}

# The field naming each command's target aggregate, most specific first.
_TARGET_FIELDS = (
    "execution_id",
    "enforcement_id",
    "trigger_event_id",
    "worker",
    "key_id",
    "session_id",
    "login",
    "ref",
)


class UnreadableCommand(ValueError):
    """A message on the commands topic that is not a command we can apply."""


def encode_command(command: m.Command) -> bytes:
    return orjson.dumps({"type": type(command).__name__, **command.model_dump(mode="json")})


def decode_command(value: bytes | None) -> m.Command:
    try:
        data: Any = orjson.loads(value or b"")
    except orjson.JSONDecodeError as problem:
        raise UnreadableCommand(f"not JSON: {problem}") from None
    if not isinstance(data, dict):
        raise UnreadableCommand(f"expected a JSON object, got {type(data).__name__}")
    kind = data.pop("type", None)
    if kind not in COMMAND_TYPES:
        raise UnreadableCommand(f"unknown command type {kind!r}")
    try:
        # (A definition in a command was checked by the process that loaded its pack.)
        return COMMAND_TYPES[kind].model_validate(data, context=FROM_LOG)
    except ValidationError as problem:
        details = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in problem.errors()
        )
        raise UnreadableCommand(f"invalid {kind}: {details}") from None


def target_of(command: m.Command) -> str:
    """The key a command travels under: the id (or ref) of the aggregate it changes."""
    for name in _TARGET_FIELDS:
        value = getattr(command, name, None)
        if value is not None:
            return str(value)
    definition = getattr(command, "definition", None)
    if definition is not None:
        return str(definition.ref)
    raise LookupError(f"{type(command).__name__} names no target aggregate")
