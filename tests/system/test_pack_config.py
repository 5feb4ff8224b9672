"""A pack's configuration in a real `attune up`: a rule renders its plain values, its secret
one reaches only a secret parameter (sealed in every event), and a rule that would put the
secret into a plain parameter is refused when the pack loads. (The distributed processes
run the same in `test_distributed.py`.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.harness import (
    CONFIG_SECRET,
    configured_pack_end_to_end,
    write_configured_vault_pack,
)

pytestmark = pytest.mark.slow


def test_rules_read_the_packs_configuration_and_its_secret_stays_sealed(
    attune_up,  # type: ignore[no-untyped-def]
    tmp_path: Path,
) -> None:
    received = tmp_path / "received.json"
    write_configured_vault_pack(tmp_path / "run" / "packs", received)
    attune = attune_up("--no-examples")
    with attune.client() as api:
        configured_pack_end_to_end(api, received, attune.log)
    attune.stop()

    stored = attune.stored_bytes()
    assert len(stored) > 10_000 and CONFIG_SECRET.encode() not in stored
