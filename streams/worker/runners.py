"""Runners: how an action's code is run once a worker holds its claim.

The worker hands each run to the `ActionRunner` of its action's runner type (the port a
later runtime, a container say, implements); `noop` needs none: the worker ends it
in-process. `SubprocessRunner` runs `local-shell-cmd`, `local-shell-script` and
`python-script`: a subprocess in its own process group with the
parameters as ONE JSON object on stdin (never in the environment), `ATTUNE_ACTION`,
`ATTUNE_EXEC_ID`, `ATTUNE_API_URL` and `ATTUNE_API_TOKEN` (its execution-scoped token)
in its environment, capture stdout, stderr and the
exit code, and stop the whole group when the action's timeout passes or the worker asks
(a cancel, a shutdown): SIGTERM, then SIGKILL after the kill grace period. What they return has
the run's secrets masked (`mask`, from the worker), output masked before it is truncated so
a cut cannot leave part of a secret behind.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol
from uuid import UUID

from attune.domain.definitions import ActionDefinition
from attune.domain.secrets import Mask, masking
from attune.streams.worker.process_groups import ProcessGroups

DEFAULT_KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
MAX_OUTPUT_CHARS = 1_000_000  # larger output is truncated so events stay bounded
# ("stopped": the worker asked the run to stop, and the worker knows why)
Outcome = Literal["succeeded", "failed", "timeout", "canceled", "stopped"]
EntryPointLocator = Callable[[str, str], Path]  # (pack ref, entry point) -> the file
NOTHING_TO_MASK = masking(())


@dataclass(frozen=True)
class ActionContext:
    """How the action reaches Attune's API: its address and the execution's own token."""

    api_url: str
    api_token: str


class Deadlines:
    """One thread that runs each registered action when its deadline (monotonic seconds)
    comes, sleeping until the nearest one; a canceled one never runs. (A thread per run
    would cost each run a thread start; most runs end long before their deadline, so
    canceled entries are dropped in bulk once they are half of what is kept.)"""

    def __init__(self) -> None:
        self._due: list[tuple[float, int, Callable[[], None]]] = []
        self._live: set[int] = set()
        self._count = itertools.count()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, at: float, action: Callable[[], None]) -> int:
        with self._changed:
            handle = next(self._count)
            heapq.heappush(self._due, (at, handle, action))
            self._live.add(handle)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="deadlines", daemon=True)
                self._thread.start()
            if self._due[0][1] == handle:  # the nearest now: the thread must wake sooner
                self._changed.notify()
            return handle

    def cancel(self, handle: int) -> None:
        with self._changed:
            self._live.discard(handle)
            if len(self._due) > 2 * len(self._live) + 64:
                self._due = [entry for entry in self._due if entry[1] in self._live]
                heapq.heapify(self._due)

    def _run(self) -> None:
        while True:
            with self._changed:
                while self._due and self._due[0][1] not in self._live:
                    heapq.heappop(self._due)
                if not self._due:
                    self._changed.wait()
                    continue
                at, handle, action = self._due[0]
                if at > time.monotonic():
                    self._changed.wait(at - time.monotonic())
                    continue
                heapq.heappop(self._due)
                self._live.discard(handle)
            action()


DEADLINES = Deadlines()


class RunStop:
    """A run's stop request (a cancel, a shutdown). Setting it runs the action the runner
    registered for it (`when_set`) at once, in the setter's thread: the runner waits for
    its process, not for the request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._set = False
        self._action: Callable[[], None] | None = None

    def set(self) -> None:
        with self._lock:
            if self._set:
                return
            self._set = True
            action = self._action
        if action is not None:
            action()

    def is_set(self) -> bool:
        return self._set

    def when_set(self, action: Callable[[], None] | None) -> None:
        """Run `action` when the request comes (now, if it came already); None: no more."""
        with self._lock:
            self._action = action
            already = self._set
        if already and action is not None:
            action()


@dataclass(frozen=True)
class RunResult:
    outcome: Outcome
    result: dict[str, Any] | None
    error: str | None = None


class ActionRunner(Protocol):
    """Runs one action to its end, past `timeout` seconds (then its outcome is
    ``timeout``), or until `stop` is set (``stopped``); `mask` hides the run's secrets in
    what it returns."""

    def run(
        self,
        action: ActionDefinition,
        execution_id: UUID,
        parameters: dict[str, Any],
        timeout: float,
        context: ActionContext,
        stop: RunStop,
        mask: Mask,
    ) -> RunResult: ...


def _text(raw: bytes, mask: Mask) -> str:
    text = raw.decode("utf-8", errors="replace")
    if text.endswith("\n"):
        text = text[:-1]
    text = mask(text)
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + "\n[output truncated]"
    return text


def command_line(
    action: ActionDefinition, parameters: dict[str, Any], locate: EntryPointLocator
) -> list[str]:
    if action.runner_type == "local-shell-cmd":
        return ["/bin/sh", "-c", str(parameters["cmd"])]
    assert action.entry_point is not None  # guaranteed by ActionDefinition's validation
    script = str(locate(action.pack, action.entry_point))
    if action.runner_type == "python-script":
        return [sys.executable, script]
    return ["/bin/sh", script]


