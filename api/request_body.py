"""RequestBody: the base of every JSON request body the API accepts.

JSON can escape a lone UTF-16 surrogate (`"\\udc00"`), which Python decodes into a string
that no UTF-8 encoder accepts: not the event store's, not Kafka's, not a response's; and a
NUL (`"\\u0000"`), which PostgreSQL's read models cannot hold. A body holding one is
refused here, as a 422 naming each such field, so its command is refused
alone before it can join (and fail) a group commit. Unknown fields are refused too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

Location = tuple[str | int, ...]

_NOT_STORABLE = PydanticCustomError(
    "string_unicode",
    "contains a lone surrogate (\\ud800-\\udfff escape) or a NUL (\\u0000): not storable text",
)
_KEY_NOT_STORABLE = PydanticCustomError(
    "string_unicode",
    "has a key with a lone surrogate (\\ud800-\\udfff escape) or a NUL (\\u0000): "
    "not storable text",
)


def _is_storable(text: str) -> bool:
    """Valid Unicode that every store takes: no lone surrogate, no NUL (which PostgreSQL's
    text and JSONB refuse)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _unstorable(value: Any, at: Location) -> Iterator[InitErrorDetails]:
    """Where in a decoded JSON value a string (or an object's key) is not valid Unicode."""
    if isinstance(value, str):
        if not _is_storable(value):
            yield InitErrorDetails(type=_NOT_STORABLE, loc=at, input="")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _is_storable(key):  # the key itself cannot be named in the answer
                yield InitErrorDetails(type=_KEY_NOT_STORABLE, loc=at, input="")
            else:
                yield from _unstorable(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _unstorable(item, (*at, index))


def refuse_unstorable(value: Any, source: str, field: str) -> None:
    """Refuse a value decoded from a raw body (not a `RequestBody`) that holds a string no
    UTF-8 encoder accepts: the 422 names each such place below `field`."""
    problems = [
        {
            "type": "string_unicode",
            "loc": (source, field, *p["loc"]),
            "msg": _NOT_STORABLE.message(),
        }
        for p in _unstorable(value, ())
    ]
    if problems:
        raise RequestValidationError(problems)


def invalid(source: str, field: str, message: str) -> RequestValidationError:
    """The 422 for a request `field` ("query", "path" or "body") that the schema could not
    refuse: it reads like the schema's own refusals."""
    return RequestValidationError([{"type": "value_error", "loc": (source, field), "msg": message}])


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_lone_surrogates(cls, data: Any) -> Any:
        problems = list(_unstorable(data, ()))
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data
