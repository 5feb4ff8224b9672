"""The `since`/`until` query parameters of time-ordered lists."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query

Since = Annotated[
    datetime | None,
    Query(description="Only items at or after this time (ISO-8601; no zone means UTC)."),
]
Until = Annotated[
    datetime | None,
    Query(description="Only items before this time (ISO-8601; no zone means UTC)."),
]
