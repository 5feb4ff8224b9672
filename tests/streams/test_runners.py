"""Runners against real subprocesses: stdin JSON, environment, exit codes, timeouts, stop."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from attune.domain.definitions import ActionDefinition
from attune.domain.parameters import ParameterSpec
from attune.streams.worker.runners import ActionContext, Deadlines, RunStop, run_subprocess

ID = UUID("019b0000-0000-7000-8000-000000000001")
CMD = {"cmd": ParameterSpec(type="string", required=True)}


def shell_cmd(**fields: Any) -> ActionDefinition:
    return ActionDefinition(
        ref="core.local",
        pack="core",
        name="local",
        runner_type="local-shell-cmd",
        parameters=CMD,
        **fields,
    )


def run(
    action: ActionDefinition,
    parameters: dict[str, Any],
    tmp_path: Path,
    stop: RunStop | None = None,
    kill_grace: float = 5.0,
) -> Any:
    return run_subprocess(
        action,
        ID,
        parameters,
        action.timeout or 600,
        lambda pack, entry: tmp_path / entry,
        ActionContext("http://api", "tok"),
        stop or RunStop(),
        kill_grace=kill_grace,
    )


def test_parameters_arrive_as_one_json_object_on_stdin_with_context_in_the_environment(
    tmp_path: Path,
) -> None:
    script = tmp_path / "show.sh"
    script.write_text(
        f"env > {tmp_path}/env.txt; cat; echo\n"
        'echo "$ATTUNE_ACTION $ATTUNE_EXEC_ID $ATTUNE_API_URL $ATTUNE_API_TOKEN"\n'
    )
    action = ActionDefinition(
        ref="x.show",
        pack="x",
        name="show",
        entry_point="show.sh",
        runner_type="local-shell-script",
        parameters={"token": ParameterSpec(type="string")},
    )
    outcome = run(action, {"token": "abc"}, tmp_path)
    assert outcome.outcome == "succeeded"
    assert outcome.result["stdout"] == f'{{"token": "abc"}}\nx.show {ID} http://api tok'
    assert "abc" not in (tmp_path / "env.txt").read_text()  # never in the environment


def test_an_action_running_longer_than_a_stop_check_succeeds_with_all_its_output(
    tmp_path: Path,
) -> None:
    # The runner waits in short slices to notice stop requests; every slice after the
    # first must carry on the same communication, not start sending stdin again.
    outcome = run(shell_cmd(), {"cmd": "echo before; sleep 1.2; echo after"}, tmp_path)
    assert outcome.outcome == "succeeded", outcome.error
    assert outcome.result["stdout"] == "before\nafter"


def test_a_non_zero_exit_fails_with_the_code_and_keeps_the_output(tmp_path: Path) -> None:
    outcome = run(shell_cmd(), {"cmd": "echo out; echo err >&2; exit 4"}, tmp_path)
    assert outcome.outcome == "failed" and "exited with code 4" in outcome.error
    assert outcome.result == {"exit_code": 4, "stdout": "out", "stderr": "err"}


def test_json_output_is_parsed_and_bad_json_fails_the_run(tmp_path: Path) -> None:
    good = run(shell_cmd(output_format="json"), {"cmd": "echo '{\"n\": 1}'"}, tmp_path)
    assert good.outcome == "succeeded" and good.result["data"] == {"n": 1}
    bad = run(shell_cmd(output_format="json"), {"cmd": "echo nope"}, tmp_path)
    assert bad.outcome == "failed" and "not valid JSON" in bad.error


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    marker = tmp_path / "child-survived"
    started = time.monotonic()
    outcome = run(shell_cmd(timeout=0.5), {"cmd": f"(sleep 2; touch {marker}) & sleep 5"}, tmp_path)
    assert outcome.outcome == "timeout" and "longer than 0.5 s" in outcome.error
    assert time.monotonic() - started < 3
    time.sleep(2.5)
    assert not marker.exists()  # the background child died with its group


def test_a_stop_request_ends_a_running_action_promptly(tmp_path: Path) -> None:
    stop = RunStop()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    outcome = run(shell_cmd(), {"cmd": "sleep 30"}, tmp_path, stop)
    assert outcome.outcome == "stopped"  # (the worker says why: a cancel, a shutdown)
    assert outcome.result is not None and outcome.result["exit_code"] == -signal.SIGTERM
    assert time.monotonic() - started < 3


def test_an_action_that_ignores_sigterm_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    stop = RunStop()
    threading.Timer(0.3, stop.set).start()
    started = time.monotonic()
    # (its child ignores SIGTERM too: the whole group gets SIGKILL)
    cmd = "trap '' TERM; sh -c 'trap \"\" TERM; sleep 30' & sleep 30; wait"
    outcome = run(shell_cmd(), {"cmd": cmd}, tmp_path, stop, kill_grace=0.7)
    took = time.monotonic() - started
    assert outcome.outcome == "stopped"
    assert outcome.result["exit_code"] == -signal.SIGKILL
    assert 1.0 <= took < 3  # 0.3 s, then the grace period, then SIGKILL


def test_a_missing_entry_point_fails_clearly(tmp_path: Path) -> None:
    action = ActionDefinition(
        ref="x.py", pack="x", name="py", entry_point="gone.py", runner_type="python-script"
    )
    outcome = run(action, {}, tmp_path)
    assert outcome.outcome == "failed" and outcome.result["exit_code"] != 0
    assert "gone.py" in outcome.result["stderr"]


def test_deadlines_run_in_time_order_and_a_canceled_one_never_and_stay_bounded() -> None:
    deadlines, ran = Deadlines(), list[str]()
    done = threading.Event()
    now = time.monotonic()

    def last() -> None:
        ran.append("late")
        done.set()

    deadlines.add(now + 0.2, last)
    canceled = deadlines.add(now + 0.1, lambda: ran.append("canceled"))
    deadlines.add(now + 0.05, lambda: ran.append("early"))
    deadlines.cancel(canceled)
    assert done.wait(5) and ran == ["early", "late"]
    for _ in range(10_000):  # runs that end before their deadline
        deadlines.cancel(deadlines.add(time.monotonic() + 600, lambda: None))
    assert len(deadlines._due) < 200
