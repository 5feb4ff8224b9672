"""Every route of the real application refuses strangers and callers lacking permission.

The routes are enumerated from the application itself (not from the OpenAPI document), so
a new route without a permission check, or without a sample request here, fails this test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import UUID

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.keystore import SetKey
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.access import BUILT_IN_ROLES, Grants
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.identity import IdentityKind
from attune.domain.keystore import KeyScope
from attune.domain.parameters import ParameterSpec
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.passwords import hash_password
from attune.projections.projector import Projector
from tests.api.api_harness import T0

SPARE_KEY = UUID("019b0000-0000-7000-8000-00000000beef")  # the observer's second key
FIRED = UUID("019b0000-0000-7000-8000-0000000000f1")  # a trigger event of core.tick

PUBLIC = {
    ("GET", "/health"),
    ("POST", "/auth/v1/login"),
    ("POST", "/auth/v1/refresh"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
    ("GET", "/redoc"),
}
# Any authenticated caller may log out: it needs a session, not a permission.
SESSION_ONLY = {("POST", "/auth/v1/logout")}


def execution_id(_client: TestClient) -> str:
    return str(UUID(int=99))


# One sample request per protected route: (json body, path parameters).
SAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("GET", "/api/v1/packs"): {},
    ("GET", "/api/v1/actions"): {},
    ("GET", "/api/v1/actions/{ref}"): {"path": {"ref": "core.noop"}},
    ("GET", "/api/v1/triggers"): {},
    ("GET", "/api/v1/triggers/{ref}"): {"path": {"ref": "core.tick"}},
    ("GET", "/api/v1/rules"): {},
    ("GET", "/api/v1/rules/{ref}"): {"path": {"ref": "core.sample"}},
    ("POST", "/api/v1/rules"): {
        "json": {"ref": "core.new_{n}", "trigger": "core.tick", "action": "core.noop"}
    },
    ("PUT", "/api/v1/rules/{ref}"): {
        "path": {"ref": "core.sample"},
        "json": {"trigger": "core.tick", "action": "core.noop", "description": "replaced"},
    },
    ("DELETE", "/api/v1/rules/{ref}"): {"path": {"ref": "core.doomed"}},
    ("POST", "/api/v1/rules/{ref}/enable"): {"path": {"ref": "core.sample"}},
    ("POST", "/api/v1/rules/{ref}/disable"): {"path": {"ref": "core.sample"}},
    ("GET", "/api/v1/events"): {},
    ("GET", "/api/v1/events/{event_id}"): {"path": {"event_id": str(FIRED)}},
    ("POST", "/api/v1/events/{event_id}/re-emit"): {"path": {"event_id": str(FIRED)}},
    ("POST", "/api/v1/rules/test"): {"json": {"rule": "core.sample", "event": str(FIRED)}},
    ("GET", "/api/v1/packs/{ref}/config"): {"path": {"ref": "core"}},
    ("PUT", "/api/v1/packs/{ref}/config"): {"path": {"ref": "core"}, "json": {"values": {}}},
    ("POST", "/api/v1/webhooks/{name}"): {"path": {"name": "hook"}, "json": {"n": "{n}"}},
    ("POST", "/api/v1/webhooks"): {"json": {"trigger": "core.tick", "payload": {}}},
    ("POST", "/api/v1/rules/what-if"): {
        "json": {"rule": "core.sample", "since": "2024-01-01T00:00:00Z"}
    },
    ("GET", "/api/v1/enforcements"): {},
    ("GET", "/api/v1/executions"): {},
    ("POST", "/api/v1/executions"): {"json": {"action": "core.noop"}},
    ("GET", "/api/v1/executions/{execution_id}"): {"path": {"execution_id": execution_id}},
    ("GET", "/api/v1/executions/{execution_id}/history"): {"path": {"execution_id": execution_id}},
    ("DELETE", "/api/v1/executions/{execution_id}"): {"path": {"execution_id": execution_id}},
    ("GET", "/api/v1/identities"): {},
    ("POST", "/api/v1/identities"): {
        "json": {"login": "newcomer-{n}", "kind": "service", "roles": ["observer"]}
    },
    ("PUT", "/api/v1/identities/{login}/roles"): {
        "path": {"login": "spare"},
        "json": {"roles": ["observer"]},
    },
    ("PUT", "/api/v1/identities/{login}/password"): {
        "path": {"login": "spare"},
        "json": {"password": "a-new-password"},
    },
    ("DELETE", "/api/v1/identities/{login}"): {"path": {"login": "spare"}},
    ("GET", "/api/v1/roles"): {},
    ("PUT", "/api/v1/roles/{name}"): {
        "path": {"name": "auditor"},
        "json": {"grants": [{"permission": "audit:read"}]},
    },
    ("GET", "/api/v1/apikeys"): {},
    ("POST", "/api/v1/apikeys"): {"json": {"name": "ci"}},
    ("DELETE", "/api/v1/apikeys/{key_id}"): {"path": {"key_id": str(SPARE_KEY)}},
    ("GET", "/api/v1/audit"): {},
    ("GET", "/api/v1/keys"): {},
    ("GET", "/api/v1/keys/{scope}/{name}"): {"path": {"scope": "system", "name": "spare"}},
    ("GET", "/api/v1/keys/{scope}/{name}/sealed"): {"path": {"scope": "system", "name": "spare"}},
    ("PUT", "/api/v1/keys/{scope}/{name}"): {
        "path": {"scope": "system", "name": "written"},
        "json": {"value": "v"},
    },
    ("DELETE", "/api/v1/keys/{scope}/{name}"): {"path": {"scope": "system", "name": "doomed"}},
}


def routes_of(client: TestClient) -> Iterator[tuple[str, str, APIRoute | Any]]:
    """(method, path, route) of every route the application serves."""
    for top in client.app.routes:  # type: ignore[attr-defined]
        # Recent FastAPI keeps included routers whole; their routes are their contexts.
        contexts = getattr(top, "effective_route_contexts", None)
        for route in contexts() if contexts else [top]:
            for method in sorted(getattr(route, "methods", None) or []):
                if method != "HEAD":  # the path as documented: `{ref}`, not `{ref:ref}`
                    yield method, getattr(route, "path_format", route.path), route


def permission_of(route: APIRoute) -> str | None:
    """The permission the route's `requires(...)` dependency checks."""
    stack = list(route.dependant.dependencies)
    while stack:
        dependency = stack.pop()
        found = getattr(dependency.call, "permission", None)
        if found:
            return str(found)
        stack += dependency.dependencies
    return None


