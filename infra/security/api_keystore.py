"""Keystore lookups of distributed workers: through the API, as the workers' service account.

A distributed worker has no database. It resolves `{{ keystore.NAME }}` references by
asking the API for each (scope, owner) of the run's search order, with the API key of a
service account holding `key:resolve` (the `worker` role). An encrypted value comes back
sealed; the worker opens it with the keyring just before the action gets it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from attune.domain.keystore import KeyScope
from attune.infra.settings import Settings

MISSING_TOKEN = (
    "keystore references need the workers' service-account token: set ATTUNE_WORKER_TOKEN "
    "to an API key of an identity with the `worker` role (`attune api` keeps one in "
    "{path} for workers sharing its state directory)"
)


def worker_token(settings: Settings) -> Callable[[], str]:
    """The token, read when needed: `attune api` may write its file after the worker started.
    Raises LookupError, saying where it is looked for, when there is none."""

    def token() -> str:
        if settings.worker_token is not None:
            return settings.worker_token.get_secret_value()
        path = settings.worker_token_file
        found = path.read_text().strip() if path.exists() else ""
        if not found:
            raise LookupError(MISSING_TOKEN.format(path=path))
        return found

    return token


class ApiKeyFinder:
    """A `KeyFinder` over `GET /api/v1/keys/{scope}/{name}/sealed`."""

    def __init__(self, client: httpx.Client, token: Callable[[], str]) -> None:
        self._client = client
        self._token = token

    def __call__(self, name: str, scope: KeyScope, owner: str | None) -> dict[str, Any] | None:
        token = self._token()
        try:
            response = self._client.get(
                f"/api/v1/keys/{KeyScope(scope).value}/{quote(name, safe='')}/sealed",
                params={"owner": owner} if owner else None,
                headers={"Authorization": f"Bearer {token}"},
            )
        except httpx.TransportError as problem:
            raise LookupError(
                f"cannot reach the API at {self._client.base_url} to resolve keystore "
                f"references: {problem}"
            ) from None
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise LookupError(
                f"the workers' service-account token may not resolve keystore references "
                f"({response.status_code}: {_detail(response)})"
            )
        response.raise_for_status()
        found: dict[str, Any] = response.json()
        return found


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text
