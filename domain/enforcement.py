"""Enforcement: one activation of a rule by a trigger event.

Lifecycle: ``created`` → ``processed`` (an execution was requested) | ``failed`` (with the
reason: parameters did not render or validate) | ``disabled`` (the rule was disabled before
the enforcement was processed).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any
from uuid import UUID

from attune.domain.errors import IllegalTransition
from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import caused_id


class EnforcementStatus(StrEnum):
    CREATED = "created"
    PROCESSED = "processed"
    FAILED = "failed"
    DISABLED = "disabled"


class Enforcement(AttuneAggregate):
    TOPIC = "enforcement"

    rule: str
    trigger_event_id: UUID
    trigger: str
    action: str
    config: dict[str, Any] | None
    status: str = EnforcementStatus.CREATED
    execution_id: UUID | None = None
    reason: str | None = None

    class Created(AttuneCreated):
        TOPIC = "enforcement.created"
        rule: str
        trigger_event_id: UUID
        trigger: str
        action: str
        config: dict[str, Any] | None

    class Processed(AttuneEvent):
        TOPIC = "enforcement.processed"
        execution_id: UUID

        def apply(self, enforcement: Enforcement) -> None:
            enforcement.status = EnforcementStatus.PROCESSED
            enforcement.execution_id = self.execution_id

    class Failed(AttuneEvent):
        TOPIC = "enforcement.failed"
        reason: str

        def apply(self, enforcement: Enforcement) -> None:
            enforcement.status = EnforcementStatus.FAILED
            enforcement.reason = self.reason

    class Disabled(AttuneEvent):
        TOPIC = "enforcement.disabled"

        def apply(self, enforcement: Enforcement) -> None:
            enforcement.status = EnforcementStatus.DISABLED

    @staticmethod
    def id_for(rule_ref: str, trigger_event_id: UUID, fired_at: Any) -> UUID:
        """Deterministic: the same rule and trigger event always give the same enforcement."""
        return caused_id(fired_at, "enforcement", rule_ref, trigger_event_id)

    @classmethod
    def create(
        cls,
        id: UUID,  # noqa: A002
        rule: str,
        trigger_event_id: UUID,
        trigger: str,
        action: str,
        config: dict[str, Any] | None,
        cause: Cause,
    ) -> Enforcement:
        return cls._begin(
            cls.Created,
            id,
            cause,
            rule=rule,
            trigger_event_id=trigger_event_id,
            trigger=trigger,
            action=action,
            config=config,
        )

    def _resolve(self, target: EnforcementStatus) -> bool:
        """True if the move must be recorded; False if it already happened (a duplicate)."""
        if self.status == target:
            return False
        if self.status != EnforcementStatus.CREATED:
            raise IllegalTransition("enforcement", self.id, self.status, target)
        return True

    def mark_processed(self, execution_id: UUID, cause: Cause) -> None:
        if self._resolve(EnforcementStatus.PROCESSED):
            self._happen(self.Processed, cause, execution_id=execution_id)

    def fail(self, reason: str, cause: Cause) -> None:
        if self._resolve(EnforcementStatus.FAILED):
            self._happen(self.Failed, cause, reason=reason)

    def disable(self, cause: Cause) -> None:
        if self._resolve(EnforcementStatus.DISABLED):
            self._happen(self.Disabled, cause)