@pytest.fixture
def world(
    store: EventStore,
    commands: CommandService,
    projector: Projector,
    services: ApiServices,
    credentials: LocalCredentials,
    admin_key: str,
    live_projection: None,
) -> dict[str, Any]:
    """The admin's client, and an API key for one user per built-in role."""
    keys = {"admin": admin_key}
    for n, role in enumerate(("operator", "observer", "worker")):
        commands.execute(
            m.CreateIdentity(
                actor="t",
                at=T0,
                login=role,
                kind=IdentityKind.USER,
                roles=[role],
                password_hash=hash_password("pw-pw-pw-pw"),
            )
        )
        key_id = UUID(int=(0x019B << 112) | (7 << 76) | (0x1000 + n))
        key, secret_hash = credentials.new_api_key(key_id)
        commands.execute(
            m.CreateApiKey(
                actor="t", at=T0, key_id=key_id, login=role, name="t", secret_hash=secret_hash
            )
        )
        keys[role] = key
    commands.execute(
        m.CreateIdentity(actor="t", at=T0, login="spare", kind=IdentityKind.SERVICE, roles=[])
    )
    commands.execute(
        m.CreateApiKey(
            actor="t",
            at=T0,
            key_id=SPARE_KEY,
            login="observer",
            name="spare",
            secret_hash="0" * 64,
        )
    )
    commands.execute(
        m.RequestExecution(actor="t", at=T0, execution_id=UUID(int=99), action="core.noop")
    )
    commands.execute(m.RegisterPack(actor="t", at=T0, definition=PackDefinition(ref="core")))
    commands.execute(
        m.RegisterTriggerType(
            actor="t",
            at=T0,
            definition=TriggerTypeDefinition(ref="core.tick", pack="core", name="tick"),
        )
    )
    commands.execute(
        m.RegisterTriggerType(
            actor="t",
            at=T0,
            definition=TriggerTypeDefinition(
                ref="core.webhook",
                pack="core",
                name="webhook",
                parameters={"url": ParameterSpec(type="string", required=True)},
            ),
        )
    )
    for rule, trigger, params in (
        ("sample", "core.tick", {}),
        ("doomed", "core.tick", {}),
        ("hooked", "core.webhook", {"url": "hook"}),
    ):
        definition = RuleDefinition(
            ref=f"core.{rule}",
            pack="core",
            name=rule,
            trigger=trigger,
            trigger_params=params,
            action="core.noop",
        )
        commands.execute(m.RegisterRule(actor="t", at=T0, definition=definition))
    commands.execute(m.FireTrigger(actor="t", at=T0, trigger_event_id=FIRED, trigger="core.tick"))
    for name in ("spare", "doomed"):
        commands.execute(SetKey(actor="t", at=T0, name=name, scope=KeyScope.SYSTEM, value=1))
    projector.catch_up(store)
    return {"keys": keys, "services": services}


