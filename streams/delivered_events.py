"""Domain events as Kafka delivers them: decoded from the relay's envelopes, and each
partition's events passed once even when the relay published a batch again."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from attune.commands.store import UnreadableEvent, decode_envelope
from attune.domain.events import AttuneEvent

log = logging.getLogger(__name__)


def decoded_or_none(value: bytes | None) -> tuple[int, AttuneEvent] | None:
    """The event of a relay message, or None (logged) for anything else."""
    try:
        return decode_envelope(value)
    except UnreadableEvent as problem:
        # The relay writes these topics; anything else on them is not ours to act on.
        log.error("skipping a message that is not a domain event: %s", problem)
        return None


class FirstDelivery:
    """Passes each event once per partition: the relay may publish a batch again after a
    crash, and a partition's events carry increasing store positions."""

    def __init__(self) -> None:
        self._last: dict[object, int] = {}

    def first_time(self, partition: object, position: int) -> bool:
        if position <= self._last.get(partition, 0):
            return False
        self._last[partition] = position
        return True

    def forget(self, partitions: Iterable[object]) -> None:
        """Start afresh on these partitions (they will be read again from an offset)."""
        for partition in partitions:
            self._last.pop(partition, None)
