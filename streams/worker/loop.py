"""The worker's loop: takes jobs from its `WorkQueue`, claims each, runs it, reports.

An action never runs twice because a message arrived twice: the worker first claims the
execution (`ClaimExecution`; the aggregate accepts one claimant) and starts the action
only once the claim is confirmed. `noop` runs end in-process; every other run goes to the
`ActionRunner` of its runner type (`runners`), on the worker's own threads.

A cancel of a run this worker holds (`cancel`, from the `execution.cancel_requested`
event its queue sees) sets the run's `RunStop`: the runner stops the action's process
group and the run ends ``canceled``.

What a run reports is recorded forever and shown to whoever may read executions, so the
worker masks in it the plaintext of the run's secret parameters and of the keystore values
it resolved for the run (docs/keystore.md, "Masking in run output").
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from attune.commands import models as m
from attune.commands.ports import Unsealer
from attune.commands.sealing import opened
from attune.domain.definitions import DEFAULT_ACTION_TIMEOUT
from attune.domain.errors import InvalidParameters
from attune.domain.events import AttuneEvent, Cause, event_name
from attune.domain.execution import ENDING_EVENTS
from attune.domain.secrets import masking, plaintexts, secret_names
from attune.streams.background import WakeableLoop
from attune.streams.delivery import apply_until_written
from attune.streams.ports import CommandBus
from attune.streams.worker.keystore_references import (
    KeyFinder,
    KeyNotFound,
    Lookup,
    keystore_lookup,
    resolve_keystore,
)
from attune.streams.worker.queue import Job, WorkQueue
from attune.streams.worker.runners import ActionContext, ActionRunner, RunResult, RunStop

log = logging.getLogger(__name__)

IDLE_SECONDS = 0.5  # a poll, in case a wake-up was missed
TOKEN_GRACE_SECONDS = 60
STOPPED = RunResult("canceled", None, "Attune stopped")
PARTITION_LOST = "the worker lost this run's partition before its claim was confirmed"
TokenIssuer = Callable[[UUID, datetime], str]  # (execution id, expiry) -> token


class NoRunner(Exception):
    """The action's runner type is not one this worker runs."""