def call(client: TestClient, method: str, path: str, key: str | None, n: int) -> Any:
    sample = SAMPLES[(method, path)]
    params = {k: (v(client) if callable(v) else v) for k, v in sample.get("path", {}).items()}
    url = path.format(**params)
    body = sample.get("json")
    if body is not None:
        body = {k: v.format(n=n) if isinstance(v, str) else v for k, v in body.items()}
    headers = {} if key is None else {"Authorization": f"Bearer {key}"}
    return client.request(method, url, json=body, headers=headers)


def test_every_route_needs_credentials_and_the_permission_it_declares(
    world: dict[str, Any],
    client: TestClient,
    store: EventStore,
    projector: Projector,
) -> None:
    keys = world["keys"]
    client = TestClient(client.app)  # no default credentials: each call brings its own
    routes = list(routes_of(client))
    assert {(m_, p) for m_, p, _ in routes} >= set(SAMPLES) | SESSION_ONLY
    checked = 0
    for n, (method, path, route) in enumerate(routes):
        if (method, path) in PUBLIC | SESSION_ONLY:
            continue
        assert (method, path) in SAMPLES, f"no sample request for {method} {path}: add one"
        permission = permission_of(route)
        assert permission, f"{method} {path} checks no permission"

        stranger = call(client, method, path, None, n)
        assert stranger.status_code == 401, (method, path, stranger.text)
        assert stranger.headers["www-authenticate"] == "Bearer"

        lacking = [
            r for r, p in BUILT_IN_ROLES.items() if not Grants.of_roles([r], {}).allows(permission)
        ]
        for role in lacking:
            refused = call(client, method, path, keys[role], n)
            assert refused.status_code == 403, (method, path, role, refused.text)
            assert permission in refused.json()["detail"]

        holder = next(
            r
            for r in ("observer", "operator", "admin")
            if Grants.of_roles([r], {}).allows(permission)
        )
        projector.catch_up(store)
        allowed = call(client, method, path, keys[holder], n)
        assert 200 <= allowed.status_code < 300, (method, path, holder, allowed.text)
        checked += 1
    assert checked == len(SAMPLES)


def test_lists_show_only_what_the_caller_may_read(
    world: dict[str, Any],
    client: TestClient,
    commands: CommandService,
    store: EventStore,
    projector: Projector,
) -> None:
    from attune.domain.access import GrantSpec, RoleDefinition

    commands.execute(
        m.DefineRole(
            actor="t",
            at=T0,
            definition=RoleDefinition(
                ref="core-reader",
                grants=[
                    GrantSpec(permission="action:read", packs=["core"]),
                    GrantSpec(permission="execution:read", packs=["other"]),
                ],
            ),
        )
    )
    commands.execute(
        m.CreateIdentity(
            actor="t", at=T0, login="limited", kind=IdentityKind.SERVICE, roles=["core-reader"]
        )
    )
    projector.catch_up(store)
    key = client.post("/api/v1/apikeys", json={"name": "k", "login": "limited"}).json()["key"]
    projector.catch_up(store)
    as_limited = {"Authorization": f"Bearer {key}"}

    actions = client.get("/api/v1/actions", headers=as_limited).json()
    assert actions["total"] > 0 and {a["pack"] for a in actions["items"]} == {"core"}
    executions = client.get("/api/v1/executions", headers=as_limited).json()
    assert executions["total"] == 0  # only `other` pack executions, and there are none
    assert client.get("/api/v1/packs", headers=as_limited).status_code == 403


def test_taking_rights_away_applies_at_once_despite_the_caller_cache(
    world: dict[str, Any], client: TestClient
) -> None:
    as_operator = {"Authorization": f"Bearer {world['keys']['operator']}"}
    assert client.get("/api/v1/executions", headers=as_operator).status_code == 200  # cached

    client.put("/api/v1/identities/operator/roles", json={"roles": ["observer"]})
    post = client.post("/api/v1/executions", json={"action": "core.noop"}, headers=as_operator)
    assert post.status_code == 403

    own = client.post("/api/v1/apikeys", json={"name": "short-lived"}, headers=as_operator).json()
    as_short_lived = {"Authorization": f"Bearer {own['key']}"}
    assert client.get("/api/v1/packs", headers=as_short_lived).status_code == 200
    revoke = client.delete(f"/api/v1/apikeys/{own['id']}", headers=as_operator)
    assert revoke.status_code == 204
    assert client.get("/api/v1/packs", headers=as_short_lived).status_code == 401

    client.delete("/api/v1/identities/operator")
    assert client.get("/api/v1/packs", headers=as_operator).status_code == 401
