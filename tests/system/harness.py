"""Runs a real `attune up` as a separate OS process for whole-system tests."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Collection
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

ATTUNE = str(Path(sys.executable).with_name("attune"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AttuneUp:
    """`attune up` in `workdir` on a free port; its output goes to `workdir/attune.log`."""

    def __init__(
        self, workdir: Path, *args: str, env: dict[str, str] | None = None, attune: str = ATTUNE
    ) -> None:
        self.workdir = workdir
        self.attune = attune
        self.port = free_port()
        self.args = args
        self.env = {**os.environ, **(env or {})}
        self.log_path = workdir / "attune.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> AttuneUp:
        self.workdir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child owns it)
        self.process = subprocess.Popen(
            [self.attune, "up", "--port", str(self.port), *self.args],
            cwd=self.workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"attune up exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"attune up did not answer within {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL: the crash case."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    def stored_bytes(self) -> bytes:
        """Everything the state directory's databases hold, as bytes (not the credential
        file `cli-token`), to scan for what must never be stored; stop Attune first."""
        state = (self.workdir / ".attune").iterdir()
        return b"".join(p.read_bytes() for p in state if p.is_file() and p.name != "cli-token")

    @property
    def headers(self) -> dict[str, str]:
        """The local admin's credential, which `attune up` keeps in its state directory."""
        token = (self.workdir / ".attune" / "cli-token").read_text().strip()
        return {"Authorization": f"Bearer {token}"}

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, headers=self.headers)

    def cli(
        self, *args: str, check: bool = True, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `attune ARGS` in this instance's directory, against its API."""
        result = subprocess.run(
            [self.attune, *args],
            cwd=self.workdir,
            capture_output=True,
            text=True,
            timeout=120,
            env={**self.env, "ATTUNE_API_URL": self.url, **(env or {})},
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"attune {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
            )
        return result


def wait_until(predicate: Any, timeout: float, interval: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout}s")
        time.sleep(interval)


def request_local_runs(api: httpx.Client, cmd: str, count: int) -> list[str]:
    """Ask for `count` runs of `core.local` with `cmd`; the ids of the accepted requests."""
    ids = []
    for _ in range(count):
        answer = api.post(
            "/api/v1/executions", json={"action": "core.local", "parameters": {"cmd": cmd}}
        )
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


def executions_of(api: httpx.Client, ids: Collection[str]) -> dict[str, dict[str, Any]]:
    """These executions as the API lists them (those it knows yet), by id."""
    found: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = api.get("/api/v1/executions", params={"limit": 1000, "offset": offset}).json()
        found.update({e["id"]: e for e in page["items"] if e["id"] in ids})
        offset += len(page["items"])
        if offset >= page["total"] or not page["items"]:
            return found


def write_pack(root: Path, name: str, files: dict[str, str]) -> None:
    """A pack `name` under `root`: its pack.yaml plus the given files (dedented)."""
    for relative, text in {"pack.yaml": f"ref: {name}\n", **files}.items():
        path = root / name / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


# A rule computing its action's parameter with functions and arithmetic, every second: the
# timer's payload holds its schedule, so `core.echo` says "SECONDS:2".
TEMPLATED_RULE = """\
name: templated
trigger: core.intervaltimer
trigger_params: {unit: seconds, delta: 1}
action: core.echo
action_params:
  message: "{{ upper(trigger.schedule.unit) + ':' + string(trigger.schedule.delta + 1) }}"
"""


# A rule whose outcome depends on time (timediff, system.timestamp) and that matches about
# one timer tick in two (an even second): what-if must decide as the live engine did.
TIMED_RULE = """\
name: timed
trigger: core.intervaltimer
trigger_params: {unit: seconds, delta: 1}
criteria:
  trigger.executed_at: {type: td_lt, pattern: 1}
  trigger.executed_at#even_second: {type: regex, pattern: ':[0-5][02468][.+]'}
action: core.echo
action_params:
  message: "{{ system.timestamp }} / {{ trigger.executed_at }}"
"""


def assert_what_if_agrees_with_the_live_engine(api: httpx.Client, rule: str, since: str) -> None:
    """What-if over a window the live engine has handled reports exactly the events it
    enforced `rule` on, with the parameters it rendered."""
    enforced: dict[str, Any] = {}

    def enough() -> bool:
        page = api.get("/api/v1/enforcements", params={"rule": rule, "limit": 1000}).json()
        enforced.clear()
        enforced.update({e["trigger_event_id"]: e for e in page["items"]})
        return len(enforced) >= 4

    wait_until(enough, timeout=60)
    # The window ends at the second-newest enforced event: every tick before it is handled.
    _oldest, *_, until, _newest = sorted(
        api.get(f"/api/v1/events/{event_id}").json()["occurred_at"] for event_id in enforced
    )
    answer = api.post("/api/v1/rules/what-if", json={"rule": rule, "since": since, "until": until})
    assert answer.status_code == 200, answer.text
    report = answer.json()
    would = {m["event"]["id"]: m["parameters"] for m in report["matched"]}
    live = {
        event_id: e["config"]
        for event_id, e in enforced.items()
        if api.get(f"/api/v1/events/{event_id}").json()["occurred_at"] < until
    }
    assert len(live) >= 2 and would == live
    assert report["examined"] > len(would)  # the odd seconds: examined, not matched


# A rule on the webhook `deploy`: its run echoes the version the body names.
WEBHOOK_RULE = """\
name: on_deploy
trigger: core.webhook
trigger_params: {url: deploy}
action: core.echo
action_params:
  message: "deployed {{ trigger.body.version }} for {{ trigger.headers['x-sender'] }}"
"""
WEBHOOK_SECRET = "deploy-Signing-Secret-5521"


def webhooks_end_to_end(api: httpx.Client) -> None:
    """Webhook -> rule -> execution, named (with a credential, then signed) and generic;
    a payload that does not fit, a bad signature and an oversized body are refused and
    store nothing. `api` is an admin's client."""
    anonymous = httpx.Client(base_url=api.base_url, timeout=30)
    key = api.put(
        "/api/v1/keys/system/webhook.deploy", json={"value": WEBHOOK_SECRET, "encrypted": True}
    )
    assert key.status_code == 200, key.text

    def webhook_events() -> int:
        page = api.get("/api/v1/events", params={"trigger": "core.webhook", "limit": 1})
        return int(page.json()["total"])

    # Refused, each: nothing stored.
    bad = api.post(
        "/api/v1/webhooks",
        json={
            "trigger": "core.webhook",
            "trigger_params": {"url": "deploy"},
            "payload": {"headers": []},
        },
    )
    assert bad.status_code == 422, bad.text
    assert [p["parameter"] for p in bad.json()["detail"]] == ["payload.headers"]
    unsigned = anonymous.post(
        "/api/v1/webhooks/deploy",
        content=b'{"version": "0"}',
        headers={"Content-Type": "application/json", "X-Attune-Signature": "sha256=" + "0" * 64},
    )
    assert unsigned.status_code == 401, unsigned.text
    assert anonymous.post("/api/v1/webhooks/deploy", json={"version": "0"}).status_code == 401
    oversized = api.post("/api/v1/webhooks/deploy", content=b"x" * (1024 * 1024 + 1))
    assert oversized.status_code == 413, oversized.text
    assert api.post("/api/v1/webhooks/nobody", json={}).status_code == 404

    # Accepted: with the admin's credential, signed, and generic.
    body = b'{"version": "2.0.0"}'
    signature = "sha256=" + hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    sent = [
        api.post("/api/v1/webhooks/deploy", json={"version": "1.0.0"}, headers={"X-Sender": "ci"}),
        anonymous.post(
            "/api/v1/webhooks/deploy",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-Attune-Signature": signature,
                "X-Sender": "github",
            },
        ),
        api.post(
            "/api/v1/webhooks",
            json={
                "trigger": "core.webhook",
                "trigger_params": {"url": "deploy"},
                "payload": {"headers": {"x-sender": "script"}, "body": {"version": "3.0.0"}},
            },
        ),
    ]
    assert [answer.status_code for answer in sent] == [202, 202, 202], [a.text for a in sent]

    def echoed() -> list[str]:
        page = api.get("/api/v1/executions", params={"status": "succeeded", "limit": 100})
        runs = [e for e in page.json()["items"] if e["rule"] == "ops.on_deploy"]
        return sorted(run["result"]["stdout"] for run in runs) if len(runs) == 3 else []

    assert wait_until(echoed, timeout=60) == [
        "deployed 1.0.0 for ci",
        "deployed 2.0.0 for github",
        "deployed 3.0.0 for script",
    ]
    assert webhook_events() == 3  # the refused calls stored nothing
    fired = api.get(f"/api/v1/events/{sent[1].json()['id']}").json()
    assert "x-attune-signature" not in fired["payload"]["headers"]
    fired = api.get(f"/api/v1/events/{sent[0].json()['id']}").json()
    assert "authorization" not in fired["payload"]["headers"]
    anonymous.close()


