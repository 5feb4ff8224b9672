"""The test material of the API tests: a ticking clock and the actions the tests request
(besides the shared `core.noop` and `core.login`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from attune.domain.definitions import ActionDefinition
from attune.domain.parameters import ParameterSpec

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class TickingClock:
    """Each reading is one second after the previous one, so every request has its instant."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


ECHO = ActionDefinition(
    ref="core.echo",
    pack="core",
    name="echo",
    runner_type="noop",
    parameters={
        "message": ParameterSpec(type="string", required=True),
        "count": ParameterSpec(type="integer", default=1),
        "token": ParameterSpec(type="string", secret=True),
    },
)
