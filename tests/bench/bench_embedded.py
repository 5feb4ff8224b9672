"""Embedded end-to-end benchmark: `python tests/bench/bench_embedded.py` prints one JSON line.

It starts a real `attune up` (separate process, fresh state directory) and measures:
  (a) throughput: a burst of 5,000 `core.noop` requests through the command API; executions/s
      until all are `succeeded` in the read model;
  (b) latency: an open-loop run at 80 % of (a); p50/p99 from each 202 to `succeeded` in the
      read model;
  (c) the server's RSS after 5,000 and after 10,000 executions.
`succeeded` is observed by reading the read-model database directly (a SQLite reader does
not load the server), every 2 ms. Baselines measured in the same run, on the same machine:
the same client's rate of `GET /health` against the same server (the HTTP ceiling) and
raw one-event-per-save eventsourcing writes on SQLite; the JSON reports ratios to both.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from uuid import UUID

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests.system.harness import AttuneUp  # noqa: E402

CLIENT_THREADS = 8


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class SucceededWatcher:
    """Records when each execution first appears as succeeded in the read model."""

    def __init__(self, read_db: Path) -> None:
        self.read_db = read_db
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> SucceededWatcher:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    poll_seconds = 0.002

    def _run(self) -> None:
        succeeded_after = self._reader()
        last = 0
        while not self._stop.is_set():
            rows = succeeded_after(last)
            now = time.perf_counter()
            for execution_id, mark in rows:
                self.seen.setdefault(execution_id, now)
                last = max(last, mark)
            time.sleep(self.poll_seconds)

    def _reader(self) -> Callable[[int], list[tuple[str, int]]]:
        """A query: (execution id, order mark) of the succeeded rows after a mark."""
        while not self.read_db.exists():
            time.sleep(0.01)
        db = sqlite3.connect(f"file:{self.read_db}?mode=ro", uri=True, timeout=5)

        def succeeded_after(last_rowid: int) -> list[tuple[str, int]]:
            try:
                return db.execute(
                    "SELECT execution_id, rowid FROM execution_history "
                    "WHERE status = 'succeeded' AND rowid > ? ORDER BY rowid",
                    (last_rowid,),
                ).fetchall()
            except sqlite3.OperationalError:  # table not created yet
                return []

        return succeeded_after

    def wait_for(self, ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not all(i in self.seen for i in ids):
            if time.monotonic() > deadline:
                missing = sum(1 for i in ids if i not in self.seen)
                raise TimeoutError(f"{missing} executions not succeeded after {timeout}s")
            time.sleep(0.01)


def post_noop(client: httpx.Client) -> tuple[str, float]:
    response = client.post("/api/v1/executions", json={"action": "core.noop", "parameters": {}})
    if response.status_code != 202:
        raise RuntimeError(response.text)
    return response.json()["id"], time.perf_counter()


def burst(url: str, count: int, headers: dict[str, str]) -> list[str]:
    per_thread = [
        count // CLIENT_THREADS + (i < count % CLIENT_THREADS) for i in range(CLIENT_THREADS)
    ]

    def send(n: int) -> list[str]:
        with httpx.Client(base_url=url, timeout=60, headers=headers) as client:
            return [post_noop(client)[0] for _ in range(n)]

    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        return [i for ids in pool.map(send, per_thread) for i in ids]


def health_rate(url: str, count: int) -> float:
    per_thread = count // CLIENT_THREADS

    def hit(_: int) -> None:
        with httpx.Client(base_url=url, timeout=60) as client:
            for _ in range(per_thread):
                client.get("/health").raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENT_THREADS) as pool:
        list(pool.map(hit, range(CLIENT_THREADS)))
    return per_thread * CLIENT_THREADS / (time.perf_counter() - started)


def raw_save_rate(directory: Path, count: int) -> float:
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate

    class Thing(Aggregate):
        pass

    app: Application[UUID] = Application(
        env={
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": str(directory / "raw.db"),
        }
    )
    started = time.perf_counter()
    for _ in range(count):
        app.save(Thing())
    return count / (time.perf_counter() - started)


def open_loop(
    url: str, rate: float, seconds: float, watcher: SucceededWatcher, headers: dict[str, str]
) -> list[float]:
    """Send at a fixed rate regardless of answers; latency = succeeded seen - 202 received."""
    total = int(rate * seconds)
    answered: list[tuple[str, float]] = []
    lock = threading.Lock()
    start = time.perf_counter()
    clients = threading.local()

    def send(k: int) -> None:
        delay = start + k / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        if not hasattr(clients, "c"):
            clients.c = httpx.Client(base_url=url, timeout=60, headers=headers)
        result = post_noop(clients.c)
        with lock:
            answered.append(result)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(send, range(total)))
    watcher.wait_for([i for i, _ in answered], timeout=120)
    return [(watcher.seen[i] - t) * 1000 for i, t in answered]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--latency-seconds", type=float, default=10)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        raw_saves = raw_save_rate(workdir, 3000)
        attune = AttuneUp(workdir / "run", "--no-examples").start()
        assert attune.process is not None
        pid = attune.process.pid
        watcher = SucceededWatcher(workdir / "run" / ".attune" / "read.db").start()
        try:
            health_rps = health_rate(attune.url, 4000)

            started = time.perf_counter()
            ids = burst(attune.url, args.burst, attune.headers)
            watcher.wait_for(ids, timeout=300)
            throughput = args.burst / (max(watcher.seen[i] for i in ids) - started)
            rss_after_5k = rss_mb(pid)

            latencies = open_loop(
                attune.url, 0.8 * throughput, args.latency_seconds, watcher, attune.headers
            )
            done = args.burst + len(latencies)
            if done < 2 * args.burst:
                more = burst(attune.url, 2 * args.burst - done, attune.headers)
                watcher.wait_for(more, timeout=300)
            rss_after_10k = rss_mb(pid)
        finally:
            watcher.stop()
            attune.stop()

    figures = {
        "benchmark": "embedded_end_to_end",
        "burst_executions": args.burst,
        "throughput_exec_per_s": round(throughput, 1),
        "target_throughput_exec_per_s": 300,
        "latency_rate_per_s": round(0.8 * throughput, 1),
        "latency_samples": len(latencies),
        "latency_p50_ms": round(percentile(latencies, 0.50), 1),
        "latency_p99_ms": round(percentile(latencies, 0.99), 1),
        "latency_mean_ms": round(statistics.fmean(latencies), 1),
        "target_latency_p50_ms": 50,
        "rss_mb_after_5k": round(rss_after_5k, 1),
        "rss_mb_after_10k": round(rss_after_10k, 1),
        "rss_growth_pct": round(100 * (rss_after_10k - rss_after_5k) / rss_after_5k, 1),
        "target_rss_mb": 250,
        "target_rss_growth_pct": 10,
        "baseline_health_requests_per_s": round(health_rps, 1),
        "baseline_raw_saves_per_s": round(raw_saves, 1),
        "ratio_throughput_to_health_rps": round(throughput / health_rps, 3),
        "ratio_throughput_to_raw_saves": round(throughput / raw_saves, 3),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
