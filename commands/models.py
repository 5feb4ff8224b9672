"""Commands: small imperative requests to change state, each carrying its cause.

A command names who asks (`actor`), when (`at`, from the edge: the API's or processor's
clock), and the trace it belongs to. Commands that processors and workers emit carry
deterministic target ids (derived from their cause), so applying one twice is a no-op.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from attune.domain.access import RoleDefinition
from attune.domain.definitions import (
    ActionDefinition,
    PackDefinition,
    RuleDefinition,
    TriggerTypeDefinition,
)
from attune.domain.events import Cause
from attune.domain.identity import IdentityKind


class Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str
    at: datetime
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    source: str | None = None  # the client's address, for commands from the API

    def cause(self) -> Cause:
        return Cause(self.actor, self.at, self.correlation_id, self.causation_id, self.source)

    @classmethod
    def because(cls, cause: Cause, **fields: Any) -> Any:
        """Build this command on behalf of a cause (processors use this)."""
        return cls(
            actor=cause.actor,
            at=cause.at,
            correlation_id=cause.correlation_id,
            causation_id=cause.causation_id,
            source=cause.source,
            **fields,
        )


class RegisterPack(Command):
    definition: PackDefinition
    # The refs of the rules the pack's files define now (None: leave the rules alone); a
    # rule of the pack not among them is unregistered.
    rules: list[str] | None = None


class ConfigurePack(Command):
    """Set a pack's configuration: its values are checked against the pack's config
    schema (defaults filled in) and its secret ones sealed."""

    pack: str
    values: dict[str, Any]


class RegisterAction(Command):
    definition: ActionDefinition


class RegisterTriggerType(Command):
    definition: TriggerTypeDefinition


class RegisterRule(Command):
    definition: RuleDefinition


class CreateRule(Command):
    """A user registers a rule whose ref no rule has (an unregistered one's may be taken)."""

    definition: RuleDefinition


class ReplaceRule(Command):
    """A user replaces the definition of a registered rule that no pack's files define."""

    definition: RuleDefinition


class UnregisterRule(Command):
    """A user deletes a rule (not one a pack's files define): it no longer fires."""

    ref: str
    reason: str


class EnableRule(Command):
    ref: str


class DisableRule(Command):
    ref: str


class FireTrigger(Command):
    trigger_event_id: UUID
    trigger: str
    trigger_params: dict[str, Any] = {}
    payload: dict[str, Any] = {}


class CreateEnforcement(Command):
    enforcement_id: UUID
    rule: str
    trigger_event_id: UUID
    trigger: str
    action: str
    config: dict[str, Any] | None


class MarkEnforcementProcessed(Command):
    enforcement_id: UUID
    execution_id: UUID


class FailEnforcement(Command):
    enforcement_id: UUID
    reason: str


class DisableEnforcement(Command):
    enforcement_id: UUID


class RequestExecution(Command):
    execution_id: UUID
    action: str
    parameters: dict[str, Any] = {}
    enforcement_id: UUID | None = None
    rule: str | None = None
    trigger_event_id: UUID | None = None
    timeout: float | None = Field(default=None, gt=0)


class ScheduleExecution(Command):
    execution_id: UUID
    pool: str


class ClaimExecution(Command):
    execution_id: UUID
    worker: str
    timeout: float | None = None  # the bound the worker will apply to the run


class TimeOutExecution(Command):
    """The monitor's backstop: a run still going long past its deadline."""

    execution_id: UUID
    reason: str


class CompleteExecution(Command):
    """The worker holding an execution reports how it ended."""

    execution_id: UUID
    worker: str
    outcome: Literal["succeeded", "failed", "timeout", "canceled"]
    result: dict[str, Any] | None = None
    error: str | None = None


class CancelExecution(Command):
    """Someone stops a run (the API's DELETE); `by` is who, as the run will record it."""

    execution_id: UUID
    by: str


class StartWorkflow(Command):
    """Start the run of a workflow's execution (scheduled to the orchestrator, which
    claimed it): its first tasks are requested in the same write."""

    execution_id: UUID


class CancelWorkflow(Command):
    """A workflow's execution is being canceled: cancel its run's running tasks (the run
    ends canceled once they ended)."""

    execution_id: UUID  # the workflow's execution
    by: str


class ReportWorkflowTask(Command):
    """A task's execution ended: its workflow run goes on (the next tasks are requested,
    or the run ends and so does the workflow's own execution), in the same write."""

    execution_id: UUID  # the task's execution


class AbandonExecution(Command):
    execution_id: UUID
    reason: str


class StartWorker(Command):
    """A worker process announces itself (distributed mode) before it takes work."""

    worker: str
    pool: str


class DeclareWorkerLost(Command):
    worker: str
    reason: str


class CreateIdentity(Command):
    login: str
    kind: IdentityKind
    roles: list[str]
    password_hash: str | None = None  # Argon2id, computed at the edge; none for services


class ChangePassword(Command):
    login: str
    password_hash: str


class SetRoles(Command):
    login: str
    roles: list[str]


class DisableIdentity(Command):
    login: str


class EnableIdentity(Command):
    login: str


class DefineRole(Command):
    definition: RoleDefinition


class StartSession(Command):
    session_id: UUID
    login: str
    expires_at: datetime


class RevokeSession(Command):
    session_id: UUID


class CreateApiKey(Command):
    key_id: UUID
    login: str
    name: str
    secret_hash: str


class RevokeApiKey(Command):
    key_id: UUID
