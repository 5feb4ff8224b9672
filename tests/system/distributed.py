"""Distributed Attune for whole-system tests: every process a separate OS process.

`Cluster` runs `attune kafka init` against the test broker, then `attune api`, `commands`,
`relay`, `streams`, `worker` and `project`, all sharing one PostgreSQL schema, one state
directory (the keyring and signing key) and one packs directory. Each process logs to
`<workdir>/<name>.log`; any of them can be killed (SIGKILL) and started again.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

from tests.system.harness import ATTUNE, free_port

PROCESSES = {
    "api": ["api"],
    "commands": ["commands"],
    "relay": ["relay"],
    "streams": ["streams"],
    "worker": ["worker", "--pool", "local"],
    "project": ["project"],
}


class Cluster:
    def __init__(
        self,
        workdir: Path,
        database_url: str,
        schema: str,
        bootstrap: str,
        env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "ATTUNE_DATABASE_URL": database_url,
            "ATTUNE_DATABASE_SCHEMA": schema,
            "ATTUNE_KAFKA_BOOTSTRAP": bootstrap,
            "ATTUNE_STATE_DIR": str(workdir / "state"),
            "ATTUNE_PORT": str(self.port),
            "ATTUNE_ADMIN_PASSWORD": "test-admin-pw",
            "ATTUNE_HEARTBEAT_SECONDS": "1",
            **(env or {}),
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        # (a test may add one: a second `streams`, say)
        self.commands: dict[str, list[str]] = dict(PROCESSES)

    def attune(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [ATTUNE, *args],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            env={**self.env, "ATTUNE_API_URL": self.url},
        )
        if check and result.returncode != 0:
            raise AssertionError(f"attune {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def start(self, *names: str) -> Cluster:
        for name in names or PROCESSES:
            log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 (the child owns it)
            self.processes[name] = subprocess.Popen(
                [ATTUNE, *self.commands[name]],
                cwd=self.workdir,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
            )
        if "api" in (names or PROCESSES):
            self._wait_for_api()
        return self

    def _wait_for_api(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes["api"].poll() is not None:
                raise RuntimeError(f"attune api exited early:\n{self.log('api')}")
            try:
                # Ready once the projector has shown the API its local admin key.
                with self.client() as api:
                    if api.get("/api/v1/packs").status_code == 200:
                        return
            except (httpx.TransportError, FileNotFoundError):
                pass
            time.sleep(0.1)
        raise TimeoutError(f"attune api did not answer within {timeout}s:\n{self.log('api')}")

    def log(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> str:
        return "\n".join(f"===== {name}\n{self.log(name)[-4000:]}" for name in self.commands)

    def kill(self, name: str) -> None:
        process = self.processes.pop(name)
        process.send_signal(signal.SIGKILL)
        process.wait(10)

    def restart(self, name: str) -> None:
        self.kill(name)
        self.start(name)

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        self.processes.clear()

    def client(self) -> httpx.Client:
        token = (self.workdir / "state" / "cli-token").read_text().strip()
        return httpx.Client(
            base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token}"}
        )
