"""Group commit: concurrent user commands share one store transaction.

Callers hand their command to one writer thread and get a future. The writer takes every
command queued so far, applies them together in one transaction, and answers each future
with its own outcome (its position, or its typed refusal). On SQLite, where writes are
serialised anyway, a burst of N requests becomes a few transactions instead of N, and an
async API can await the future without holding a thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field

from attune.commands.models import Command


@dataclass
class Pending:
    """One caller's command, and the future that receives what became of it."""

    command: Command
    future: Future[int] = field(default_factory=Future)

    def answer(self, position: int = 0, error: BaseException | None = None) -> None:
        if error is not None:
            self.future.set_exception(error)
        else:
            self.future.set_result(position)


CommitGroup = Callable[[list[Pending]], None]  # answers every Pending it is given


class GroupCommitter:
    def __init__(self, commit_group: CommitGroup, max_group: int = 500) -> None:
        self._commit_group = commit_group
        self._max_group = max_group
        self._queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, command: Command) -> Future[int]:
        pending = Pending(command)
        self._queue.put(pending)
        if self._thread is None:
            self._start()
        return pending.future

    def _start(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            group = [self._queue.get()]
            while len(group) < self._max_group:
                try:
                    group.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                self._commit_group(group)
            except BaseException as failure:  # never leave a caller waiting
                for pending in group:
                    if not pending.future.done():
                        pending.answer(error=failure)
