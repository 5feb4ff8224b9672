"""The last enabled admin cannot be disabled or lose the `admin` role (issue 12, defect 4):
the API answers 409 saying why, and the admin's credentials keep working."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

LAST_ADMIN = (
    "'{login}' is the last enabled identity with the admin role; "
    "give another identity the admin role first"
)


def add_admin(client: TestClient, login: str) -> dict[str, str]:
    """A second admin (a service account) and the headers of its API key."""
    created = client.post(
        "/api/v1/identities", json={"login": login, "kind": "service", "roles": ["admin"]}
    )
    assert created.status_code == 201, created.text
    key = client.post("/api/v1/apikeys", json={"name": "k", "login": login})
    assert key.status_code == 201, key.text
    return {"Authorization": f"Bearer {key.json()['key']}"}


def identity(client: TestClient, login: str) -> dict[str, Any]:
    return next(i for i in client.get("/api/v1/identities").json() if i["login"] == login)


def test_the_last_admin_cannot_be_disabled(client: TestClient, live_projection: None) -> None:
    refused = client.delete("/api/v1/identities/admin")

    assert refused.status_code == 409
    assert refused.json() == {"detail": LAST_ADMIN.format(login="admin")}
    assert identity(client, "admin")["enabled"]  # and its key still works


def test_the_last_admin_cannot_lose_the_admin_role(
    client: TestClient, live_projection: None
) -> None:
    refused = client.put("/api/v1/identities/admin/roles", json={"roles": ["operator"]})
    assert refused.status_code == 409
    assert refused.json() == {"detail": LAST_ADMIN.format(login="admin")}
    assert identity(client, "admin")["roles"] == ["admin"]

    kept = client.put("/api/v1/identities/admin/roles", json={"roles": ["admin", "operator"]})
    assert kept.status_code == 204
    assert identity(client, "admin")["roles"] == ["admin", "operator"]


def test_an_admin_may_go_while_another_enabled_admin_remains(
    client: TestClient, live_projection: None
) -> None:
    add_admin(client, "backup")
    as_second = add_admin(client, "second")
    assert client.delete("/api/v1/identities/backup").status_code == 204

    demoted = client.put("/api/v1/identities/admin/roles", json={"roles": ["observer"]})
    assert demoted.status_code == 204  # `second` is still an enabled admin

    # `backup` keeps the admin role but is disabled: it does not count.
    refused = client.delete("/api/v1/identities/second", headers=as_second)
    assert refused.status_code == 409
    assert refused.json() == {"detail": LAST_ADMIN.format(login="second")}
    assert client.get("/api/v1/identities", headers=as_second).status_code == 200


def test_the_openapi_document_names_the_409s(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    for method, path in (
        ("delete", "/api/v1/identities/{login}"),
        ("put", "/api/v1/identities/{login}/roles"),
    ):
        conflict = paths[path][method]["responses"]["409"]
        assert "last enabled identity with the admin role" in conflict["description"]
        assert conflict["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Message"
        }