def run_subprocess(
    action: ActionDefinition,
    execution_id: UUID,
    parameters: dict[str, Any],
    timeout: float,
    locate: EntryPointLocator,
    context: ActionContext,
    stop: RunStop,
    mask: Mask = NOTHING_TO_MASK,
    kill_grace: float = DEFAULT_KILL_GRACE,
    groups: ProcessGroups | None = None,
) -> RunResult:
    """Run the action to its end, past `timeout`, or until `stop` is set; `groups` records
    its process group while it runs."""
    env = dict(os.environ)
    env.update(
        ATTUNE_ACTION=action.ref,
        ATTUNE_EXEC_ID=str(execution_id),
        ATTUNE_API_URL=context.api_url,
        ATTUNE_API_TOKEN=context.api_token,
    )
    cwd = parameters.get("cwd") if action.runner_type == "local-shell-cmd" else None
    try:
        process = subprocess.Popen(
            command_line(action, parameters, locate),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
            start_new_session=True,  # its own process group, so a timeout kills its children
        )
    except OSError as problem:
        # (The error may name a parameter: the working directory, say.)
        return RunResult("failed", None, mask(f"could not start the action: {problem}"))
    if groups is not None:
        groups.started(execution_id, process.pid)
    try:
        out, err, ended = _wait(process, parameters, timeout, stop, kill_grace)
    finally:
        if groups is not None:
            groups.ended(execution_id)
    result = _result(process, out, err, mask)
    if ended == "timeout":
        return RunResult("timeout", result, f"the action ran longer than {timeout:g} s")
    if ended == "stopped":
        return RunResult("stopped", result)
    if process.returncode != 0:
        return RunResult("failed", result, f"the action exited with code {process.returncode}")
    if action.output_format == "json":
        try:
            result["data"] = mask(json.loads(out or b"null"))
        except ValueError as problem:
            return RunResult("failed", result, f"stdout is not valid JSON: {problem}")
    return RunResult("succeeded", result)


def _wait(
    process: subprocess.Popen[bytes],
    parameters: dict[str, Any],
    timeout: float,
    stop: RunStop,
    kill_grace: float,
) -> tuple[bytes, bytes, Outcome | None]:
    """The action's output once it ended: by itself (None), past its timeout
    (``timeout``) or because `stop` was set (``stopped``).

    Nothing polls: this thread blocks on the pipes and the process (`communicate` with a
    timeout would poll for the exit), one thread for all runs sleeps until the nearest
    deadline (`DEADLINES`), and a stop request stops the process group from the
    requester's own thread (`RunStop`)."""
    why: Outcome | None = None
    over = False  # the action ended: nothing may be signaled any more
    timers: list[threading.Timer] = []
    lock = threading.Lock()

    def later(seconds: float, action: Callable[..., None], *args: Any) -> None:
        timer = threading.Timer(seconds, action, args)
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def stop_now(reason: Outcome) -> None:
        nonlocal why
        with lock:
            if why is not None or over:
                return
            why = reason
            _signal_group(process, signal.SIGTERM)
            later(kill_grace, _signal_group, process, signal.SIGKILL)

    deadline = DEADLINES.add(time.monotonic() + timeout, lambda: stop_now("timeout"))
    stop.when_set(lambda: stop_now("stopped"))
    try:
        out, err = process.communicate(json.dumps(parameters).encode())
    finally:
        stop.when_set(None)
        DEADLINES.cancel(deadline)
        with lock:
            over = True
            for timer in timers:
                timer.cancel()
    return out, err, why


def _result(process: subprocess.Popen[bytes], out: bytes, err: bytes, mask: Mask) -> dict[str, Any]:
    return {"exit_code": process.returncode, "stdout": _text(out, mask), "stderr": _text(err, mask)}


def _signal_group(process: subprocess.Popen[bytes], signal_number: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group may have ended already
        os.killpg(process.pid, signal_number)


class SubprocessRunner:
    """The `ActionRunner` of the runner types that start a local process."""

    RUNNER_TYPES = ("local-shell-cmd", "local-shell-script", "python-script")

    def __init__(
        self,
        locate: EntryPointLocator,
        kill_grace: float = DEFAULT_KILL_GRACE,
        groups: ProcessGroups | None = None,
    ) -> None:
        self.locate = locate
        self.kill_grace = kill_grace
        self.groups = groups

    def run(
        self,
        action: ActionDefinition,
        execution_id: UUID,
        parameters: dict[str, Any],
        timeout: float,
        context: ActionContext,
        stop: RunStop,
        mask: Mask,
    ) -> RunResult:
        return run_subprocess(
            action,
            execution_id,
            parameters,
            timeout,
            self.locate,
            context,
            stop,
            mask,
            self.kill_grace,
            self.groups,
        )


def local_runners(
    locate: EntryPointLocator,
    kill_grace: float = DEFAULT_KILL_GRACE,
    groups: ProcessGroups | None = None,
) -> dict[str, ActionRunner]:
    """The runners every worker has, by runner type, finding scripts with `locate` (and
    recording their process groups in `groups`)."""
    subprocesses = SubprocessRunner(locate, kill_grace, groups)
    return dict.fromkeys(SubprocessRunner.RUNNER_TYPES, subprocesses)
