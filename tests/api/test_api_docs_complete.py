"""docs/api.md lists every operation of the OpenAPI document, with the permission it needs.

Each operation is a table row `| METHOD | `path` | permission | what |`; the permission is the
one the route's `requires(...)` checks (`public`, or `a session` for logout).
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from tests.api.test_api_access import permission_of, routes_of

API_MD = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ROW = re.compile(r"^\| (GET|POST|PUT|DELETE|PATCH) \| `([^`]+)` \| ([^|]+) \|", re.MULTILINE)
NO_PERMISSION = {("POST", "/auth/v1/logout"): "a session"}


def documented() -> dict[tuple[str, str], str]:
    rows = ROW.findall(API_MD.read_text())
    found = {(method, path): permission.strip().strip("`") for method, path, permission in rows}
    assert len(found) == len(rows), "an operation is listed twice in docs/api.md"
    return found


def test_every_openapi_operation_is_in_docs_api_md_with_its_permission(
    client: TestClient,
) -> None:
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    operations = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    routes = {(method, path): route for method, path, route in routes_of(client)}
    expected = {
        op: permission_of(routes[op]) or NO_PERMISSION.get(op, "public") for op in operations
    }
    listed = documented()

    missing = sorted(op for op in expected if op not in listed)
    assert not missing, "docs/api.md lacks: " + ", ".join(f"{m} {p}" for m, p in missing)
    assert sorted(op for op in listed if op not in expected) == [], "not in the OpenAPI"
    wrong = {op: (listed[op], need) for op, need in expected.items() if listed[op] != need}
    assert wrong == {}, "permissions in docs/api.md (listed, checked)"
