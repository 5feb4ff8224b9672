"""TriggerEvent: one firing of a trigger, recorded by a single immutable `Fired` event."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from attune.domain.events import AttuneAggregate, AttuneCreated, Cause


class TriggerEvent(AttuneAggregate):
    """What `/api/v1/events` lists and rules match: a trigger type, its params, a payload."""

    TOPIC = "trigger_event"

    trigger: str
    trigger_params: dict[str, Any]
    payload: dict[str, Any]

    class Fired(AttuneCreated):
        TOPIC = "trigger_event.fired"
        trigger: str
        trigger_params: dict[str, Any]
        payload: dict[str, Any]

    @classmethod
    def fire(
        cls,
        id: UUID,  # noqa: A002
        trigger: str,
        trigger_params: dict[str, Any],
        payload: dict[str, Any],
        cause: Cause,
    ) -> TriggerEvent:
        return cls._begin(
            cls.Fired, id, cause, trigger=trigger, trigger_params=trigger_params, payload=payload
        )
