"""The command service: applies commands to the store, one transaction per batch.

`execute` is for user commands (the API): the command is applied synchronously and a
refused command raises its typed error, writing nothing. Concurrent user commands share a
transaction (group commit) without sharing their fate: each is refused or accepted alone,
and a group whose write fails is written again one command at a time.
`apply_batch` is for processors and workers: each refused command is reported and skipped,
the others and the processor's tracking position are written atomically. A concurrent
write to the same aggregate makes the batch retry from freshly loaded aggregates.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from eventsourcing.persistence import IntegrityError, Tracking

from attune.commands.group_commit import GroupCommitter, Pending
from attune.commands.handlers import HANDLERS, aggregates_read
from attune.commands.models import Command
from attune.commands.ports import SecretBox
from attune.commands.store import EventStore
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.errors import DomainError

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


@dataclass
class Outcome:
    """What a batch did: the store position of its last event and the refused commands."""

    position: int = 0
    refused: list[tuple[Command, DomainError]] = field(default_factory=list)


def handle_each(
    commands: Sequence[Command],
    uow: UnitOfWork,
    secrets: SecretBox,
    applied: Callable[[Command], None] = lambda _: None,
) -> Outcome:
    """Run each command's handler on `uow`; a refused command is reported and skipped,
    `applied` is told of each accepted one. Nothing is recorded."""
    outcome = Outcome()
    uow.preload(aggregates_read(commands))
    for command in commands:
        try:
            HANDLERS[type(command)](command, uow, secrets)
        except DomainError as refusal:
            outcome.refused.append((command, refusal))
        else:
            applied(command)
    return outcome


class CommandService:
    def __init__(self, store: EventStore, secrets: SecretBox) -> None:
        self.store = store
        self.secrets = secrets
        self._group_commit = GroupCommitter(self._commit_group)
        # Handlers change cached aggregates in place, so one batch at a time may hold them.
        # The store serialises writes anyway, so this costs no throughput.
        self._write_lock = threading.Lock()

    def execute(self, command: Command) -> int:
        """Apply one user command; return the store position (raises DomainError if refused)."""
        return self.submit(command).result()

    def submit(self, command: Command) -> Future[int]:
        """Queue one user command for the next group commit; the future gets its outcome."""
        return self._group_commit.submit(command)

    def apply_batch(self, commands: Sequence[Command], tracking: Tracking | None = None) -> Outcome:
        """Apply processor/worker commands; refused ones are reported, not raised."""
        with self._write_lock:
            return self._apply_batch(commands, tracking)

    def _apply_batch(self, commands: Sequence[Command], tracking: Tracking | None) -> Outcome:
        for attempt in range(MAX_ATTEMPTS):
            uow = UnitOfWork(self.store)
            outcome = handle_each(commands, uow, self.secrets)
            try:
                outcome.position = self._record(uow, tracking)
                return outcome
            except IntegrityError:
                if (
                    tracking is not None
                    and self.store.tracked_position(tracking.application_name)
                    >= tracking.notification_id
                ):
                    return Outcome()  # these notifications were processed already
                self._before_retry(attempt)
        raise AssertionError("unreachable")  # _before_retry raises on the last attempt

    def _commit_group(self, group: list[Pending]) -> None:
        """Apply each command on its own terms, then write all accepted ones at once.

        Handlers check everything before they change an aggregate, so a refused command
        leaves nothing behind in the shared unit of work.
        """
        with self._write_lock:
            self._commit_group_locked(group)

    def _commit_group_locked(self, group: list[Pending]) -> None:
        for attempt in range(MAX_ATTEMPTS):
            uow = UnitOfWork(self.store)
            refused: dict[int, Exception] = {}
            uow.preload(aggregates_read(p.command for p in group))
            for index, pending in enumerate(group):
                try:
                    HANDLERS[type(pending.command)](pending.command, uow, self.secrets)
                except Exception as refusal:  # the caller gets its own error, typed
                    refused[index] = refusal
            try:
                position = self._record(uow, None)
            except IntegrityError as conflict:
                if attempt < MAX_ATTEMPTS - 1:
                    self._before_retry(attempt)
                    continue
                failure: Exception = conflict
            except Exception as error:
                if len(group) > 1:
                    # One command's events could not be written (a value the store cannot
                    # encode, say): it must not fail the others, so each is written alone.
                    for pending in group:
                        self._commit_group_locked([pending])
                    return
                failure = error
            else:
                for index, pending in enumerate(group):
                    pending.answer(0 if index in refused else position, refused.get(index))
                return
            for index, pending in enumerate(group):
                pending.answer(error=refused.get(index, failure))
            return

    def _record(self, uow: UnitOfWork, tracking: Tracking | None) -> int:
        try:
            return self.store.record(uow.changed(), tracking)
        except BaseException:
            # The unit of work changed cached aggregates in place; they are not the truth.
            self.store.forget_cached()
            raise

    def _before_retry(self, attempt: int) -> None:
        """Give up after the last attempt; otherwise note the conflict and go again."""
        if attempt == MAX_ATTEMPTS - 1:
            raise
        log.info("write conflict; retrying (attempt %d)", attempt + 2)
