"""Files only their owner may read (keys, tokens): created with mode 0600 from the start."""

from __future__ import annotations

import os
from pathlib import Path


def write_private_file(path: Path, content: bytes, *, replace: bool = True) -> None:
    """Create (or, with `replace`, replace) `path`, readable and writable by its owner only.

    Keys are written with `replace=False`: an existing key is never overwritten.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if not replace:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
        return
    partial = path.with_name(path.name + ".partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(content)
    os.replace(partial, path)  # never a half-written key, even after a crash
