"""Distributed Attune: api, commands, relay, streams, worker and project as separate OS
processes on PostgreSQL and a real Kafka-protocol broker."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from kafka import KafkaProducer

from attune.infra.kafka.topics import TOPICS
from tests.kafka_broker import read_topics
from tests.system.distributed import Cluster
from tests.system.harness import (
    ATTUNE,
    CONFIG_SECRET,
    CRON_RULE,
    TEMPLATED_RULE,
    TIMED_RULE,
    WEBHOOK_RULE,
    WEBHOOK_SECRET,
    assert_what_if_agrees_with_the_live_engine,
    configured_pack_end_to_end,
    cron_ticks_run,
    free_port,
    wait_until,
    webhooks_end_to_end,
    write_configured_vault_pack,
    write_pack,
)

pytestmark = pytest.mark.slow

SECRET = "distributed-Secret-Value-4417"
KEY_SECRET = "keystore-Secret-Value-9931"


@pytest.fixture
def cluster(
    tmp_path: Path, kafka_broker: str, postgres_server: str, postgres_schema: str
) -> Iterator[Cluster]:
    received = tmp_path / "received.json"
    write_configured_vault_pack(tmp_path / "run" / "packs", received)
    unfit = "trigger: core.intervaltimer\ntrigger_params: {delta: 1}\naction: ops.nosuch\n"
    write_pack(
        tmp_path / "run" / "packs",
        "ops",
        {
            "rules/templated.yaml": TEMPLATED_RULE,
            "rules/timed.yaml": TIMED_RULE,
            "rules/on_deploy.yaml": WEBHOOK_RULE,
            "rules/every_second.yaml": CRON_RULE,
            "rules/unfit.yaml": unfit,
        },
    )
    cluster = Cluster(tmp_path / "run", postgres_server, postgres_schema, kafka_broker)
    cluster.attune("kafka", "init")
    cluster.start()
    yield cluster
    cluster.stop()
    print(cluster.logs())  # shown when the test failed


def succeeded(api, execution_id: str):  # type: ignore[no-untyped-def]
    body = api.get(f"/api/v1/executions/{execution_id}").json()
    return body if body.get("status") == "succeeded" else None  # (404 until projected)


def test_rules_and_requests_run_through_every_process(
    cluster: Cluster, kafka_broker: str, tmp_path: Path, postgres_server: str, postgres_schema: str
) -> None:
    # A message on the commands topic that is no command goes to the dead-letter topic ...
    producer = KafkaProducer(bootstrap_servers=kafka_broker)
    producer.send("attune.commands", key=b"x", value=b'{"type": "LaunchMissiles"}').get(10)
    producer.close()

    with cluster.client() as api:
        # ... and the command service goes on: a manual run succeeds ...
        answer = api.post(
            "/api/v1/executions", json={"action": "core.echo", "parameters": {"message": "hi"}}
        )
        assert answer.status_code == 202, answer.text
        manual = wait_until(lambda: succeeded(api, answer.json()["id"]), timeout=60)
        assert manual["result"]["stdout"] == "hi" and manual["worker"].startswith("local@")
        history = api.get(f"/api/v1/executions/{manual['id']}/history").json()
        assert [h["status"] for h in history] == ["requested", "scheduled", "running", "succeeded"]

        # ... a secret parameter reaches the action and no topic ...
        login = api.post(
            "/api/v1/executions",
            json={"action": "vault.login", "parameters": {"user": "ops", "password": SECRET}},
        )
        assert login.status_code == 202, login.text
        wait_until(lambda: succeeded(api, login.json()["id"]), timeout=60)
        assert f'"password": "{SECRET}"' in (tmp_path / "received.json").read_text()

        # ... so does a keystore reference, which the worker resolves through the API as
        # the workers' service account (the encrypted value travels sealed) ...
        key = api.put(
            "/api/v1/keys/pack/vault_password",
            params={"owner": "vault"},
            json={"value": KEY_SECRET, "encrypted": True},
        )
        assert key.status_code == 200, key.text
        referring = api.post(
            "/api/v1/executions",
            json={
                "action": "vault.login",
                "parameters": {"user": "ops", "password": "{{ keystore.vault_password }}"},
            },
        )
        wait_until(lambda: succeeded(api, referring.json()["id"]), timeout=60)
        assert f'"password": "{KEY_SECRET}"' in (tmp_path / "received.json").read_text()

        # ... and the hello-world rule's timer fires through the faust app.
        def hello_world():  # type: ignore[no-untyped-def]
            runs = api.get(
                "/api/v1/executions", params={"status": "succeeded", "action": "core.echo"}
            ).json()["items"]
            return [r for r in runs if r["rule"] == "examples.hello_world"]

        [hello, *_] = wait_until(hello_world, timeout=40)
        assert hello["result"]["stdout"] == "hello, world"

        # ... as does a rule whose parameter is computed by the expression language.
        def templated():  # type: ignore[no-untyped-def]
            runs = api.get(
                "/api/v1/executions", params={"status": "succeeded", "action": "core.echo"}
            ).json()["items"]
            return [r for r in runs if r["rule"] == "ops.templated"]

        [computed, *_] = wait_until(templated, timeout=40)
        assert computed["parameters"] == {"message": "SECONDS:2"}
        assert computed["result"]["stdout"] == "SECONDS:2"

        # What-if over the ticks the rule engine handled reports exactly what it enforced.
        assert_what_if_agrees_with_the_live_engine(api, "ops.timed", since="2020-01-01T00:00Z")

        # Webhooks fire rules through the API process, with a credential or a signature.
        webhooks_end_to_end(api)

        # A cron timer fires through the faust app, each second once.
        ticks = cron_ticks_run(api, "ops.every_second", 3)
        assert ticks[-1] - ticks[0] <= timedelta(seconds=len(ticks))

        # A pack's configuration reaches its rule's action; its secret only as a secret.
        configured_pack_end_to_end(api, tmp_path / "received.json", cluster.logs)
        token = api.headers["Authorization"].removeprefix("Bearer ")

    cluster.stop()  # so that the topics stop growing (heartbeats, timer ticks) while read
    messages = read_topics(kafka_broker, TOPICS)
    plaintexts = (SECRET, KEY_SECRET, WEBHOOK_SECRET, CONFIG_SECRET, token)
    secrets = [secret.encode() for secret in plaintexts]
    for secret in secrets:
        assert messages and all(secret not in (m.value or b"") for m in messages)
    [dead] = [json.loads(m.value) for m in messages if m.topic == "attune.dead-letter"]
    assert dead["topic"] == "attune.commands" and dead["offset"] >= 0
    assert "unknown command type 'LaunchMissiles'" in dead["reason"]

    with psycopg.connect(postgres_server) as connection:
        stored = connection.execute(
            f'SELECT state FROM "{postgres_schema}".attune_events'
        ).fetchall()
    for secret in secrets:
        assert all(secret not in bytes(state) for (state,) in stored)
    assert "not a domain event" not in cluster.logs()  # every process read every event
    # A rule that does not fit the catalogue is refused where the packs load, with its line.
    assert "rules/unfit.yaml:3: field 'action': unknown action 'ops.nosuch'" in cluster.log("api")


def test_an_unreachable_broker_or_database_is_named_and_retried(tmp_path: Path) -> None:
    closed = free_port()
    base = {"ATTUNE_STATE_DIR": str(tmp_path / "state"), "PATH": "/usr/bin:/bin"}
    runs = {
        "commands": {
            **base,
            "ATTUNE_DATABASE_URL": f"postgresql://attune:pw-hidden@127.0.0.1:{closed}/attune",
        },
        "worker": {**base, "ATTUNE_KAFKA_BOOTSTRAP": f"127.0.0.1:{closed}"},
    }
    for command, env in runs.items():
        log = tmp_path / f"{command}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [ATTUNE, command], stdout=out, stderr=subprocess.STDOUT, env=env, cwd=tmp_path
            )
        try:
            # Until its first retry is logged (start-up alone can take seconds on a busy
            # machine), then a moment more: it must still be alive, backing off.
            deadline = time.monotonic() + 60
            while "retrying in" not in log.read_text() and time.monotonic() < deadline:
                if process.poll() is not None:
                    break
                time.sleep(0.2)
            time.sleep(1)
            assert process.poll() is None, log.read_text()  # still alive: retrying, not crashing
        finally:
            process.terminate()
            process.wait(15)
        text = log.read_text()
        assert f"127.0.0.1:{closed}" in text and "retrying in" in text, text
        assert "pw-hidden" not in text
