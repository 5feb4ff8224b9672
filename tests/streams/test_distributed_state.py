"""State the distributed host keeps: duplicate filtering, table-backed id sets, and the
offsets a worker may commit."""

from __future__ import annotations

from uuid import UUID

from aiokafka import TopicPartition

from attune.domain.execution import Execution
from attune.streams.delivered_events import FirstDelivery
from attune.streams.faust_app import TableIdSets
from attune.streams.worker.kafka_host import OpenExecutions
from tests.streams.events import CAUSE, pending_events

A = UUID("019b0000-0000-7000-8000-00000000000a")
B = UUID("019b0000-0000-7000-8000-00000000000b")


def test_a_partition_delivers_each_position_once_until_it_is_forgotten() -> None:
    once = FirstDelivery()
    assert [once.first_time("p0", n) for n in (1, 3, 2, 3, 4)] == [True, True, False, False, True]
    assert once.first_time("p1", 2)  # partitions are independent
    once.forget(["p0"])
    assert once.first_time("p0", 1)  # read again after a rebalance


def test_id_sets_in_tables_behave_like_sets() -> None:
    table: dict[str, str] = {}
    sets = TableIdSets(table)  # faust tables are mappings; a dict stands in here
    for group, member in [("core.echo", A), ("core.echo", A), ("core.noop", B)]:
        sets.add(group, member)
    assert sets.members("core.echo") == {A} and sets.groups() == ["core.echo", "core.noop"]
    assert table == {str(A): "core.echo", str(B): "core.noop"}  # one small entry per member
    assert sets.remove(A) == "core.echo" and sets.remove(A) is None
    assert sets.groups() == ["core.noop"]


def test_a_worker_commits_no_further_than_its_oldest_open_execution() -> None:
    partition = TopicPartition("attune.events.execution", 0)
    first, second = (
        Execution.request(A, "core.echo", {}, CAUSE),
        Execution.request(B, "core.echo", {}, CAUSE),
    )
    first.schedule("local", CAUSE)
    second.schedule("gpu", CAUSE)  # another pool's run is not open here
    opened = OpenExecutions("local")
    for offset, event in enumerate([*pending_events(first), *pending_events(second)]):
        opened.see(partition, offset, event)
    assert opened.committable() == {partition: 0}  # A, requested at offset 0, is open

    first.claim("w1", CAUSE)
    first.succeed({}, "w1", CAUSE)
    for offset, event in enumerate(pending_events(first), start=4):
        opened.see(partition, offset, event)
    assert opened.committable() == {partition: 6}  # all ended or elsewhere: commit it all
