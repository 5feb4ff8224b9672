"""EventDispatch: which method of a processor handles which domain event, by event class.

A processor declares its handlers once, by the classes of the events they take:

    self._dispatch = (
        EventDispatch[list[Command]](list)
        .on(Execution.Claimed, self._claimed)
        .on(ExecutionEnded, self._ended)  # a base class covers each run-ending event
    )

and its `handle(event, now)` is `self._dispatch(event, now)`. mypy checks each handler's
event argument against its class; an event no handler takes answers `default()`. As the
projections do, but typed: no event names compared as strings, no `type: ignore`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

from attune.domain.events import AttuneEvent

E = TypeVar("E", bound=AttuneEvent)
R = TypeVar("R")


class EventDispatch(Generic[R]):
    def __init__(self, default: Callable[[], R]) -> None:
        self._default = default
        self._handlers: dict[type, Callable[[Any, datetime], R]] = {}
        self._resolved: dict[type, Callable[[Any, datetime], R] | None] = {}

    def on(self, kind: type[E], handler: Callable[[E, datetime], R]) -> EventDispatch[R]:
        """Handle events of `kind` (and of its subclasses) with `handler`."""
        self._handlers[kind] = handler
        self._resolved.clear()
        return self

    def __call__(self, event: AttuneEvent, now: datetime) -> R:
        handler = self._handler_of(type(event))
        return self._default() if handler is None else handler(event, now)

    def _handler_of(self, kind: type) -> Callable[[Any, datetime], R] | None:
        if kind not in self._resolved:  # the most specific class with a handler wins
            self._resolved[kind] = next(
                (self._handlers[c] for c in kind.__mro__ if c in self._handlers), None
            )
        return self._resolved[kind]
