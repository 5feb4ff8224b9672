"""EventDispatch hands each domain event to the handler its processor declared for its class."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from events import T0, execution_lifecycle, fired

from attune.domain.execution import Execution, ExecutionEnded
from attune.domain.trigger_event import TriggerEvent
from attune.streams.dispatch import EventDispatch


def test_each_event_goes_to_the_handler_of_its_class_or_of_a_base_class() -> None:
    seen: list[str] = []

    def claimed(event: Execution.Claimed, _now: datetime) -> str:
        return f"claimed by {event.worker}"

    def ended(event: ExecutionEnded, _now: datetime) -> str:
        return f"ended {event.final_status().value}"

    dispatch = EventDispatch[str](lambda: "ignored").on(Execution.Claimed, claimed)
    dispatch.on(ExecutionEnded, ended)
    for event in execution_lifecycle(UUID(int=1), worker="w7", end="abandon"):
        seen.append(dispatch(event, T0))

    assert seen == ["ignored", "ignored", "claimed by w7", "ended abandoned"]


def test_the_most_specific_handler_wins_and_the_latest_declaration_counts() -> None:
    dispatch = EventDispatch[str](str).on(ExecutionEnded, lambda e, _: "any end")
    dispatch.on(Execution.Succeeded, lambda e, _: "first").on(
        Execution.Succeeded, lambda e, _: "ok"
    )
    succeeded, abandoned = (
        execution_lifecycle(UUID(int=2))[-1],
        execution_lifecycle(UUID(int=3), end="abandon")[-1],
    )

    assert (dispatch(succeeded, T0), dispatch(abandoned, T0)) == ("ok", "any end")
    assert dispatch(fired({}), T0) == ""  # TriggerEvent.Fired: no handler, the default
    assert EventDispatch[int](int).on(TriggerEvent.Fired, lambda e, _: 1)(fired({}), T0) == 1
