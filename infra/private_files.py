"""Files only their owner may read (keys, tokens): created with mode 0600 from the start."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, content: bytes, *, replace: bool = True) -> None:
    """Create (or, with `replace`, replace) `path`, readable and writable by its owner only.

    Keys are written with `replace=False`: an existing key is never overwritten, and
    FileExistsError says another writer (perhaps a process started at the same moment) was
    first. Either way `path` never shows a half-written file, even after a crash.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
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
