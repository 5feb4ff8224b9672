"""The worker's state: the executions scheduled for its pool and not yet taken.

`WorkQueue` is a processor like any other: its host (the embedded host, or the Kafka
worker host in `kafka_host`) folds the log into it, and the `Worker` (`loop`) takes jobs
from it. It keeps the actions' definitions it needs from the same log.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from attune.commands import models as m
from attune.domain.definitions import ActionDefinition
from attune.domain.events import AttuneEvent
from attune.domain.execution import Execution, ExecutionEnded
from attune.streams.catalog import ActionCatalog
from attune.streams.dispatch import EventDispatch


@dataclass(frozen=True)
class Job:
    execution_id: UUID
    action: ActionDefinition
    parameters: dict[str, Any]  # secrets still sealed, keystore references unresolved
    correlation_id: UUID | None
    requester: str | None  # who asked for the run (none for rule-caused runs)
    timeout: float | None = None  # the run's own bound, over its action's


class WorkQueue:
    """Executions scheduled for one pool and not yet taken, in scheduling order."""

    def __init__(self, pool: str) -> None:
        self.name = f"work_queue.{pool}"
        self.pool = pool
        self.actions = ActionCatalog()
        self._requested: dict[
            UUID, tuple[str, dict[str, Any], UUID | None, str | None, float | None]
        ] = {}
        # Waiting runs in scheduling order (their sequence numbers), those whose action
        # needs a process apart: with every slot busy, a take need not walk past them.
        self._pending_noop: dict[UUID, int] = {}
        self._pending_process: dict[UUID, int] = {}
        self._next_sequence = itertools.count()
        self._first_sequence = 0  # runs put back go ahead of all others
        self._taken: set[UUID] = set()
        self._lock = threading.Lock()
        self._cancel_listeners: list[Callable[[UUID], None]] = []
        self._dispatch = (
            EventDispatch[None](lambda: None)
            .on(Execution.Requested, self._requested_run)
            .on(Execution.Scheduled, self._scheduled)
            .on(Execution.Claimed, self._claimed)
            .on(Execution.CancelRequested, self._cancel_requested)
            .on(ExecutionEnded, self._ended)
        )

    def on_cancel(self, listener: Callable[[UUID], None]) -> None:
        """Call `listener` with the id of each taken run someone cancels (its worker then
        stops the action)."""
        self._cancel_listeners.append(listener)

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        if not self.actions.observe(event):
            with self._lock:
                self._dispatch(event, now)
        return []

    def _requested_run(self, requested: Execution.Requested, _now: datetime) -> None:
        requester = None if requested.enforcement_id else requested.actor
        self._requested[requested.originator_id] = (
            requested.action,
            requested.parameters,
            requested.correlation_id,
            requester,
            requested.timeout,
        )

    def _scheduled(self, scheduled: Execution.Scheduled, _now: datetime) -> None:
        run = scheduled.originator_id
        # (A request already ended is no longer known: a late copy asks for nothing.)
        ours = scheduled.pool == self.pool and run in self._requested
        waiting = run in self._pending_noop or run in self._pending_process
        if ours and not waiting and run not in self._taken:
            self._wait(run, next(self._next_sequence))

    def _wait(self, run: UUID, sequence: int) -> None:
        action = self.actions.get(self._requested[run][0])
        noop = action is not None and action.runner_type == "noop"
        (self._pending_noop if noop else self._pending_process)[run] = sequence

    def _claimed(self, claimed: Execution.Claimed, _now: datetime) -> None:
        self._stop_waiting(claimed.originator_id)
        self._taken.add(claimed.originator_id)

    def _stop_waiting(self, run: UUID) -> None:
        self._pending_noop.pop(run, None)
        self._pending_process.pop(run, None)

    def _cancel_requested(self, canceling: Execution.CancelRequested, _now: datetime) -> None:
        if canceling.originator_id in self._taken:
            for listener in self._cancel_listeners:
                listener(canceling.originator_id)

    def _ended(self, ended: ExecutionEnded, _now: datetime) -> None:
        self._stop_waiting(ended.originator_id)
        self._taken.discard(ended.originator_id)
        self._requested.pop(ended.originator_id, None)

    def put_back(self, jobs: list[Job]) -> None:
        """Return taken jobs whose claims were never written, to be taken again first."""
        with self._lock:
            noop, process = self._pending_noop, self._pending_process
            self._pending_noop, self._pending_process = {}, {}
            self._first_sequence -= len(jobs)
            for sequence, job in enumerate(jobs, self._first_sequence):
                self._taken.discard(job.execution_id)
                self._wait(job.execution_id, sequence)
            self._pending_noop |= noop
            self._pending_process |= process

    def take(self, limit: int, process_slots: int) -> list[Job]:
        """Hand out up to `limit` jobs, at most `process_slots` of them needing a process,
        in scheduling order."""
        with self._lock:
            chosen = self._first(self._pending_noop, limit, process_slots)
            chosen += self._first(
                self._pending_process,
                limit - len(chosen),
                process_slots - sum(needs for _, _, needs in chosen),
            )
            jobs: list[Job] = []
            for _, execution_id, _needs_process in sorted(chosen):
                self._stop_waiting(execution_id)
                self._taken.add(execution_id)
                action_ref, parameters, correlation_id, requester, timeout = self._requested[
                    execution_id
                ]
                action = self.actions.get(action_ref)
                assert action is not None  # (checked by `_first`)
                jobs.append(
                    Job(execution_id, action, parameters, correlation_id, requester, timeout)
                )
        return jobs

    def _first(
        self, waiting: dict[UUID, int], limit: int, process_slots: int
    ) -> list[tuple[int, UUID, bool]]:
        """The first runs of `waiting` that fit: (sequence, run, needs a process)."""
        chosen: list[tuple[int, UUID, bool]] = []
        for execution_id, sequence in waiting.items():
            if len(chosen) >= limit:
                break
            action = self.actions.get(self._requested[execution_id][0])
            if action is None:
                continue  # cannot happen in log order: actions register before use
            needs_process = action.runner_type != "noop"  # (as now: it may have changed)
            if needs_process:
                if process_slots == 0:
                    if waiting is self._pending_process:
                        break  # the rest were scheduled needing one too
                    continue
                process_slots -= 1
            chosen.append((sequence, execution_id, needs_process))
        return chosen