class Worker:
    """Drains a WorkQueue: claims in batches, runs noop in-process and the rest as processes."""

    def __init__(
        self,
        name: str,
        queue: WorkQueue,
        bus: CommandBus,
        secrets: Unsealer,
        runners: Mapping[str, ActionRunner],
        api_url: str,
        clock: Callable[[], datetime],
        issue_token: TokenIssuer,
        find_key: KeyFinder,
        concurrency: int = 8,
        batch_size: int = 500,
        claims_confirmed_by_log: bool = False,
        default_timeout: float = DEFAULT_ACTION_TIMEOUT,
    ) -> None:
        """`claims_confirmed_by_log`: the bus only sends commands (distributed mode), so a
        claim counts as confirmed when its `execution.claimed` event comes back, via
        `observe`; otherwise the bus's answer confirms it."""
        self.name = name
        self.default_timeout = default_timeout
        self.claims_confirmed_by_log = claims_confirmed_by_log
        self._awaiting: dict[UUID, Job] = {}  # claims sent, not yet seen confirmed
        self.issue_token = issue_token
        self.find_key = find_key
        self.queue = queue
        self.bus = bus
        self.secrets = secrets
        self.runners = runners
        self.api_url = api_url
        self.clock = clock
        self.concurrency = concurrency
        self.batch_size = batch_size
        self._busy = 0
        self._busy_lock = threading.Lock()
        self._idle = threading.Condition(self._busy_lock)  # notified as runs end
        # Each run handed to a runner, from its dispatch to its end: set to stop it.
        self._stops: dict[UUID, RunStop] = {}
        self._canceled: set[UUID] = set()
        self._processes = ThreadPoolExecutor(concurrency, thread_name_prefix="action")
        self._loop = WakeableLoop(f"worker {name}", self._take_and_dispatch, lambda: IDLE_SECONDS)

    def start(self) -> None:
        self._loop.start()

    def notify(self) -> None:
        """New work may be queued."""
        self._loop.wake()

    def observe(self, event: AttuneEvent) -> None:
        """See a claim confirmed, or the run taken or ended by someone else, in the log."""
        kind = event_name(event)
        if kind != "execution.claimed" and kind not in ENDING_EVENTS:
            return
        with self._busy_lock:
            job = self._awaiting.pop(event.originator_id, None)
            if job is None:
                return
            if kind in ENDING_EVENTS or event.worker != self.name:  # type: ignore[attr-defined]
                self._busy -= 1  # not ours to run
                self._stops.pop(job.execution_id, None)
                return
        self._processes.submit(self._run_process, job)

    def give_up(self, execution_ids: set[UUID], why: RunResult | None = None) -> None:
        """Stop waiting for these claims (their partition moved to another worker, or the
        worker stops).

        If a claim did go through, this worker holds the run but will never see the
        confirmation: it ends the run as failed (or `why`), without starting the action
        (safe whichever way the claim went: a refused claim makes the completion refused
        too).
        """
        with self._busy_lock:
            jobs = [self._awaiting.pop(i) for i in execution_ids if i in self._awaiting]
            self._busy -= len(jobs)
            for job in jobs:
                self._stops.pop(job.execution_id, None)
        why = why or RunResult("failed", None, PARTITION_LOST)
        ends = [self._completion(j, why) for j in jobs]
        if ends:
            apply_until_written(self.bus, ends, None, self._loop.stopping)

    def cancel(self, execution_id: UUID) -> None:
        """Stop the action of a run being canceled, if this worker runs it."""
        with self._busy_lock:
            stop = self._stops.get(execution_id)
            if stop is not None:
                self._canceled.add(execution_id)
                stop.set()

    def stop(self, grace: float = 0.0, timeout: float = 10.0) -> None:
        """Stop taking work; let the running runs end for `grace` seconds, then stop the
        rest: they end ``canceled``, "Attune stopped"."""
        self._loop.stop(timeout)
        with self._idle:
            # (a claim still unconfirmed will not be started now: it holds no process)
            self._idle.wait_for(lambda: self._busy <= len(self._awaiting), grace)
            for stop in self._stops.values():
                stop.set()
        self.give_up(set(self._awaiting), STOPPED)
        self._processes.shutdown(wait=True, cancel_futures=True)

    def _cause(self, job: Job) -> Cause:
        return Cause(f"worker:{self.name}", self.clock(), job.correlation_id)

    def _take_and_dispatch(self) -> bool:
        """Claim and start what the free slots allow; True if there may be more to take
        now (else the loop sleeps at once, leaving the core to the runs just started)."""
        with self._busy_lock:
            free = self.concurrency - self._busy
        jobs = self.queue.take(self.batch_size, free)
        if jobs:
            self._dispatch(jobs)
        with self._busy_lock:
            return len(jobs) == self.batch_size or (bool(jobs) and self._busy < self.concurrency)

    def _dispatch(self, jobs: list[Job]) -> None:
        claims = [
            m.ClaimExecution.because(
                self._cause(j),
                execution_id=j.execution_id,
                worker=self.name,
                timeout=self._timeout(j),
            )
            for j in jobs
        ]
        # An in-process noop has no side effect to guard, so its claim and its end are
        # written together; the claim is still checked first, and a refused claim makes
        # the end refused too (only the holder may end a run).
        noops = [j for j in jobs if j.action.runner_type == "noop"]
        ends = [self._completion(j, RunResult("succeeded", {})) for j in noops]
        processes = [j for j in jobs if j.action.runner_type != "noop"]
        with self._busy_lock:
            self._busy += len(processes)  # their slots are taken until they end
            self._stops.update((j.execution_id, RunStop()) for j in processes)
            if self.claims_confirmed_by_log:  # before sending: the answer may come back fast
                self._awaiting.update((j.execution_id, j) for j in processes)
        try:
            outcome = self.bus.apply_batch(claims + ends)
        except Exception:
            with self._busy_lock:
                self._busy -= len(processes)
                for job in processes:
                    self._awaiting.pop(job.execution_id, None)
                    self._stops.pop(job.execution_id, None)
            self.queue.put_back(jobs)  # nothing was written: the jobs are still to do
            raise
        if self.claims_confirmed_by_log:
            return  # `observe` starts each one when its claim shows up in the log
        refused = {c.execution_id for c, _ in outcome.refused}  # type: ignore[attr-defined]
        for job in processes:
            if job.execution_id in refused:
                with self._busy_lock:
                    self._busy -= 1
                    self._stops.pop(job.execution_id, None)
            else:
                self._processes.submit(self._run_process, job)

    def _run_process(self, job: Job) -> None:
        revealed: set[str] = set()  # plaintexts of this run, as they become known
        try:
            parameters = {k: opened(v, self.secrets) for k, v in job.parameters.items()}
            # Keystore references become values only now, on their way to the action.
            lookup = keystore_lookup(self.find_key, self.secrets, job.requester, job.action.pack)
            parameters = resolve_keystore(job.action, parameters, _revealing(lookup, revealed))
            for name in secret_names(job.action.parameters):  # whole, as resolved
                revealed |= plaintexts(parameters.get(name))
            # The action's own API credential: its execution only, and only while it runs.
            timeout = self._timeout(job)
            expires = self.clock() + timedelta(seconds=timeout + TOKEN_GRACE_SECONDS)
            context = ActionContext(self.api_url, self.issue_token(job.execution_id, expires))
            runner = self.runners.get(job.action.runner_type)
            if runner is None:
                raise NoRunner(f"this worker has no runner for '{job.action.runner_type}'")
            with self._busy_lock:
                stop = self._stops.setdefault(job.execution_id, RunStop())
            result = self._why_stopped(
                job,
                runner.run(
                    job.action,
                    job.execution_id,
                    parameters,
                    timeout,
                    context,
                    stop,
                    masking(revealed),
                ),
            )
        except (KeyNotFound, InvalidParameters, NoRunner) as problem:
            # The run's own mistake, reported in its end: one line here, no traceback.
            log.warning(
                "execution %s (%s) failed: %s",
                job.execution_id,
                job.action.ref,
                masking(revealed)(str(problem)),
            )
            result = _failed_before_start(problem, revealed)
        except Exception as problem:  # the run ends as failed instead of hanging in running
            log.exception("execution %s (%s) could not run", job.execution_id, job.action.ref)
            result = _failed_before_start(problem, revealed)
        try:
            apply_until_written(
                self.bus, [self._completion(job, result)], None, self._loop.stopping
            )
        finally:
            with self._idle:
                self._busy -= 1
                self._stops.pop(job.execution_id, None)
                self._canceled.discard(job.execution_id)
                self._idle.notify_all()
            self._loop.wake()

    def _timeout(self, job: Job) -> float:
        """The run's bound: its own, else its action's, else the worker's default."""
        return job.timeout or job.action.timeout or self.default_timeout

    def _why_stopped(self, job: Job, run: RunResult) -> RunResult:
        """A run the worker stopped ends canceled: by whoever canceled it, or because
        Attune stopped."""
        if run.outcome != "stopped":
            return run
        with self._busy_lock:
            canceled = job.execution_id in self._canceled
        return RunResult("canceled", run.result, None if canceled else STOPPED.error)

    def _completion(self, job: Job, run: RunResult) -> m.CompleteExecution:
        return m.CompleteExecution.because(
            self._cause(job),
            execution_id=job.execution_id,
            worker=self.name,
            outcome=run.outcome,
            result=run.result,
            error=run.error,
        )


def _failed_before_start(problem: Exception, revealed: set[str]) -> RunResult:
    """The end of a run the worker could not start, its secrets masked in the error."""
    return RunResult(
        "failed", None, masking(revealed)(f"the worker could not run the action: {problem}")
    )


def _revealing(lookup: Lookup, revealed: set[str]) -> Lookup:
    """`lookup`, adding the plaintexts of each value it finds to `revealed`."""

    def find(name: str) -> Any:
        value = lookup(name)
        revealed.update(plaintexts(value))
        return value

    return find
