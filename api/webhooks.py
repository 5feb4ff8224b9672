"""Webhooks: other systems fire triggers by calling in.

`POST /api/v1/webhooks/{name}` fires `core.webhook` with ``trigger_params: {url: name}``
for the rules listening to that webhook (none: 404); its payload is ``{headers, body}``,
the body parsed by its content type (JSON, a form, else UTF-8 text). `POST
/api/v1/webhooks` fires any trigger type with the payload (and trigger parameters) given,
checked against the type's schemas (422 naming the field). Both answer 202 with the
trigger event's id once the firing is stored.

The sender is a caller with `webhook:send` for the trigger type's pack (an API key or a
token), or, for a named webhook, the holder of its signing secret (the system key
``webhook.<name>``): ``X-Attune-Signature: sha256=<hex HMAC-SHA256 of the raw body>``,
compared in constant time. A signature that is present is always checked; a bad one, or
one for a webhook without a secret, is a 401. Nothing is stored for a refused call, and
credentials never enter the event: `CREDENTIAL_HEADERS` and the headers of the setting
`webhook_dropped_headers` are left out of the stored headers.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs
from uuid import UUID

from fastapi import APIRouter, Depends, Header, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from attune.api.access import Caller, current_caller, unauthenticated
from attune.api.dependencies import ApiServices, Services, client_address
from attune.api.errors import Message, Problems, Responses
from attune.api.request_body import RequestBody, refuse_unstorable
from attune.commands.errors import UnknownEntity
from attune.commands.keystore import open_value
from attune.commands.models import FireTrigger
from attune.domain.definitions import FROM_LOG, MAX_NAME, REF_PATTERN, TriggerTypeDefinition
from attune.domain.errors import InvalidParameters
from attune.domain.ids import new_runtime_id
from attune.domain.keystore import KEY_NAME_PATTERN, KeyScope
from attune.domain.parameters import validate_parameters
from attune.projections import queries
from attune.projections.keystore import get_key

router = APIRouter(tags=["webhooks"])
log = logging.getLogger(__name__)

WEBHOOK_TRIGGER = "core.webhook"
PERMISSION = "webhook:send"
SIGNATURE_HEADER = "X-Attune-Signature"
SECRET_KEY_PREFIX = "webhook."  # the system key holding a webhook's signing secret
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "x-api-key", SIGNATURE_HEADER.lower()}
)
_UNSIGNED = "the signature does not match the body"


@dataclass(frozen=True)
class Sender:
    """Who calls: an authenticated caller, or someone presenting a signature (checked by
    the route, which knows the webhook)."""

    caller: Caller | None
    signature: str | None


async def webhook_sender(
    request: Request,
    services: Services,
    signature: Annotated[
        str | None,
        Header(
            alias=SIGNATURE_HEADER,
            description="sha256=<hex HMAC-SHA256 of the raw body with the webhook's secret> "
            "(named webhooks; instead of a credential)",
        ),
    ] = None,
) -> Sender:
    if signature is not None:
        return Sender(None, signature)
    caller = await current_caller(request, services)
    if not caller.may(PERMISSION):
        raise HTTPException(403, f"{caller.login} lacks the permission {PERMISSION}")
    return Sender(caller, None)


webhook_sender.permission = PERMISSION  # type: ignore[attr-defined]  # read by the route audit test


async def raw_body(request: Request) -> bytes:
    return await request.body()


class WebhookAccepted(BaseModel):
    id: UUID = Field(description="The trigger event's id.")
    position: int = Field(description="The store position of the firing; pass it to reads.")


class GenericWebhook(RequestBody):
    trigger: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME, description="A trigger type.")
    trigger_params: dict[str, Any] = Field(
        default={}, description="Parameters of the trigger (rules naming others do not fire)."
    )
    payload: dict[str, Any] = Field(
        default={}, description="The trigger event's payload, checked against the type's."
    )


class WebhookLookups:
    """What a webhook call reads of the read model, a found answer remembered for
    `REMEMBERED` seconds: whether enabled rules listen to a webhook, and its signing secret.

    A busy webhook is called many times a second; reading both each time cost a third of a
    call. Only what was found is remembered: a webhook whose rule or secret was just set is
    found at once. One whose rule was just disabled may store an event or two more, which no
    rule then matches (the rule engine decides on its own rules); a secret just replaced or
    deleted is still accepted for at most that second.
    """

    REMEMBERED = 1.0

    def __init__(self) -> None:
        self._listened: dict[str, float] = {}  # name -> until when
        self._secrets: dict[str, tuple[str, float]] = {}  # name -> (secret, until when)

    def listened(self, read_engine: Engine, name: str) -> bool:
        if self._listened.get(name, 0.0) > time.monotonic():
            return True
        with read_engine.connect() as connection:
            rules = queries.rules_of_trigger(connection, WEBHOOK_TRIGGER, enabled=True)
        found = any(row["definition"].get("trigger_params", {}).get("url") == name for row in rules)
        if found:
            self._listened[name] = time.monotonic() + self.REMEMBERED
        return found

    def secret(self, services: ApiServices, name: str) -> str | None:
        """The webhook's signing secret (the system key ``webhook.<name>``), or None."""
        remembered = self._secrets.get(name)
        if remembered is not None and remembered[1] > time.monotonic():
            return remembered[0]
        with services.read_engine.connect() as connection:
            address = (SECRET_KEY_PREFIX + name, KeyScope.SYSTEM, None, services.clock())
            key = get_key(connection, *address)
        if key is None:
            return None
        secret = open_value(key["value"], key["encrypted"], services.commands.secrets)
        if not isinstance(secret, str) or not secret:
            return None
        self._secrets[name] = (secret, time.monotonic() + self.REMEMBERED)
        return secret


