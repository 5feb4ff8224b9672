"""Keystore commands: set, delete and reveal keys; and opening a key's value.

`SetKey` seals the value before it reaches the aggregate when asked to encrypt, so the
plaintext never enters an event. Deleting or revealing a key that is not live (never set,
deleted, or expired) is refused as an unknown key. `RevealKey` records a decrypted read for
audit; the caller then reads the value and opens it with `open_value`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from attune.commands.errors import UnknownEntity
from attune.commands.models import Command
from attune.commands.ports import SecretBox, Unsealer
from attune.commands.sealing import opened
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.keystore import Key, KeyScope
from attune.domain.secrets import sealed

if TYPE_CHECKING:  # `handlers` merges KEYSTORE_HANDLERS into its own: no import at run time
    from attune.commands.handlers import Handler


class KeyCommand(Command):
    """A command about the key `name` of `scope` (owned by `owner`: none for system keys)."""

    name: str
    scope: KeyScope
    owner: str | None = None

    def key_id(self) -> UUID:
        return Key.id_for(self.scope, self.owner, self.name)

    def address(self) -> str:
        owner = f"{self.owner}/" if self.owner else ""
        return f"{self.scope}/{owner}{self.name}"


class SetKey(KeyCommand):
    value: Any
    encrypt: bool = False
    expires_at: datetime | None = None


class DeleteKey(KeyCommand):
    pass


class RevealKey(KeyCommand):
    pass


def open_value(key_value: Any, encrypted: bool, secrets: Unsealer) -> Any:
    """A key's value in plaintext (raises `SecretKeyMissing` if its key was removed)."""
    return opened(key_value, secrets) if encrypted else key_value


def _live_key(command: KeyCommand, uow: UnitOfWork) -> Key:
    key = uow.get(Key, command.key_id())
    if key is None or not key.is_live(command.at):
        raise UnknownEntity("key", command.address())
    return key


def set_key(command: SetKey, uow: UnitOfWork, secrets: SecretBox) -> None:
    value = sealed(secrets.seal(command.value)) if command.encrypt else command.value
    cause = command.cause()
    key = uow.get(Key, command.key_id())
    if key is None:
        uow.add(
            Key.set_new(
                command.name,
                command.scope,
                command.owner,
                value,
                command.encrypt,
                command.expires_at,
                cause,
            )
        )
    else:
        key.change(value, command.encrypt, command.expires_at, cause)


def delete_key(command: DeleteKey, uow: UnitOfWork, _secrets: SecretBox) -> None:
    _live_key(command, uow).delete(command.cause())


def reveal_key(command: RevealKey, uow: UnitOfWork, _secrets: SecretBox) -> None:
    _live_key(command, uow).reveal(command.cause())


KEYSTORE_HANDLERS: dict[type[Command], Handler] = {
    SetKey: set_key,
    DeleteKey: delete_key,
    RevealKey: reveal_key,
}
