"""The state directory is its owner's alone: the directory 0700, every file in it 0600.

The event store and the read models hold the same runs, results and users as the API, so
they get the key files' modes; state directories of older versions are fixed at start.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from attune.infra.bootstrap import build_embedded
from attune.infra.settings import Settings


@pytest.fixture(autouse=True)
def usual_umask() -> Iterator[None]:
    """The common umask (022), which alone would leave new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def start_and_stop(state: Path) -> None:
    embedded = build_embedded(Settings(state_dir=state, packs=[], examples=False))
    embedded.start()
    try:
        with embedded.read_engine.connect():  # the read models' files exist once connected
            pass
    finally:
        embedded.stop()


def assert_private(state: Path) -> None:
    assert mode(state) == 0o700
    files = [p for p in state.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"events.db", "read.db"} <= names
    assert {"events.db-wal", "read.db-wal"} & names  # the write-ahead logs are covered too
    assert {p.name: oct(mode(p)) for p in files} == {p.name: oct(0o600) for p in files}


def test_a_new_state_directory_and_its_databases_are_private(tmp_path: Path) -> None:
    state = tmp_path / "state"
    start_and_stop(state)
    assert_private(state)


def test_the_state_directory_of_an_older_version_is_made_private_at_start(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    start_and_stop(state)
    state.chmod(0o755)  # as older versions left them (their key files were 0600 already)
    (state / "events.db-shm").touch()  # perhaps left over by a crash
    for path in [*state.glob("*.db*"), state / "attune.lock"]:
        path.chmod(0o644)

    start_and_stop(state)

    assert_private(state)
