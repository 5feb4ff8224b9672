"""GET /health: liveness, and how far the projections lag behind the store."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from attune.api.dependencies import Services

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: Literal["ok"]
    store_position: int
    projection_position: int


@router.get("/health")
def health(services: Services) -> Health:
    return Health(
        status="ok",
        store_position=services.store_position(),
        projection_position=services.projection.position(),
    )
