"""Applying processor and worker commands until the store takes them.

A write can fail for a passing reason (the database is locked, the disk is briefly full).
Commands of processors and workers must not be dropped then: a dropped completion would
leave its run `running` forever. So they are retried until written or until the caller is
stopping. Refused commands (domain rules) are logged, never retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from eventsourcing.persistence import Tracking

from attune.commands.models import Command
from attune.commands.service import Outcome
from attune.streams.ports import CommandBus

log = logging.getLogger(__name__)

RETRY_SECONDS = 0.5


def apply_until_written(
    bus: CommandBus,
    commands: Sequence[Command],
    tracking: Tracking | None,
    stopping: threading.Event,
) -> Outcome:
    while True:
        try:
            outcome = bus.apply_batch(commands, tracking)
            break
        except Exception:
            if stopping.is_set():
                raise
            log.exception("could not write %d commands; retrying", len(commands))
            stopping.wait(RETRY_SECONDS)
    for command, refusal in outcome.refused:
        log.warning("%s refused: %s", type(command).__name__, refusal)
    return outcome
