"""A worker's record of its actions' process groups: a later life of its slot kills what a
crash left running, and only that."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from uuid import UUID

from attune.streams.worker.process_groups import ProcessGroups, WorkerSlot

RUN = UUID("019b0000-0000-7000-8000-0000000000a1")
OTHER_RUN = UUID("019b0000-0000-7000-8000-0000000000a2")


def action_tree(execution_id: UUID) -> subprocess.Popen[bytes]:
    """A shell, its sleep, and a child shell with two sleeps: five processes in their own
    group, as a runner starts an action."""
    return subprocess.Popen(
        ["/bin/sh", "-c", "sh -c 'sleep 300 & sleep 300' & sleep 300"],
        env={**os.environ, "ATTUNE_EXEC_ID": str(execution_id)},
        start_new_session=True,
    )


def alive_in_group(group: int) -> int:
    count = 0
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path("/proc", entry, "stat").read_text().rsplit(") ", 1)[1].split()
        except OSError:
            continue
        if int(stat[2]) == group and stat[0] != "Z":
            count += 1
    return count


def test_a_later_life_kills_the_recorded_groups_and_nothing_else(tmp_path: Path) -> None:
    leftover, unrelated = action_tree(RUN), action_tree(OTHER_RUN)
    try:
        time.sleep(0.3)  # (the shells start their children)
        ProcessGroups(tmp_path).started(RUN, leftover.pid)
        ProcessGroups(tmp_path).started(OTHER_RUN, 999_999)  # its group is long gone
        assert alive_in_group(leftover.pid) == 5

        killed = ProcessGroups(tmp_path).kill_leftovers()

        assert killed == {RUN: 5, OTHER_RUN: 0}
        leftover.wait(5)
        time.sleep(0.2)
        assert alive_in_group(leftover.pid) == 0
        assert alive_in_group(unrelated.pid) == 5  # not recorded: not touched
        assert list(tmp_path.iterdir()) == []  # and nothing is killed twice
    finally:
        os.killpg(unrelated.pid, 9)
        unrelated.wait(5)


def test_a_run_that_ended_is_no_longer_recorded(tmp_path: Path) -> None:
    groups = ProcessGroups(tmp_path)
    groups.started(RUN, 12345)
    groups.ended(RUN)
    assert groups.kill_leftovers() == {}


def test_each_worker_of_a_pool_holds_its_own_slot_and_a_freed_one_is_taken_again(
    tmp_path: Path,
) -> None:
    first, second = WorkerSlot(tmp_path, "local"), WorkerSlot(tmp_path, "local")
    assert (first.directory.name, second.directory.name) == ("local-0", "local-1")
    first.release()
    again = WorkerSlot(tmp_path, "local")
    assert again.directory.name == "local-0"  # the next life finds what the first left
    for slot in (second, again):
        slot.release()
