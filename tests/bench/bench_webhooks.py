"""Webhook ingress benchmark: `python tests/bench/bench_webhooks.py` prints one JSON line.

It starts a real `attune up` (separate process, fresh state directory, no example packs)
with one rule listening to the webhook `bench` (its criterion never holds, so the rule
engine evaluates every event and nothing runs) and sends, 20 at a time on kept-alive
connections (aiohttp), 3,000 `POST /api/v1/webhooks/bench` with a small JSON body and the
admin's API key: each 202 means the trigger event is stored. Then 3,000 signed calls
(`X-Attune-Signature`, no credential). The baseline, in the same run against the same
server and client: 3,000 `GET /health`. It checks that every webhook call stored its
event (the events API's total). Target: webhook requests/s at least half the `/health`
rate.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.system.harness import AttuneUp, wait_until, write_pack  # noqa: E402

REQUESTS = 3_000
CONCURRENCY = 20
SECRET = "bench-webhook-secret"
BODY = json.dumps({"service": "db", "status": 503, "tags": ["prod"]}).encode()
RULE = """\
name: on_bench
trigger: core.webhook
trigger_params: {url: bench}
criteria:
  trigger.body.never: {type: exists}
action: core.noop
"""


async def rate(url: str, method: str, path: str, headers: dict[str, str], body: bytes) -> float:
    """Requests/s answered 2xx, `CONCURRENCY` in flight."""
    remaining = iter(range(REQUESTS))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(base_url=url, headers=headers, connector=connector) as http:

        async def sender() -> None:
            for _ in remaining:
                async with http.request(method, path, data=body or None) as response:
                    if response.status >= 300:
                        raise RuntimeError(
                            f"{method} {path}: {response.status} {await response.text()}"
                        )
                    await response.read()

        started = time.perf_counter()
        await asyncio.gather(*(sender() for _ in range(CONCURRENCY)))
        return REQUESTS / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        write_pack(workdir / "packs", "bench", {"rules/on_bench.yaml": RULE})
        attune = AttuneUp(workdir, "--no-examples").start()
        try:
            with attune.client() as api:
                key = api.put(
                    "/api/v1/keys/system/webhook.bench", json={"value": SECRET, "encrypted": True}
                )
                assert key.status_code == 200, key.text
            json_type = {"Content-Type": "application/json"}
            signature = "sha256=" + hmac.new(SECRET.encode(), BODY, hashlib.sha256).hexdigest()
            hook = "/api/v1/webhooks/bench"
            figures = {
                "health_per_s": asyncio.run(rate(attune.url, "GET", "/health", {}, b"")),
                "webhook_per_s": asyncio.run(
                    rate(attune.url, "POST", hook, attune.headers | json_type, BODY)
                ),
                "signed_webhook_per_s": asyncio.run(
                    rate(
                        attune.url,
                        "POST",
                        hook,
                        json_type | {"X-Attune-Signature": signature},
                        BODY,
                    )
                ),
            }

            def stored() -> int:
                page = httpx.get(
                    f"{attune.url}/api/v1/events",
                    params={"trigger": "core.webhook", "limit": 1},
                    headers=attune.headers,
                ).json()
                return int(page["total"]) if page["total"] >= 2 * REQUESTS else 0

            assert wait_until(stored, timeout=120) == 2 * REQUESTS
        finally:
            attune.stop()
    ratio = figures["webhook_per_s"] / figures["health_per_s"]
    print(
        json.dumps(
            {key: round(value) for key, value in figures.items()}
            | {
                "ratio_to_health": round(ratio, 2),
                "signed_ratio_to_health": round(
                    figures["signed_webhook_per_s"] / figures["health_per_s"], 2
                ),
                "target_met": ratio >= 0.5,
            }
        )
    )


if __name__ == "__main__":
    main()
