"""Webhooks in a real `attune up`: a call in fires a rule's run, named (with a credential or
a signature) and generic; refused calls store nothing; no credential sent with a webhook is
in the store. (The distributed processes run the same in `test_distributed.py`.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.system.harness import WEBHOOK_RULE, WEBHOOK_SECRET, webhooks_end_to_end, write_pack

pytestmark = pytest.mark.slow


def test_webhooks_fire_rules_and_no_credential_is_stored(attune_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_pack(tmp_path / "run" / "packs", "ops", {"rules/on_deploy.yaml": WEBHOOK_RULE})
    attune = attune_up("--no-examples")
    with attune.client() as api:
        webhooks_end_to_end(api)
    token = attune.headers["Authorization"].removeprefix("Bearer ")
    attune.stop()

    stored = attune.stored_bytes()
    assert len(stored) > 10_000  # the store and the read models were read
    assert token.encode() not in stored and WEBHOOK_SECRET.encode() not in stored
