"""The `since`/`until` query parameters of time-ordered lists: ISO-8601 date-times only.

Pydantic alone would also read a number (`?until=0.5`) as a Unix timestamp and a date
(`2026-12-01`) as its midnight; both are refused here, so a time parameter means exactly
what the schema's `format: date-time` says. A time without a zone is read as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Query
from pydantic import AfterValidator, BeforeValidator

# A calendar date, a time to the minute at least, and an optional zone (RFC 3339 allows
# the lower-case `t` and `z`). Pydantic then checks the fields' ranges.
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}:\d{2})?"
)
_EXPECTED = "must be an ISO-8601 date-time, like 2026-12-01T20:12:46Z"


def _iso_only(value: object) -> object:
    if not (isinstance(value, str) and _DATE_TIME.fullmatch(value)):
        raise ValueError(_EXPECTED)
    return value


def _in_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


_DESCRIBED = (
    "ISO-8601 date-time, like 2026-12-01T20:12:46Z or 2026-12-01T22:12:46.278+02:00; "
    "no zone means UTC; a date alone or a Unix timestamp is refused"
)
IsoDateTime = Annotated[datetime, BeforeValidator(_iso_only), AfterValidator(_in_utc)]

Since = Annotated[
    IsoDateTime | None, Query(description=f"Only items at or after this time ({_DESCRIBED}).")
]
Until = Annotated[
    IsoDateTime | None, Query(description=f"Only items before this time ({_DESCRIBED}).")
]