def write_vault_pack(root: Path, received: Path) -> None:
    """A pack `vault` whose `vault.login` takes a secret `password` and writes the parameters
    it received (JSON, from stdin) to `received`."""
    write_pack(
        root,
        "vault",
        {
            "actions/login.yaml": """\
            name: login
            runner_type: local-shell-script
            entry_point: login.sh
            parameters:
              user: {type: string, required: true}
              password: {type: string, required: true, secret: true}
            """,
            "actions/login.sh": f"cat > {received}\necho logged in\n",
        },
    )


CONFIG_SECRET = "vault-Config-Secret-7702"


def write_configured_vault_pack(root: Path, received: Path) -> None:
    """`write_vault_pack`, configured: a config schema with a secret `password`, its values
    in ``configs/vault.yaml`` beside the packs directory `root`, a rule on the webhook
    `vault-login` that logs in with them, and a rule that would leak the secret into the
    plain `user` parameter (refused when the pack loads)."""
    write_vault_pack(root, received)
    write_pack(
        root,
        "vault",
        {
            "config.schema.yaml": """\
            user: {type: string, required: true}
            password: {type: string, secret: true, required: true}
            realm: {type: string, default: corp}
            """,
            "rules/login_on_call.yaml": """\
            name: login_on_call
            trigger: core.webhook
            trigger_params: {url: vault-login}
            action: vault.login
            action_params:
              user: "{{ config.user }}@{{ pack.config.realm }}"
              password: "{{ config.password }}"
            """,
            "rules/leaky.yaml": """\
            name: leaky
            trigger: core.webhook
            trigger_params: {url: vault-login}
            action: vault.login
            action_params:
              password: "{{ config.password }}"
              user: "{{ config.password }}"
            """,
        },
    )
    configs = root.parent / "configs"
    configs.mkdir(parents=True, exist_ok=True)
    (configs / "vault.yaml").write_text(f"user: ops\npassword: {CONFIG_SECRET}\n")


