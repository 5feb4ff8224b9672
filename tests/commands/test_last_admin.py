"""The write side keeps one enabled admin: under concurrent commands, with two writers on
one store, and on a store written before it kept track of the admins."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future

import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.errors import DomainError
from attune.domain.events import Cause
from attune.domain.identity import Identity, IdentityKind
from attune.infra.bootstrap import open_store
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.infra.settings import Settings
from tests.conftest import NOW

LAST_ADMIN = "is the last enabled identity with the admin role"


def create_admin(login: str) -> m.CreateIdentity:
    return m.CreateIdentity(
        actor="test", at=NOW, login=login, kind=IdentityKind.SERVICE, roles=["admin"]
    )


def disable(login: str, by: str) -> m.DisableIdentity:
    return m.DisableIdentity(actor=by, at=NOW, login=login)


def enabled_admins(store: EventStore, *logins: str) -> list[str]:
    found = [store.load(Identity.id_for(login)) for login in logins]
    return [i.login for i in found if isinstance(i, Identity) and i.enabled and "admin" in i.roles]


def outcome(future: Future[int]) -> str:
    try:
        future.result()
    except DomainError as refusal:
        assert LAST_ADMIN in str(refusal)
        return "refused"
    return "done"


def test_two_admins_disabling_each_other_at_once_leave_one(
    commands: CommandService, store: EventStore
) -> None:
    for login in ("ann", "bob"):
        commands.execute(create_admin(login))

    futures = [commands.submit(disable("bob", by="ann")), commands.submit(disable("ann", by="bob"))]

    assert sorted(map(outcome, futures)) == ["done", "refused"]
    assert len(enabled_admins(store, "ann", "bob")) == 1


@pytest.fixture
def second_writer(settings: Settings) -> Iterator[CommandService]:
    """Another process's command service on the same store (a second `attune api`)."""
    store = open_store(settings)
    yield CommandService(store, AesGcmSecretBox(settings.state_dir))
    store.close()


def test_two_writers_on_one_store_cannot_both_remove_an_admin(
    commands: CommandService, store: EventStore, second_writer: CommandService
) -> None:
    for login in ("ann", "bob"):
        commands.execute(create_admin(login))
    # The second writer has seen both admins enabled (what it caches is now stale).
    second_writer.execute(m.SetRoles(actor="bob", at=NOW, login="ann", roles=["admin"]))

    commands.execute(disable("bob", by="ann"))
    with pytest.raises(DomainError, match=LAST_ADMIN):
        second_writer.execute(disable("ann", by="bob"))

    assert enabled_admins(store, "ann", "bob") == ["ann"]


def older_version_wrote(store: EventStore, *logins: str) -> None:
    """Admins as a version of Attune that kept no track of them stored them."""
    cause = Cause("attune", NOW)
    store.record(
        [Identity.create(login, IdentityKind.USER, ["admin"], None, cause) for login in logins]
    )


def test_a_store_from_before_learns_its_admins_from_who_acts(
    commands: CommandService, store: EventStore
) -> None:
    older_version_wrote(store, "admin", "ann")

    commands.execute(disable("admin", by="ann"))  # ann acts: she is an admin too
    with pytest.raises(DomainError, match=f"'ann' {LAST_ADMIN}"):
        commands.execute(disable("ann", by="ann"))
    with pytest.raises(DomainError, match=f"'ann' {LAST_ADMIN}"):
        commands.execute(m.SetRoles(actor="ann", at=NOW, login="ann", roles=[]))

    assert enabled_admins(store, "admin", "ann") == ["ann"]


def test_a_store_from_before_keeps_its_only_admin(
    commands: CommandService, store: EventStore
) -> None:
    older_version_wrote(store, "admin")

    with pytest.raises(DomainError, match=f"'admin' {LAST_ADMIN}"):
        commands.execute(m.SetRoles(actor="admin", at=NOW, login="admin", roles=["observer"]))
    commands.execute(create_admin("ann"))
    commands.execute(disable("admin", by="admin"))  # ann remains

    assert enabled_admins(store, "admin", "ann") == ["ann"]