def _check_signature(secret: str | None, name: str, signature: str, body: bytes) -> None:
    if secret is None:
        log.warning(
            "webhook %s: a signed call, but no system key %s%s", name, SECRET_KEY_PREFIX, name
        )
        raise unauthenticated(_UNSIGNED)
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise unauthenticated(_UNSIGNED)


def _body_problem(message: str) -> RequestValidationError:
    return RequestValidationError([{"type": "json_invalid", "loc": ("body",), "msg": message}])


def _refuse_constant(constant: str) -> Any:
    raise ValueError(f"{constant} is not a JSON number")


def parsed_body(body: bytes, content_type: str | None) -> Any:
    """The body as rules read it: JSON decoded, a form as an object (a field given twice:
    a list), anything else UTF-8 text; an empty body is null."""
    if not body:
        return None
    media = (content_type or "").partition(";")[0].strip().lower()
    try:
        if media == "application/json" or media.endswith("+json"):
            value = json.loads(body, parse_constant=_refuse_constant)
        elif media == "application/x-www-form-urlencoded":
            fields = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True)
            value = {key: given[0] if len(given) == 1 else given for key, given in fields.items()}
        else:
            value = body.decode("utf-8")
    except UnicodeDecodeError:
        raise _body_problem("is not UTF-8 text") from None
    except ValueError as problem:
        raise _body_problem(f"is not valid {media or 'text'}: {problem}") from None
    refuse_unstorable(value, "body", "body")
    return value


def _stored_headers(request: Request, services: ApiServices) -> dict[str, str]:
    dropped = CREDENTIAL_HEADERS | services.webhook_dropped_headers
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        if name not in dropped:
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def _fire(
    services: ApiServices,
    request: Request,
    actor: str,
    trigger: str,
    trigger_params: dict[str, Any],
    payload: dict[str, Any],
) -> WebhookAccepted:
    at = services.clock()
    event_id = new_runtime_id(at, services.entropy(10))
    position = services.commands.execute(
        FireTrigger(
            actor=actor,
            at=at,
            source=client_address(request),
            correlation_id=event_id,
            trigger_event_id=event_id,
            trigger=trigger,
            trigger_params=trigger_params,
            payload=payload,
        )
    )
    return WebhookAccepted(id=event_id, position=position)


