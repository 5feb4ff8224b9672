"""A distributed worker starts an action only when its claim comes back in the log."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import Tracking

from attune.commands import models as m
from attune.commands.service import Outcome
from attune.domain.execution import Execution
from attune.infra.pack_loader import shipped_packs_root
from attune.streams.worker.loop import Worker
from attune.streams.worker.queue import WorkQueue
from attune.streams.worker.runners import local_runners
from tests.streams.events import CAUSE, T0, action_registered, at, pending_events

A = UUID("019b0000-0000-7000-8000-00000000000a")
B = UUID("019b0000-0000-7000-8000-00000000000b")


class SentCommands:
    """The commands topic as the worker sees it: it takes commands and answers nothing."""

    def __init__(self) -> None:
        self.sent: list[m.Command] = []
        self.completed = threading.Event()

    def apply_batch(
        self, commands: Sequence[m.Command], tracking: Tracking | None = None
    ) -> Outcome:
        self.sent += commands
        if any(isinstance(c, m.CompleteExecution) for c in commands):
            self.completed.set()
        return Outcome()


class NoSecrets:
    def unseal(self, sealed: str) -> str:
        raise AssertionError("no secrets here")


def worker_for(bus: SentCommands) -> tuple[Worker, WorkQueue]:
    queue = WorkQueue("local")
    queue.handle(action_registered("core.echo"), at(0))
    worker = Worker(
        "w1",
        queue,
        bus,
        NoSecrets(),
        local_runners(lambda pack, entry: Path(shipped_packs_root(), pack, "actions", entry)),
        "http://127.0.0.1:9",
        lambda: T0,
        issue_token=lambda execution_id, expires: "token",
        find_key=lambda *_: None,
        claims_confirmed_by_log=True,
    )
    return worker, queue


def scheduled_echo(execution_id: UUID) -> Execution:
    execution = Execution.request(execution_id, "core.echo", {"message": "hi"}, CAUSE)
    execution.schedule("local", CAUSE)
    return execution


def test_the_action_starts_only_after_its_own_claim_is_seen_in_the_log() -> None:
    bus = SentCommands()
    worker, queue = worker_for(bus)
    mine, theirs = scheduled_echo(A), scheduled_echo(B)
    for event in [*pending_events(mine), *pending_events(theirs)]:
        queue.handle(event, at(1))

    assert worker._take_and_dispatch()
    assert [type(c).__name__ for c in bus.sent] == ["ClaimExecution", "ClaimExecution"]
    assert not bus.completed.wait(0.3)  # claims sent, nothing started

    theirs.claim("w2", CAUSE)  # another worker won B: this one never runs it
    worker.observe(pending_events(theirs)[0])
    mine.claim("w1", CAUSE)
    worker.observe(pending_events(mine)[0])

    assert bus.completed.wait(10)
    worker.stop()
    [done] = [c for c in bus.sent if isinstance(c, m.CompleteExecution)]
    assert (done.execution_id, done.outcome, done.worker) == (A, "succeeded", "w1")
    assert done.result is not None and done.result["stdout"].strip() == "hi"


def test_a_claim_whose_partition_moved_away_ends_the_run_failed_without_starting_it() -> None:
    bus = SentCommands()
    worker, queue = worker_for(bus)
    for event in pending_events(scheduled_echo(A)):
        queue.handle(event, at(1))
    worker._take_and_dispatch()

    worker.give_up({A})

    [claim, end] = bus.sent
    assert isinstance(end, m.CompleteExecution) and end.outcome == "failed"
    assert "before its claim was confirmed" in (end.error or "")
    execution = scheduled_echo(A)
    execution.claim("w1", CAUSE)
    worker.observe(pending_events(execution)[0])  # a late confirmation starts nothing
    worker.stop()
    assert len(bus.sent) == 2
