"""Files and directories only their owner may read (keys, tokens, the state directory and
its databases): created with mode 0600 (files) or 0700 (directories) from the start, and
brought to those modes when an older version left them more open."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# The files SQLite keeps beside a database. SQLite creates them with the database file's
# mode, so they are private once it is; those left by older versions are fixed here.
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")


def write_private_file(path: Path, content: bytes, *, replace: bool = True) -> None:
    """Create (or, with `replace`, replace) `path`, readable and writable by its owner only.

    Keys are written with `replace=False`: an existing key is never overwritten, and
    FileExistsError says another writer (perhaps a process started at the same moment) was
    first. Either way `path` never shows a half-written file, even after a crash.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}-{os.urandom(4).hex()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        if replace:
            os.replace(partial, path)
        else:
            os.link(partial, path)  # fails if `path` exists: the first writer wins
    finally:
        partial.unlink(missing_ok=True)


def private_directory(path: Path) -> None:
    """Make `path` (and any missing parents) a directory only its owner may enter: 0700."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _restrict(path, 0o700)  # mkdir leaves an existing directory as it was


def private_file(path: Path) -> None:
    """Make `path` a file only its owner may read, creating it empty if it is missing.

    Created here rather than by whoever writes it next (SQLite, say), which would create it
    by the umask, usually 0644; the umask is process-wide, so it is not changed for this.
    """
    os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))  # needs no write access
    _restrict(path, 0o600)  # an existing file keeps its mode through os.open


def private_sqlite_database(path: Path) -> None:
    """Make the SQLite database `path` private before SQLite opens it, with its companions."""
    private_file(path)  # an empty file is an empty database to SQLite
    for suffix in SQLITE_COMPANIONS:
        with contextlib.suppress(FileNotFoundError):  # none, or SQLite just removed it
            _restrict(path.with_name(path.name + suffix), 0o600)


def _restrict(path: Path, mode: int) -> None:
    try:
        os.chmod(path, mode)
    except PermissionError:  # not ours (a shared mount, say): say so, but do not refuse to run
        log.warning("cannot make %s private (mode %o): it belongs to another user", path, mode)
