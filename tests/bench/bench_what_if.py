"""What-if benchmark: `python tests/bench/bench_what_if.py` prints one JSON line.

A read model (SQLite, as `attune up` keeps it) holds 100,000 trigger events of one trigger
type over a day, with the payload mix of `bench_rules.py`, and 20,000 events of another
type. A rule of the day-to-day kind (an equality, a substring and a templated parameter,
about 1 % of the events matching) is asked what it would have matched over the day
through the real API in process (`POST /api/v1/rules/what-if`, batches of 10,000 followed
by their cursor, as `attune replay rules` asks), timed from the first request to the last
answer.

The baseline, in the same run: reading the same events from the read model in the same
batches (`queries.events_in_order`), nothing evaluated; the ratio says what evaluating and
answering add to reading. Target: the what-if over 100,000 events within 10 s.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from attune.api.app import create_app  # noqa: E402
from attune.api.dependencies import ApiServices  # noqa: E402
from attune.commands import models as m  # noqa: E402
from attune.commands.service import CommandService  # noqa: E402
from attune.domain.criteria import Condition  # noqa: E402
from attune.domain.definitions import (  # noqa: E402
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.identity import IdentityKind  # noqa: E402
from attune.domain.ids import caused_id  # noqa: E402
from attune.domain.parameters import ParameterSpec  # noqa: E402
from attune.infra.bootstrap import open_read_engine, open_store  # noqa: E402
from attune.infra.security.credentials import LocalCredentials  # noqa: E402
from attune.infra.security.secret_box import open_keyring  # noqa: E402
from attune.infra.security.tokens import TokenService  # noqa: E402
from attune.infra.settings import Settings  # noqa: E402
from attune.projections import queries, schema  # noqa: E402
from attune.projections.projector import Projector  # noqa: E402

EVENTS = 100_000
OTHER_EVENTS = 20_000
BATCH = 10_000
TRIGGER = "monitoring.alert"
DAY = datetime(2026, 12, 1, tzinfo=UTC)
TARGET_SECONDS = 10.0

RULE = RuleDefinition(
    ref="bench.db_errors",
    pack="bench",
    name="db_errors",
    trigger=TRIGGER,
    criteria={
        "trigger.service": Condition(type="equals", pattern="svc-7"),
        "trigger.message": Condition(type="contains", pattern="code=7"),
    },
    action="core.echo",
    action_params={
        "message": "{{ trigger.host }}: {{ trigger.service }} at {{ system.timestamp }}"
    },
)


def payload(i: int) -> dict[str, Any]:
    return {
        "service": f"svc-{i % 100}",
        "host": f"host-{i % 200}.example.com",
        "message": f"GET /api code={i % 200}; 12 ms",
        "count": i % 100,
    }


def event_rows() -> list[dict[str, Any]]:
    rows = []
    for i in range(EVENTS + OTHER_EVENTS):
        trigger = TRIGGER if i < EVENTS else "core.webhook"
        occurred_at = DAY + timedelta(seconds=86_400 * (i % EVENTS) / EVENTS, microseconds=i)
        rows.append(
            {
                "id": str(caused_id(occurred_at, "bench", i)),
                "trigger": trigger,
                "trigger_params": {},
                "payload": payload(i),
                "occurred_at": occurred_at,
                "correlation_id": None,
            }
        )
    return rows


def configure(commands: CommandService, credentials: LocalCredentials) -> str:
    """The pack, trigger type, action and rule, and an admin's API key."""
    at = DAY
    echo = ActionDefinition(
        ref="core.echo",
        pack="core",
        name="echo",
        runner_type="noop",
        parameters={"message": ParameterSpec(type="string", required=True)},
    )
    for command in [
        m.RegisterPack(definition=PackDefinition(ref="bench"), actor="bench", at=at),
        m.RegisterTriggerType(
            definition=TriggerTypeDefinition(ref=TRIGGER, pack="monitoring", name="alert"),
            actor="bench",
            at=at,
        ),
        m.RegisterAction(definition=echo, actor="bench", at=at),
        m.RegisterRule(definition=RULE, actor="bench", at=at),
        m.CreateIdentity(
            actor="bench", at=at, login="admin", kind=IdentityKind.USER, roles=["admin"]
        ),
    ]:
        commands.execute(command)
    key_id = UUID("019b0000-0000-7000-8000-0000000000be")
    key, secret_hash = credentials.new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="bench", at=at, key_id=key_id, login="admin", name="b", secret_hash=secret_hash
        )
    )
    return key


def main() -> None:
    with tempfile.TemporaryDirectory() as directory:
        settings = Settings(state_dir=Path(directory), packs=[])
        store, read_engine = open_store(settings), open_read_engine(settings)
        commands = CommandService(store, open_keyring(settings.state_dir))
        credentials = LocalCredentials(TokenService(os.urandom(32)))
        key = configure(commands, credentials)
        projector = Projector(read_engine)
        projector.catch_up(store)
        with read_engine.begin() as connection:
            connection.execute(insert(schema.event), event_rows())
        services = ApiServices(
            commands=commands,
            read_engine=read_engine,
            projection=projector.watch,
            store_position=store.position,
            clock=lambda: DAY + timedelta(days=1),
            entropy=os.urandom,
            credentials=credentials,
        )
        body = {"rule": RULE.ref, "since": DAY.isoformat(), "batch": BATCH}
        with TestClient(create_app(services)) as client:
            client.headers["Authorization"] = f"Bearer {key}"
            started = time.perf_counter()
            answer = client.post("/api/v1/rules/what-if", json=body).json()
            examined, matched = answer["examined"], len(answer["matched"])
            while answer["next"] is not None:
                answer = client.post(
                    "/api/v1/rules/what-if", json=body | {"after": answer["next"]}
                ).json()
                examined += answer["examined"]
                matched += len(answer["matched"])
            seconds = time.perf_counter() - started
        started = time.perf_counter()
        read, after = 0, None
        with read_engine.connect() as connection:
            while True:
                rows = queries.events_in_order(
                    connection, TRIGGER, DAY, DAY + timedelta(days=1), after=after, limit=BATCH
                )
                read += len(rows)
                if len(rows) < BATCH:
                    break
                after = (rows[-1]["occurred_at"], UUID(rows[-1]["id"]))
        reading = time.perf_counter() - started
        store.close()
        read_engine.dispose()
    assert examined == read == EVENTS, (examined, read)
    assert 0 < matched <= EVENTS // 50, matched
    print(
        json.dumps(
            {
                "events": examined,
                "matched": matched,
                "seconds": round(seconds, 2),
                "events_per_s": round(examined / seconds),
                "reading_only_seconds": round(reading, 2),
                "ratio_to_reading": round(seconds / reading, 1),
                "target_seconds": TARGET_SECONDS,
                "target_met": seconds <= TARGET_SECONDS,
            }
        )
    )


if __name__ == "__main__":
    main()
