"""`attune up` with its event store and read models in PostgreSQL (ATTUNE_DATABASE_URL)."""

from __future__ import annotations

import psycopg
import pytest

pytestmark = pytest.mark.slow


def test_attune_runs_on_postgresql(attune_up, postgres_server: str, postgres_schema: str) -> None:  # type: ignore[no-untyped-def]
    env = {"ATTUNE_DATABASE_URL": postgres_server, "ATTUNE_DATABASE_SCHEMA": postgres_schema}
    attune = attune_up("--no-examples", env=env)
    result = attune.cli("run", "core.echo", "message=hi from postgres", "--wait")
    assert "status: succeeded" in result.stdout and "hi from postgres" in result.stdout

    assert not (attune.workdir / ".attune" / "events.db").exists()
    with psycopg.connect(postgres_server) as connection:
        topics = {
            topic
            for (topic,) in connection.execute(
                f'SELECT topic FROM "{postgres_schema}".attune_events'
            )
        }
        statuses = [
            s
            for (s,) in connection.execute(
                f'SELECT status FROM "{postgres_schema}".execution_history ORDER BY position'
            )
        ]
    assert {"execution.requested", "execution.claimed", "execution.succeeded"} <= topics
    assert statuses == ["requested", "scheduled", "running", "succeeded"]
