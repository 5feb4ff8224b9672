"""The contract's details: one 422 shape, bounded error bodies, ISO-8601 time parameters,
and one body limit whether or not the body's length is declared."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import HTTPException, Request
from fastapi.testclient import TestClient

from attune.api.app import MAX_BODY_BYTES, create_app
from attune.api.dependencies import ApiServices
from attune.api.errors import domain_error_response, http_error_response
from attune.commands.errors import UnknownEntity

TIMED_LISTS = ["/api/v1/audit", "/api/v1/events", "/api/v1/executions"]


def _request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": []})


def assert_problems(answer: httpx.Response, parameter: str) -> list[dict[str, Any]]:
    """The answer is a 422 whose body is a list of problems, one of them with `parameter`."""
    assert answer.status_code == 422, answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, list), detail
    assert all(set(problem) == {"parameter", "message"} for problem in detail), detail
    assert parameter in [problem["parameter"] for problem in detail], detail
    return detail  # type: ignore[no-any-return]


# --- 422 bodies have one shape everywhere ------------------------------------------------


def test_a_refused_definition_is_a_422_naming_its_field(client: TestClient) -> None:
    answer = client.put("/api/v1/identities/admin/roles", json={"roles": [""]})
    assert assert_problems(answer, "roles") == [
        {"parameter": "roles", "message": "unknown role ''"}
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "parameter"),
    [
        ("GET", "/api/v1/keys?owner=", None, "owner"),
        ("GET", "/api/v1/keys/pack/db/sealed", None, "owner"),
        ("POST", "/api/v1/identities", {"login": "x"}, "password"),
    ],
)
def test_a_422_a_route_raises_names_its_field(
    client: TestClient, method: str, path: str, body: object, parameter: str
) -> None:
    assert_problems(client.request(method, path, json=body), parameter)


def test_an_http_422_naming_no_field_is_a_list_of_problems_too() -> None:
    answer = asyncio.run(http_error_response(_request(), HTTPException(422, "not like that")))
    assert answer.status_code == 422
    assert json.loads(bytes(answer.body)) == {
        "detail": [{"parameter": "request", "message": "not like that"}]
    }


def test_other_http_errors_keep_their_shape_but_not_a_huge_message() -> None:
    error = HTTPException(403, "caller may not execute " + "a" * 100_000, {"X-Why": "test"})
    answer = asyncio.run(http_error_response(_request(), error))
    assert answer.status_code == 403 and answer.headers["X-Why"] == "test"
    assert len(json.loads(bytes(answer.body))["detail"]) == 500


def test_other_http_errors_keep_their_message_and_headers(client: TestClient) -> None:
    answer = client.get("/api/v1/audit", headers={"Authorization": "Bearer nonsense"})
    assert answer.status_code == 401
    assert isinstance(answer.json()["detail"], str)
    assert answer.headers["WWW-Authenticate"] == "Bearer"


# --- Error bodies do not echo a huge value -----------------------------------------------


def test_an_echoed_query_value_is_truncated(client: TestClient) -> None:
    answer = client.get("/api/v1/executions", params={"limit": "a" * 10_000})
    (found,) = assert_problems(answer, "limit")
    assert found["message"].endswith("(got '" + "a" * 79 + "…' (10000 characters))")
    assert len(answer.content) < 1000


def test_a_short_echoed_value_is_whole(client: TestClient) -> None:
    answer = client.get("/api/v1/executions", params={"limit": "many"})
    (problem,) = assert_problems(answer, "limit")
    assert problem["message"].endswith("(got 'many')")


def test_a_domain_error_does_not_echo_a_huge_value() -> None:
    # The routes bound what they pass on (an action ref's length, say); this is the backstop.
    error = UnknownEntity("action", "core." + "a" * 100_000)
    answer = asyncio.run(domain_error_response(_request(), error))
    assert answer.status_code == 404
    detail = json.loads(bytes(answer.body))["detail"]
    assert detail.startswith("unknown action 'core.aaa") and detail.endswith("…")
    assert len(detail) == 500


def test_a_huge_parameter_name_is_not_echoed_whole(client: TestClient) -> None:
    name = "p" * 100_000
    body = {"action": "core.echo", "parameters": {"message": "hi", name: 1}}
    answer = client.post("/api/v1/executions", json=body)
    assert answer.status_code == 422
    assert len(answer.content) < 2000
    assert all(len(p["parameter"]) <= 500 for p in answer.json()["detail"])


# --- A time parameter is an ISO-8601 date-time -------------------------------------------


@pytest.mark.parametrize("path", TIMED_LISTS)
@pytest.mark.parametrize("parameter", ["since", "until"])
@pytest.mark.parametrize("value", ["0.5", "1700000000", "2026-12-01", "yesterday"])
def test_a_time_that_is_not_an_iso_date_time_is_a_422(
    client: TestClient, path: str, parameter: str, value: str
) -> None:
    assert_problems(client.get(path, params={parameter: value}), parameter)


@pytest.mark.parametrize("path", TIMED_LISTS)
@pytest.mark.parametrize(
    "value",
    [
        "2026-12-01T20:12:46Z",
        "2026-12-01T20:12:46.278+00:00",
        "2026-12-01T20:12:46",
        "2026-12-01T22:12+02:00",
    ],
)
def test_an_iso_date_time_is_accepted(client: TestClient, path: str, value: str) -> None:
    answer = client.get(path, params={"since": value, "until": value})
    assert answer.status_code == 200, answer.text


def test_the_schema_says_a_time_is_a_date_time(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in TIMED_LISTS:
        parameters = {p["name"]: p for p in paths[path]["get"]["parameters"]}
        for name in ("since", "until"):
            types = parameters[name]["schema"]["anyOf"]
            assert {"type": "string", "format": "date-time"} in types, (path, name, types)


# --- A chunked oversize body is refused like a declared one ------------------------------


@pytest.fixture
def server(services: ApiServices, admin_key: str) -> Iterator[tuple[int, str]]:
    """The real API served by uvicorn on a free port (TestClient always declares a
    Content-Length, so it cannot send a chunked body)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    while not served.started:
        assert thread.is_alive(), "uvicorn did not start"
        threading.Event().wait(0.01)
    yield port, admin_key
    served.should_exit = True
    thread.join(timeout=10)


def test_a_chunked_body_past_the_limit_is_a_413_before_it_ends(
    server: tuple[int, str], client: TestClient
) -> None:
    port, key = server
    declared = client.post("/api/v1/executions", content=b" " * (MAX_BODY_BYTES + 1))
    assert declared.status_code == 413
    with socket.create_connection(("127.0.0.1", port), timeout=5) as connection:
        connection.sendall(
            b"POST /api/v1/executions HTTP/1.1\r\nHost: test\r\n"
            b"Authorization: Bearer " + key.encode() + b"\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b" " * 65536
        try:
            # Past the limit, but never the last chunk: the server must answer without it.
            for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
                connection.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server stopped reading once it had answered
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += connection.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head)[1])  # type: ignore[index]
        while len(body) < length:
            body += connection.recv(65536)
    assert head.startswith(b"HTTP/1.1 413"), head
    assert body == declared.content


def test_a_chunked_body_within_the_limit_reaches_the_route(server: tuple[int, str]) -> None:
    port, key = server

    def chunks() -> Iterator[bytes]:
        yield b'{"action": "core.echo", '
        yield b'"parameters": {"message": "chunked"}}'

    answer = httpx.post(
        f"http://127.0.0.1:{port}/api/v1/executions",
        content=chunks(),
        headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
    )
    assert answer.status_code == 202, answer.text
