"""Processes started at the same moment on one state directory share its keys.

Distributed mode starts the API, the command service and workers together on one state
directory; each creates the keyring and the signing key if they are missing. Exactly one
key of each must result, every process must end up using it, and none may crash.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROCESSES = 12
SCRIPT = """
import sys, time
from pathlib import Path
from attune.infra.security.secret_box import open_keyring
from attune.infra.security.tokens import load_or_create_signing_key
state = Path(sys.argv[1])
while not (state / "go").exists():
    time.sleep(0.001)
box = open_keyring(state)
sealed = box.seal("shared")
key = load_or_create_signing_key(state / "signing.key")
print(key.hex(), sealed, flush=True)
"""


def test_processes_starting_together_create_one_keyring_and_one_signing_key(
    tmp_path: Path,
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    starting = [
        subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(state)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    (state / "go").touch()  # all of them are waiting: let them race
    results = [process.communicate(timeout=60) for process in starting]
    for process, (_, errors) in zip(starting, results, strict=True):
        assert process.returncode == 0, errors
    signing_keys = {out.split()[0] for out, _ in results}
    assert signing_keys == {(state / "signing.key").read_bytes().hex()}

    from attune.infra.security.secret_box import open_keyring

    box = open_keyring(state)  # whoever sealed, the one keyring on disk unseals it
    assert {box.unseal(out.split()[1]) for out, _ in results} == {"shared"}
    assert not list(state.glob("*.partial"))
