"""The process groups of the actions a worker runs, recorded so that no crash leaves any
behind.

Each action runs in its own process group (its children too), so a worker that is killed
does not take them with it. A worker therefore records every run it starts as one small
file (the run's id, holding the group's id) in its slot directory, and removes it when the
process has ended. A worker's slot is `<state dir>/workers/<pool>-<n>`, held under a file
lock for the worker's life: the next worker of the pool started on the same state
directory takes the first free slot, so it finds what a dead predecessor left and kills
it before it takes work. A process is killed only if it is in the recorded group and
carries the run's `ATTUNE_EXEC_ID` in its environment, so a process group id reused by
the system since is never hit.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import signal
from pathlib import Path
from typing import IO
from uuid import UUID

log = logging.getLogger(__name__)


class ProcessGroups:
    """One worker's record of the process groups of its running actions."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)

    def started(self, execution_id: UUID, group: int) -> None:
        path = self.directory / str(execution_id)
        partial = path.with_suffix(".new")
        with os.fdopen(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(str(group))
        partial.replace(path)  # (whole or absent, even if the worker dies right now)

    def ended(self, execution_id: UUID) -> None:
        (self.directory / str(execution_id)).unlink(missing_ok=True)

    def kill_leftovers(self) -> dict[UUID, int]:
        """Kill the processes of every run recorded here (a previous life's); how many
        processes each run still had."""
        killed: dict[UUID, int] = {}
        for path in sorted(self.directory.glob("*-*-*-*-*")):
            if path.suffix == ".new":
                path.unlink(missing_ok=True)
                continue
            execution_id, group = UUID(path.name), int(path.read_text())
            pids = _processes_of(execution_id, group)
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            killed[execution_id] = len(pids)
            path.unlink()
        return killed


def _processes_of(execution_id: UUID, group: int) -> list[int]:
    """The live processes in `group` that a run of `execution_id` started."""
    marker = f"ATTUNE_EXEC_ID={execution_id}".encode()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            if os.getpgid(pid) != group:
                continue
            environment = Path("/proc", entry, "environ").read_bytes().split(b"\0")
        except (OSError, ProcessLookupError):
            continue  # it ended meanwhile, or it is not ours to read
        if marker in environment:
            found.append(pid)
    return found


class WorkerSlot:
    """The directory a worker of `pool` holds for its life, under `root`."""

    def __init__(self, root: Path, pool: str) -> None:
        # (private, as everything in the state directory: only its owner may enter)
        root.mkdir(mode=0o700, parents=True, exist_ok=True)
        n = 0
        while True:
            directory = root / f"{pool}-{n}"
            directory.mkdir(mode=0o700, exist_ok=True)
            descriptor = os.open(directory / "lock", os.O_WRONLY | os.O_CREAT, 0o600)
            lock: IO[bytes] = os.fdopen(descriptor, "ab")  # (held for the worker's life)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                lock.close()
                n += 1
                continue
            self.directory, self._lock = directory, lock
            return

    def cleaned_groups(self) -> ProcessGroups:
        """The slot's record, once what a previous life of its worker left is killed."""
        groups = ProcessGroups(self.directory / "running")
        for execution_id, count in groups.kill_leftovers().items():
            log.warning(
                "killed %d process(es) left running by execution %s (its worker died)",
                count,
                execution_id,
            )
        return groups

    def release(self) -> None:
        self._lock.close()