_REFUSALS: Responses = {
    401: {"model": Message, "description": "No credential, or a signature that does not match"},
    413: {"model": Message, "description": "The body is larger than the API accepts"},
}


@router.post(
    "/webhooks/{name}",
    status_code=202,
    responses=_REFUSALS
    | {
        404: {"model": Message, "description": "No enabled rule listens to this webhook"},
        422: {"model": Problems, "description": "A body that cannot be read or stored"},
    },
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {"schema": {}},
                "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
                "text/plain": {"schema": {"type": "string"}},
            },
        }
    },
)
def send_webhook(
    name: Annotated[
        str,
        Path(pattern=KEY_NAME_PATTERN, max_length=MAX_NAME, description="The webhook's name."),
    ],
    request: Request,
    services: Services,
    sender: Annotated[Sender, Depends(webhook_sender)],
    body: Annotated[bytes, Depends(raw_body)],
) -> WebhookAccepted:
    """Fire `core.webhook` for the rules listening to this webhook, with the request's
    headers (credentials left out) and its parsed body as the payload."""
    # (no read-your-writes wait: a signed sender is no caller, and the sender of a webhook
    # cannot know a store position)
    lookups: WebhookLookups = request.app.state.webhook_lookups
    if sender.signature is not None:
        _check_signature(lookups.secret(services, name), name, sender.signature, body)
        actor = f"webhook:{name}"
    else:
        assert sender.caller is not None
        if not sender.caller.may(PERMISSION, WEBHOOK_TRIGGER.partition(".")[0]):
            raise HTTPException(403, f"{sender.caller.login} may not send {WEBHOOK_TRIGGER}")
        actor = sender.caller.login
    if not lookups.listened(services.read_engine, name):
        raise UnknownEntity("webhook", name)
    payload = {
        "headers": _stored_headers(request, services),
        "body": parsed_body(body, request.headers.get("content-type")),
    }
    return _fire(services, request, actor, WEBHOOK_TRIGGER, {"url": name}, payload)


@router.post(
    "/webhooks",
    status_code=202,
    responses=_REFUSALS
    | {
        404: {"model": Message, "description": "Unknown trigger type"},
        422: {"model": Problems, "description": "A payload or parameters that do not fit"},
    },
)
def send_generic_webhook(
    body: GenericWebhook,
    request: Request,
    services: Services,
    sender: Annotated[Sender, Depends(webhook_sender)],
) -> WebhookAccepted:
    """Fire any trigger type with the payload given, checked against its schema."""
    if sender.caller is None:
        raise unauthenticated(
            "a signature is for a named webhook (/webhooks/{name}); give a credential"
        )
    pack = body.trigger.partition(".")[0]
    if not sender.caller.may(PERMISSION, pack):
        raise HTTPException(403, f"{sender.caller.login} may not send {body.trigger}")
    with services.read_engine.connect() as connection:
        row = queries.get_trigger_type(connection, body.trigger)
    if row is None:
        raise UnknownEntity("trigger type", body.trigger)
    trigger_type = TriggerTypeDefinition.model_validate(row["definition"], context=FROM_LOG)
    problems = []
    for field, schema, given, others in (
        ("trigger_params", trigger_type.parameters, body.trigger_params, False),
        ("payload", trigger_type.payload, body.payload, True),
    ):
        try:
            validate_parameters(body.trigger, schema, given, others=others)
        except InvalidParameters as refused:
            problems += [
                {"type": "value_error", "loc": ("body", field, p.parameter), "msg": p.message}
                for p in refused.problems
            ]
    if problems:
        raise RequestValidationError(problems)
    actor = sender.caller.login
    return _fire(services, request, actor, body.trigger, body.trigger_params, body.payload)
