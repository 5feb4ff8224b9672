"""One `attune up` per state directory: an exclusive lock on `<state dir>/attune.lock`.

The first to use a state directory, the lock also makes it private (docs/keystore.md).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import IO

from attune.infra.security.private_files import private_directory, private_file


class StateDirectoryBusy(Exception):
    pass


class StateLock:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "attune.lock"
        self._file: IO[str] | None = None

    def acquire(self) -> StateLock:
        private_directory(self.path.parent)
        private_file(self.path)
        file = open(self.path, "a+")  # noqa: SIM115 (held open for the process's lifetime)
        try:
            fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            file.seek(0)
            holder = file.read().strip() or "another process"
            file.close()
            raise StateDirectoryBusy(
                f"Attune is already running on {self.path.parent} (pid {holder}); stop it first"
            ) from None
        file.seek(0)
        file.truncate()
        file.write(str(os.getpid()))
        file.flush()
        self._file = file
        return self

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
