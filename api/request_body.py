"""RequestBody: the base of every JSON request body the API accepts.

JSON can escape a lone UTF-16 surrogate (`"\\udc00"`), which Python decodes into a string
that no UTF-8 encoder accepts: not the event store's, not Kafka's, not a response's. A body
holding one is refused here, as a 422 naming each such field, so its command is refused
alone before it can join (and fail) a group commit. Unknown fields are refused too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

Location = tuple[str | int, ...]

_NOT_UNICODE = PydanticCustomError(
    "string_unicode", "contains a lone surrogate (\\ud800-\\udfff escape): not valid Unicode"
)
_KEY_NOT_UNICODE = PydanticCustomError(
    "string_unicode", "has a key with a lone surrogate (\\ud800-\\udfff escape): not valid Unicode"
)


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_unicode(value: Any, at: Location) -> Iterator[InitErrorDetails]:
    """Where in a decoded JSON value a string (or an object's key) is not valid Unicode."""
    if isinstance(value, str):
        if not _is_unicode(value):
            yield InitErrorDetails(type=_NOT_UNICODE, loc=at, input="")
    elif isinstance(value, dict):
        for key, item in value.items():
            if not _is_unicode(key):  # the key itself cannot be named in the answer
                yield InitErrorDetails(type=_KEY_NOT_UNICODE, loc=at, input="")
            else:
                yield from _not_unicode(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _not_unicode(item, (*at, index))


def invalid(source: str, field: str, message: str) -> RequestValidationError:
    """The 422 for a request `field` ("query", "path" or "body") that the schema could not
    refuse: it reads like the schema's own refusals."""
    return RequestValidationError([{"type": "value_error", "loc": (source, field), "msg": message}])


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _refuse_lone_surrogates(cls, data: Any) -> Any:
        problems = list(_not_unicode(data, ()))
        if problems:
            raise ValidationError.from_exception_data(cls.__name__, problems)
        return data
