"""Security, for real: a running `attune up`, its CLI, real tokens, keys and processes."""

from __future__ import annotations

import json
import subprocess
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest

from tests.system.harness import wait_until, write_pack

pytestmark = pytest.mark.slow

PLAIN_SECRET = "param-Secret-9a7f2c"
KEY_SECRET = "key-Secret-41b8de"


def test_a_secret_parameter_and_an_encrypted_key_flow_through_a_rule_unseen(
    attune_up,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    received = tmp_path / "received.jsonl"
    write_pack(
        tmp_path / "run" / "packs",
        "vault",
        {
            "actions/login.yaml": """\
            name: login
            runner_type: local-shell-script
            entry_point: login.sh
            parameters:
              password: {type: string, required: true, secret: true}
              token: {type: string, required: true, secret: true}
            """,
            "actions/login.sh": f"cat >> {received}\necho >> {received}\necho ok\n",
            "rules/every_second.yaml": f"""\
            name: every_second
            trigger: core.intervaltimer
            trigger_params: {{unit: seconds, delta: 1}}
            action: vault.login
            action_params:
              password: "{PLAIN_SECRET}"
              token: "{{{{ keystore.db_token }}}}"
            """,
        },
    )
    attune = attune_up("--no-examples")
    attune.cli("key", "set", "db_token", KEY_SECRET, "--encrypt")
    with attune.client() as api:

        def succeeded() -> list[dict[str, Any]]:
            page = api.get("/api/v1/executions", params={"status": "succeeded"}).json()
            return [e for e in page["items"] if e["rule"] == "vault.every_second"]

        [run, *_] = wait_until(succeeded, timeout=30)
        # Secret parameters are sealed, keystore references too: both show masked.
        assert run["parameters"] == {"password": "********", "token": "********"}
        shown = api.get("/api/v1/keys/system/db_token").json()
        assert shown["value"] == "********" and shown["encrypted"] is True
        texts = [
            api.get(p).text
            for p in (
                "/api/v1/executions",
                "/api/v1/enforcements",
                f"/api/v1/executions/{run['id']}/history",
                "/api/v1/keys",
                "/api/v1/rules",
            )
        ]
        assert not any(s in t for t in texts for s in (KEY_SECRET,))
    got = [json.loads(line) for line in received.read_text().splitlines() if line.strip()]
    assert {"password": PLAIN_SECRET, "token": KEY_SECRET} in got  # the action got the values
    attune.stop()
    state = attune.workdir / ".attune"
    stored = [*state.glob("events.db*"), *state.glob("read.db*"), attune.log_path]
    assert any(p.name == "events.db-wal" or p.name == "events.db" for p in stored)
    for path in stored:
        assert KEY_SECRET.encode() not in path.read_bytes(), f"key plaintext in {path}"
    # The rule's own literal lives in its pack file and in the rule's definition, by the
    # user's choice; it enters no execution, enforcement or other event, and no log line.
    import sqlite3

    with sqlite3.connect(state / "events.db") as db:
        holding = {
            topic
            for topic, payload in db.execute("SELECT topic, state FROM stored_events")
            if PLAIN_SECRET.encode() in payload
        }
    assert holding == {"rule.registered"}
    assert PLAIN_SECRET not in attune.log()


def test_an_execution_token_reaches_only_its_own_execution_while_it_runs(
    attune_up,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    report = tmp_path / "report.json"
    probe = f"""\
        import json, os, urllib.request, urllib.error
        base, token = os.environ["ATTUNE_API_URL"], os.environ["ATTUNE_API_TOKEN"]
        def status(path):
            headers = {{"Authorization": "Bearer " + token}}
            request = urllib.request.Request(base + path, headers=headers)
            try:
                return urllib.request.urlopen(request).status
            except urllib.error.HTTPError as error:
                return error.code
        me = os.environ["ATTUNE_EXEC_ID"]
        other = json.load(open(0))["other"]
        json.dump({{"token": token, "own": status("/api/v1/executions/" + me),
                   "own_history": status("/api/v1/executions/" + me + "/history"),
                   "other": status("/api/v1/executions/" + other),
                   "list": status("/api/v1/executions"), "keys": status("/api/v1/keys"),
                   "decrypt": status("/api/v1/keys/system/k?decrypt=true")}}, open("{report}", "w"))
        """
    write_pack(
        tmp_path / "run" / "packs",
        "probe",
        {
            "actions/probe.yaml": """\
            name: probe
            runner_type: python-script
            entry_point: probe.py
            parameters: {other: {type: string, required: true}}
            """,
            "actions/probe.py": textwrap.dedent(probe),
        },
    )
    attune = attune_up("--no-examples")
    attune.cli("key", "set", "k", "v", "--encrypt")
    with attune.client() as api:
        other = api.post("/api/v1/executions", json={"action": "core.noop"}).json()["id"]
        done = attune.cli("run", "probe.probe", f"other={other}", "--wait")
        assert "status: succeeded" in done.stdout
        seen = json.loads(report.read_text())
        assert (seen["own"], seen["own_history"]) == (200, 200)
        assert seen["other"] == 404 and seen["list"] == 403
        assert seen["keys"] == 403 and seen["decrypt"] == 403

        def refused(token: str) -> httpx.Response:
            return httpx.get(
                f"{attune.url}/api/v1/executions/{other}",
                headers={"Authorization": f"Bearer {token}"},
            )

        after = refused(seen["token"])  # its execution has ended
        assert after.status_code == 401 and "not running" in after.json()["detail"]
        tampered = seen["token"][:-3] + ("aaa" if not seen["token"].endswith("aaa") else "bbb")
        assert refused(tampered).status_code == 401
        signing_key = (attune.workdir / ".attune" / "jwt.key").read_bytes()
        expired = jwt.encode(
            {"typ": "access", "sub": "admin", "sid": other, "exp": int(time.time()) - 5},
            signing_key,
            algorithm="HS256",
        )
        assert "expired" in refused(expired).json()["detail"]

        # A revoked session: log in, log out, the tokens stop working.
        tokens = httpx.post(
            f"{attune.url}/auth/v1/login", json={"login": "admin", "password": "test-admin-pw"}
        ).json()
        access = tokens["access_token"]
        assert refused(access).status_code == 200
        bye = httpx.post(
            f"{attune.url}/auth/v1/logout", headers={"Authorization": f"Bearer {access}"}
        )
        assert bye.status_code == 204
        assert refused(access).status_code == 401
        again = httpx.post(
            f"{attune.url}/auth/v1/refresh", json={"refresh_token": tokens["refresh_token"]}
        )
        assert again.status_code == 401


def test_key_rotation_keeps_old_values_and_a_removed_key_is_named(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    attune.cli("key", "set", "old", '"before"', "--encrypt")
    rotated = attune.cli("key", "rotate")
    attune.cli("key", "set", "new", '"after"', "--encrypt")
    assert (
        json.loads(attune.cli("key", "get", "old", "--decrypt", "--json").stdout)["value"]
        == "before"
    )
    assert (
        json.loads(attune.cli("key", "get", "new", "--decrypt", "--json").stdout)["value"]
        == "after"
    )

    first_key = attune.workdir / ".attune" / "secret.key"
    old_id = __import__("hashlib").sha256(first_key.read_bytes()).hexdigest()[:16]
    assert old_id in rotated.stdout or rotated.stdout.strip()
    first_key.unlink()  # retire the first key for good
    failed = attune.cli("key", "get", "old", "--decrypt", check=False)
    assert failed.returncode != 0 and old_id in failed.stderr
    assert (
        json.loads(attune.cli("key", "get", "new", "--decrypt", "--json").stdout)["value"]
        == "after"
    )
    assert "succeeded" in attune.cli("run", "core.echo", "message=still fine", "--wait").stdout


def test_ten_wrong_passwords_are_rate_limited_and_hashes_are_argon2id(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    login = f"{attune.url}/auth/v1/login"
    for _ in range(10):
        assert httpx.post(login, json={"login": "admin", "password": "wrong"}).status_code == 401
    limited = httpx.post(login, json={"login": "admin", "password": "test-admin-pw"})
    assert limited.status_code == 429 and "Retry-After" in limited.headers
    import sqlite3

    hashes = (
        sqlite3.connect(attune.workdir / ".attune" / "read.db")
        .execute("SELECT password_hash FROM identity WHERE kind = 'user'")
        .fetchall()
    )
    assert hashes and all(h.startswith("$argon2id$") for (h,) in hashes)


def test_attune_login_against_a_second_instance(attune_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = attune_up("--no-examples")
    second = attune_up("--no-examples", workdir=tmp_path / "second")
    config = tmp_path / "config"

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        """The CLI in the first instance's directory, with its own config directory."""
        return first.cli(*args, check=False, env={"XDG_CONFIG_HOME": str(config)})

    logged = cli("login", second.url, "--user", "admin", "--password", "test-admin-pw")
    assert logged.returncode == 0, logged.stderr
    stored = config / "attune" / "credentials.json"
    assert stored.stat().st_mode & 0o777 == 0o600
    listed = cli("--api-url", second.url, "--json", "pack", "list")
    assert listed.returncode == 0, listed.stderr
    assert json.loads(listed.stdout)["items"][0]["ref"] == "core"

    # An expired access token is refreshed with the stored refresh token, transparently.
    entries = json.loads(stored.read_text())
    old_access = entries[second.url]["access_token"]
    entries[second.url]["expires_at"] = "2000-01-01T00:00:00+00:00"
    stored.write_text(json.dumps(entries))
    again = cli("--api-url", second.url, "--json", "pack", "list")
    assert again.returncode == 0, again.stderr
    refreshed = json.loads(stored.read_text())[second.url]
    assert refreshed["access_token"] != old_access and refreshed["expires_at"] > "2026"
    wrong = cli("login", second.url, "--user", "admin", "--password", "nope")
    assert wrong.returncode == 1 and "wrong login or password" in wrong.stderr