def configured_pack_end_to_end(api: httpx.Client, received: Path, log: Callable[[], str]) -> None:
    """The configured vault pack's rule runs its action with the configuration: the plain
    values rendered, the secret one reaching the secret parameter (and only it); the leaky
    rule was refused with its file and line; the API shows the secret masked."""
    assert "packs/vault/rules/leaky.yaml:7: field 'action_params.user': reads the secret " in log()
    rules = {r["ref"] for r in api.get("/api/v1/rules", params={"pack": "vault"}).json()["items"]}
    assert rules == {"vault.login_on_call"}
    config = api.get("/api/v1/packs/vault/config").json()["values"]
    assert config == {"user": "ops", "password": "********", "realm": "corp"}
    assert api.post("/api/v1/webhooks/vault-login", json={}).status_code == 202

    def logged_in() -> list[dict[str, Any]]:
        page = api.get(
            "/api/v1/executions", params={"status": "succeeded", "action": "vault.login"}
        )
        return [e for e in page.json()["items"] if e["rule"] == "vault.login_on_call"]

    [run] = wait_until(logged_in, timeout=60)
    assert run["parameters"] == {"user": "ops@corp", "password": "********"}
    assert json.loads(received.read_text()) == {"user": "ops@corp", "password": CONFIG_SECRET}


# A cron timer firing every second (StackStorm's fields), its run echoing the tick.
CRON_RULE = """\
name: every_second
trigger: core.crontimer
trigger_params: {second: "*", timezone: Europe/Paris}
action: core.echo
action_params:
  message: "tick {{ trigger.executed_at }}"
"""


def cron_ticks_run(api: httpx.Client, rule: str, count: int) -> list[datetime]:
    """Wait for `count` runs of the cron rule; their ticks, one second apart, each once."""

    def ticks() -> list[datetime]:
        page = api.get("/api/v1/executions", params={"status": "succeeded", "limit": 1000})
        runs = [e for e in page.json()["items"] if e["rule"] == rule]
        return [datetime.fromisoformat(r["result"]["stdout"].removeprefix("tick ")) for r in runs]

    found = sorted(wait_until(lambda: len(ticks()) >= count and ticks(), timeout=60))
    assert len(set(found)) == len(found)  # no tick twice
    assert all(t.microsecond == 0 for t in found)  # on the second
    return found
