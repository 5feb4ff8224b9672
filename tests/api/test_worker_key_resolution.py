"""Distributed workers resolve keystore references through the API, as a service account.

The worker's `ApiKeyFinder` asks `GET /api/v1/keys/{scope}/{name}/sealed` for each place
of the run's search order. The `worker` role may do that and nothing else; an encrypted
value travels sealed and only the worker's keyring opens it.
"""

from __future__ import annotations

from pathlib import Path
from uuid import UUID

import httpx
import pytest
from api_harness import T0
from fastapi.testclient import TestClient

from attune.commands import models as m
from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.identity import IdentityKind
from attune.domain.keystore import KeyScope
from attune.infra.security.api_keystore import ApiKeyFinder, worker_token
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.secret_box import AesGcmSecretBox
from attune.infra.settings import Settings
from attune.projections.projector import Projector
from attune.streams.worker.keystore_references import KeyNotFound, keystore_lookup
from tests.system.harness import free_port


def _service_account(
    commands: CommandService, credentials: LocalCredentials, login: str, role: str, n: int
) -> str:
    commands.execute(
        m.CreateIdentity(actor="t", at=T0, login=login, kind=IdentityKind.SERVICE, roles=[role])
    )
    key_id = UUID(int=(0x019B << 112) | (7 << 76) | (0x2000 + n))
    key, secret_hash = credentials.new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="t", at=T0, key_id=key_id, login=login, name="w", secret_hash=secret_hash
        )
    )
    return key


@pytest.fixture
def tokens(
    commands: CommandService, credentials: LocalCredentials, store: EventStore, projector: Projector
) -> dict[str, str]:
    keys = {
        "worker": _service_account(commands, credentials, "attune-worker", "worker", 1),
        "observer": _service_account(commands, credentials, "watcher", "observer", 2),
    }
    for name, scope, owner, value, encrypt in [
        ("db_password", KeyScope.PACK, "vault", "pack-Secret-81", True),
        ("db_password", KeyScope.USER, "alice", "alice-Secret-22", True),
        ("region", KeyScope.SYSTEM, None, {"name": "eu-west"}, False),
    ]:
        commands.execute(
            SetKey(
                actor="t", at=T0, name=name, scope=scope, owner=owner, value=value, encrypt=encrypt
            )
        )
    projector.catch_up(store)
    return keys


def test_the_worker_role_resolves_references_in_search_order_with_values_still_sealed(
    client: TestClient, tokens: dict[str, str], secret_box: AesGcmSecretBox
) -> None:
    find = ApiKeyFinder(TestClient(client.app), lambda: tokens["worker"])

    sealed = find("db_password", KeyScope.PACK, "vault")
    assert sealed is not None and sealed["encrypted"] is True
    assert "pack-Secret-81" not in str(sealed)  # the API hands over ciphertext only
    assert find("db_password", KeyScope.PACK, "other") is None

    alice = keystore_lookup(find, secret_box, "alice", "vault")
    assert alice("db_password") == "alice-Secret-22"  # the requester's own key comes first
    assert alice("region") == {"name": "eu-west"}
    rule_caused = keystore_lookup(find, secret_box, None, "vault")
    assert rule_caused("db_password") == "pack-Secret-81"
    with pytest.raises(KeyNotFound, match="no key 'nothing'"):
        rule_caused("nothing")


def test_other_credentials_are_refused_with_a_reason_naming_the_token(
    client: TestClient, tokens: dict[str, str]
) -> None:
    api = TestClient(client.app)
    observer = ApiKeyFinder(api, lambda: tokens["observer"])
    with pytest.raises(LookupError, match="403: .*key:resolve"):
        observer("region", KeyScope.SYSTEM, None)

    missing = ApiKeyFinder(
        api, worker_token(Settings(state_dir=Path("/srv/attune"), worker_token=None))
    )
    with pytest.raises(LookupError, match="ATTUNE_WORKER_TOKEN.*/srv/attune/worker-token"):
        missing("region", KeyScope.SYSTEM, None)

    with httpx.Client(base_url=f"http://127.0.0.1:{free_port()}") as nowhere:
        unreachable = ApiKeyFinder(nowhere, lambda: tokens["worker"])
        with pytest.raises(LookupError, match="cannot reach the API at http://127.0.0.1:"):
            unreachable("region", KeyScope.SYSTEM, None)

    # The worker role opens nothing else of the API.
    as_worker = {"Authorization": f"Bearer {tokens['worker']}"}
    assert api.get("/api/v1/keys/system/region", headers=as_worker).status_code == 403
    assert api.get("/api/v1/executions", headers=as_worker).status_code == 403
