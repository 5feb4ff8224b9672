"""Pagination: the `limit`/`offset` query parameters and the page every list returns."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from attune.projections.queries import DEFAULT_LIMIT, MAX_LIMIT, Listing

MAX_DATABASE_INTEGER = 2**63 - 1  # the largest integer SQLite and PostgreSQL hold (BIGINT)

M = TypeVar("M", bound=BaseModel)
P = TypeVar("P", bound="Page[Any]")


@dataclass(frozen=True)
class Window:
    limit: int
    offset: int


def page_window(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_DATABASE_INTEGER, description="Items to skip.")] = 0,
) -> Window:
    return Window(limit, offset)


PageWindow = Annotated[Window, Depends(page_window)]


class Page(BaseModel, Generic[M]):
    """A page of items; each list route names its own subclass (`ExecutionPage`, ...) so
    generated clients get readable type names."""

    items: list[M]
    total: int = Field(description="How many items match, on all pages.")
    limit: int
    offset: int


def page_of(page: type[P], listing: Listing, window: Window) -> P:
    """The page of `listing` (rows become items of the page's item model)."""
    return page.model_validate(
        {
            "items": listing.rows,
            "total": listing.total,
            "limit": window.limit,
            "offset": window.offset,
        }
    )
