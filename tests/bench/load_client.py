"""The distributed benchmark's load generator: HTTP requests to Attune's API at little CPU cost.

The client runs on the machine it measures, so every millisecond of CPU it spends is
taken from Attune. httpx on 32 threads (the embedded benchmark's client, left as its
figures were set with it) spent 1.4 ms per request at 200 requests/s and 7 ms at 50/s:
a seventh to a third of two cores. This client is one asyncio loop, aiohttp's C parser
and kept-alive connections: the benchmark's whole process, its read-model watcher
included, spends 0.7–0.8 ms per execution in a burst.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

import aiohttp

CONNECTIONS = 32  # requests in flight at most, as many kept-alive connections
NOOP = {"action": "core.noop", "parameters": {}}


class Watcher(Protocol):
    seen: dict[str, float]  # execution id -> perf_counter() when seen succeeded

    def wait_for(self, ids: list[str], timeout: float) -> None: ...


def _session(url: str, headers: dict[str, str]) -> aiohttp.ClientSession:
    return aiohttp.ClientSession(
        base_url=url,
        headers=headers,
        connector=aiohttp.TCPConnector(limit=CONNECTIONS),
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def _post_noop(session: aiohttp.ClientSession) -> tuple[str, float]:
    """Request a `core.noop` run: (its execution id, perf_counter() at the 202)."""
    async with session.post("/api/v1/executions", json=NOOP) as response:
        body = await response.json()
        if response.status != 202:
            raise RuntimeError(f"POST /api/v1/executions answered {response.status}: {body}")
        return body["id"], time.perf_counter()


def burst(url: str, count: int, headers: dict[str, str]) -> list[str]:
    """Request `count` noop runs as fast as the API answers; their execution ids."""

    async def run() -> list[str]:
        remaining = iter(range(count))
        ids: list[str] = []
        async with _session(url, headers) as session:

            async def sender() -> None:  # CONNECTIONS of these share the count
                for _ in remaining:
                    ids.append((await _post_noop(session))[0])

            await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
        return ids

    return asyncio.run(run())


def open_loop(
    url: str, rate: float, seconds: float, watcher: Watcher, headers: dict[str, str]
) -> dict[str, float]:
    """Send at a fixed rate regardless of answers; each execution id's latency in ms
    (succeeded seen - 202 received)."""

    async def run() -> list[tuple[str, float]]:
        loop = asyncio.get_running_loop()
        async with _session(url, headers) as session:
            start = loop.time()

            async def send(k: int) -> tuple[str, float]:
                await asyncio.sleep(start + k / rate - loop.time())
                return await _post_noop(session)

            return await asyncio.gather(*(send(k) for k in range(int(rate * seconds))))

    answered = asyncio.run(run())
    watcher.wait_for([i for i, _ in answered], timeout=120)
    return {i: (watcher.seen[i] - t) * 1000 for i, t in answered}
