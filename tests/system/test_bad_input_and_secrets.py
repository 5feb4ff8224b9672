"""Bad input through the real process, and secrets that never show up in plaintext."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.system.harness import ATTUNE, free_port, wait_until, write_pack, write_vault_pack

pytestmark = pytest.mark.slow

SECRET = "s3cr3t-Value-That-Must-Not-Leak-7781"


def test_a_malformed_pack_is_reported_with_file_and_line_and_other_packs_load(
    attune_up,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    packs = tmp_path / "run" / "packs"
    write_pack(packs, "broken", {"actions/bad.yaml": "name: bad\nrunner_type: noop\n  oops: [\n"})
    write_pack(packs, "good", {"actions/fine.yaml": "name: fine\nrunner_type: noop\n"})
    attune = attune_up("--no-examples")
    assert "packs/broken/actions/bad.yaml:3" in attune.log()
    with attune.client() as api:
        refs = [a["ref"] for a in api.get("/api/v1/actions").json()["items"]]
        assert "good.fine" in refs and "broken.bad" not in refs
        assert api.get("/health").status_code == 200


def test_bad_requests_are_refused_clearly_and_write_nothing(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    with attune.client() as api:
        before = api.get("/health").json()["store_position"]
        unknown = api.post("/api/v1/executions", json={"action": "core.nope", "parameters": {}})
        assert unknown.status_code == 404 and "core.nope" in unknown.text
        missing = api.post("/api/v1/executions", json={"action": "core.echo", "parameters": {}})
        assert missing.status_code == 422 and "message" in missing.text
        wrong = api.post(
            "/api/v1/executions", json={"action": "core.echo", "parameters": {"message": 5}}
        )
        assert wrong.status_code == 422 and "message" in wrong.text and "string" in wrong.text
        assert api.get("/health").json()["store_position"] == before


def test_a_secret_parameter_reaches_the_action_and_nothing_else(attune_up, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    received = tmp_path / "received.json"
    packs = tmp_path / "run" / "packs"
    write_vault_pack(packs, received)
    write_pack(  # an action that prints the secret it was given (masked in what is recorded)
        packs,
        "leaky",
        {
            "actions/reveal.yaml": """\
            name: reveal
            runner_type: local-shell-cmd
            parameters:
              cmd: {type: string, default: 'input=$(cat); echo "$input"; echo "$input" >&2'}
              password: {type: string, required: true, secret: true}
            """,
        },
    )
    attune = attune_up("--no-examples")
    with attune.client() as api:
        leaked = api.post(
            "/api/v1/executions",
            json={"action": "leaky.reveal", "parameters": {"password": SECRET}},
        )
        assert leaked.status_code == 202, leaked.text
        answer = api.post(
            "/api/v1/executions",
            json={"action": "vault.login", "parameters": {"user": "ops", "password": SECRET}},
        )
        assert answer.status_code == 202, answer.text
        assert SECRET not in answer.text
        execution_id, position = answer.json()["id"], answer.json()["position"]

        def finished():  # type: ignore[no-untyped-def]
            body = api.get(f"/api/v1/executions/{execution_id}", params={"position": position})
            return body.json()["status"] == "succeeded" and body

        shown = wait_until(finished, timeout=20)
        assert shown.json()["parameters"] == {"user": "ops", "password": "********"}
        listed = api.get("/api/v1/executions").text
        history = api.get(f"/api/v1/executions/{execution_id}/history").text
        assert SECRET not in shown.text + listed + history

        def printed_it():  # type: ignore[no-untyped-def]
            body = api.get(f"/api/v1/executions/{leaked.json()['id']}").json()
            return body["status"] == "succeeded" and body

        printed = wait_until(printed_it, timeout=20)
        assert '"password": "********"' in printed["result"]["stdout"]
        assert '"password": "********"' in printed["result"]["stderr"]
        assert SECRET not in str(printed) + api.get("/api/v1/executions").text

    assert '"password": "' + SECRET + '"' in received.read_text()  # the action got the real value
    attune.stop()
    state = tmp_path / "run" / ".attune"
    scanned = [*state.glob("*.db*"), attune.log_path]
    assert any(p.name.endswith("-wal") or p.name.endswith(".db") for p in scanned)
    for path in scanned:
        assert SECRET.encode() not in path.read_bytes(), f"plaintext secret in {path}"


def test_a_busy_port_or_state_directory_is_refused_with_a_clear_error(attune_up) -> None:  # type: ignore[no-untyped-def]
    attune = attune_up("--no-examples")
    same_port = subprocess.run(
        [ATTUNE, "up", "--port", str(attune.port)],
        cwd=attune.workdir.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert same_port.returncode == 1
    assert f"cannot listen on 127.0.0.1:{attune.port}" in same_port.stderr
    same_state = subprocess.run(
        [ATTUNE, "up", "--port", str(free_port())],
        cwd=attune.workdir,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert same_state.returncode == 1
    assert "Attune is already running on .attune" in same_state.stderr
    assert attune.client().get("/health").status_code == 200  # the first one is unharmed
