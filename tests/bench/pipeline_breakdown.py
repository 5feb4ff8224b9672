"""Where the distributed benchmark's time and CPU go: per process, and per pipeline stage.

`CpuMeter` reads each process's CPU time (user + system) from /proc, so the benchmark can
say how many milliseconds of CPU each process spent per execution. `stage_p50_ms` reads
the timestamps the producers put on the execution and commands topics and names, for
each stage of a noop run, the median time it took.
"""

from __future__ import annotations

import os
import statistics
import time
from datetime import datetime
from pathlib import Path

import orjson
from kafka import KafkaConsumer, TopicPartition

from attune.infra.kafka.topics import STREAM_TOPICS

STAGES = ["api_to_relay", "scheduler", "commands_relay", "worker", "commands_projector"]


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:  # ended since: its time is no longer counted anywhere
        return 0.0
    fields = stat.rpartition(")")[2].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def pids_running(marker: str) -> list[int]:
    """The processes whose command line contains `marker` (e.g. the broker's port)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if marker in (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode():
                    pids.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
    return pids


class CpuMeter:
    """CPU used by named groups of processes between `start()` and `ms_per(n)`."""

    def __init__(self, groups: dict[str, list[int]]) -> None:
        self.groups = {name: pids for name, pids in groups.items() if pids}
        self._start: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: sum(map(_cpu_seconds, pids)) for name, pids in self.groups.items()}

    def start(self) -> None:
        self._start = self._now()

    def ms_per(self, executions: int) -> dict[str, float]:
        used = {name: spent - self._start[name] for name, spent in self._now().items()}
        return {name: round(1000 * spent / executions, 2) for name, spent in used.items()}

    def ms_per_second(self, elapsed: float) -> dict[str, float]:
        """CPU milliseconds per second of wall time since `start()` (1,000 = one core)."""
        return {name: round(ms / elapsed) for name, ms in self.ms_per(1).items()}


def _records(bootstrap: str, topic: str) -> list[tuple[float, dict[str, object]]]:
    """(producer timestamp in s, JSON value) of every record of a topic."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    ends = consumer.end_offsets(partitions)
    records = []
    while any(consumer.position(p) < ends[p] for p in partitions):
        for messages in consumer.poll(500, max_records=5000).values():
            records += [(m.timestamp / 1000, orjson.loads(m.value)) for m in messages]
    consumer.close()
    return records


def stage_p50_ms(bootstrap: str, seen: dict[str, float], ids: list[str]) -> dict[str, float]:
    """For these noop runs, the median time of each stage, from the topics' timestamps.

    `seen` maps each run to the `time.perf_counter()` at which the read model showed it
    succeeded. Stages: the API's commit to the relay's publish of the request; the
    scheduler's command; the command service and relay (scheduled); the worker's claim;
    the command service and projector (succeeded in the read model).
    """
    published: dict[tuple[object, object], float] = {}
    requested_at: dict[object, float] = {}
    for at, event in _records(bootstrap, STREAM_TOPICS.executions):
        published.setdefault((event["aggregate_id"], event["type"]), at)  # first publication
        if event["type"] == "execution.requested":
            requested_at[event["aggregate_id"]] = datetime.fromisoformat(
                str(event["occurred_at"])
            ).timestamp()
    sent: dict[tuple[object, object], float] = {}
    for at, command in _records(bootstrap, STREAM_TOPICS.commands):
        sent.setdefault((command.get("execution_id"), command["type"]), at)
    wall = time.time() - time.perf_counter()  # `seen` is on the perf_counter clock
    stages: dict[str, list[float]] = {}
    for i in ids:
        marks = [
            requested_at[i],
            published[(i, "execution.requested")],
            sent[(i, "ScheduleExecution")],
            published[(i, "execution.scheduled")],
            sent[(i, "ClaimExecution")],
            seen[i] + wall,
        ]
        for name, begin, end in zip(STAGES, marks[:-1], marks[1:], strict=True):
            stages.setdefault(name, []).append(end - begin)
    return {name: round(1000 * statistics.median(values), 1) for name, values in stages.items()}
