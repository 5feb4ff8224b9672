"""WorkflowExecution: one run of a workflow action, recorded as the conductor decided it.

A run starts with the definition it runs (kept whole, with its content hash: a pack reload
later does not change it) and its inputs; each report of a task that ended is recorded
with the conductor's decisions as data: the tasks it requested (task, route, item,
attempt, iteration, rendered input, delay, timeout), the tasks to cancel, the variables
published, and the operations that change the run's `WorkflowState`. `apply` only folds
those operations, so rebuilding a run from its events never runs the conductor again: a
later version of the engine cannot change a past run.

The conductor runs in the methods (`start`, `report`, `cancel`), which the command
handler calls with the `Conductor` of the run's own definition.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, ClassVar
from uuid import UUID

from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import caused_id
from attune.domain.workflows.conductor import Conductor, Step, TaskEnded, TaskStart
from attune.domain.workflows.definition import content_hash
from attune.domain.workflows.state import Operation, WorkflowState

ENDED = frozenset({"succeeded", "failed", "canceled"})
ORCHESTRATOR = "orchestrator"  # the holder of a workflow's own execution
WORKFLOW_POOL = "workflows"  # where the scheduler sends a workflow's execution


def _fold(state: WorkflowState, first: int, operations: list[Operation]) -> None:
    """Fold the operations not folded yet: the live run has folded them as the conductor
    decided (`first` is the number of operations before these ones)."""
    for number, operation in enumerate(operations, first):
        if number >= state.folded:
            state.apply(operation)


class WorkflowStepped(AttuneEvent):
    """Base of the events that record a step of a run's conductor."""

    TOPIC: ClassVar[str]
    first: int  # how many operations came before these
    operations: list[Operation]
    tasks_requested: list[dict[str, Any]]
    tasks_canceled: list[dict[str, Any]]
    published: dict[str, Any]

    def apply(self, run: Any) -> None:
        _fold(run.state, self.first, self.operations)


class WorkflowEnded(AttuneEvent):
    """The run ended: its status, output and errors (its state already says so)."""

    TOPIC: ClassVar[str]
    output: dict[str, Any] | None
    errors: list[dict[str, Any]]

    def apply(self, run: Any) -> None:
        pass  # (the operations before it set the status and the output)


class WorkflowExecution(AttuneAggregate):
    """A run of `action` (the workflow execution `execution_id` asked for)."""

    TOPIC = "workflow_execution"

    def __init__(
        self,
        execution_id: UUID,
        action: str,
        definition: dict[str, Any],
        definition_hash: str,
        inputs: dict[str, Any],
        operations: list[Operation],
        tasks_requested: list[dict[str, Any]],
    ) -> None:
        self.execution_id = execution_id
        self.action = action
        self.definition = definition
        self.definition_hash = definition_hash
        self.inputs = inputs
        self.state = WorkflowState()
        _fold(self.state, 0, operations)

    class Started(AttuneCreated):
        TOPIC = "workflow_execution.started"
        execution_id: UUID
        action: str
        definition: dict[str, Any]
        definition_hash: str
        inputs: dict[str, Any]
        operations: list[Operation]
        tasks_requested: list[dict[str, Any]]

    class TaskCompleted(WorkflowStepped):
        """A task (or an item of it) ended, and what the conductor decided."""

        TOPIC = "workflow_execution.task_completed"
        task: str
        route: int
        item: int | None
        attempt: int | None
        iteration: int | None
        status: str
        result: Any

    class CancelRequested(WorkflowStepped):
        TOPIC = "workflow_execution.cancel_requested"
        canceled_by: str

    class Succeeded(WorkflowEnded):
        TOPIC = "workflow_execution.succeeded"

    class Failed(WorkflowEnded):
        TOPIC = "workflow_execution.failed"

    class Canceled(WorkflowEnded):
        TOPIC = "workflow_execution.canceled"

    @staticmethod
    def id_for(execution_id: UUID, at: datetime) -> UUID:
        """Deterministic: a workflow's execution (requested at `at`) has one run."""
        return caused_id(at, "workflow_execution", execution_id)

    def child_id(self, start: TaskStart) -> UUID:
        """The execution of a task start (`task_execution_id`)."""
        return self.task_execution_id(
            start.task, start.route, start.item, start.attempt, start.iteration
        )

    def task_execution_id(
        self, task: str, route: int, item: int | None, attempt: int, iteration: int
    ) -> UUID:
        """The same task, route, item, attempt and iteration of this run is always the
        same execution (a redelivered decision makes none twice; a loop's next pass is a
        new one)."""
        return caused_id(self.created_on, "task", self.id, task, route, item, attempt, iteration)

    def parent_of(self, start: TaskStart) -> dict[str, Any]:
        """What a task's execution says of its place in this run."""
        return {
            "workflow_execution_id": str(self.id),
            "execution_id": str(self.execution_id),
            "task": start.task,
            "route": start.route,
            "item": start.item,
            "attempt": start.attempt,
            "iteration": start.iteration,
        }

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def is_ended(self) -> bool:
        return self.state.status in ENDED

    @classmethod
    def start(
        cls,
        id: UUID,  # noqa: A002
        execution_id: UUID,
        action: str,
        definition: dict[str, Any],
        inputs: dict[str, Any],
        conductor: Conductor,
        cause: Cause,
    ) -> tuple[WorkflowExecution, Step]:
        """A new run of `definition` (what `conductor` was made from) with `inputs`, and
        the conductor's first decisions."""
        _, step = conductor.start(inputs)
        run = cls._begin(
            cls.Started,
            id,
            cause,
            execution_id=execution_id,
            action=action,
            definition=definition,
            definition_hash=content_hash(definition),
            inputs=inputs,
            operations=step.operations,
            tasks_requested=[dataclasses.asdict(s) for s in step.starts],
        )
        run._end_if_ended(step, cause)
        return run, step

    def report(self, ended: TaskEnded, conductor: Conductor, cause: Cause) -> Step:
        """A task of this run ended: the conductor's decisions, recorded. A report the
        conductor ignores (a copy, another attempt) records nothing."""
        first = self.state.folded
        step = conductor.task_ended(self.state, ended)
        if step.operations:
            self._happen(
                self.TaskCompleted,
                cause,
                **self._step_fields(first, step),
                **dataclasses.asdict(ended),
            )
            self._end_if_ended(step, cause)
        return step

    def cancel(self, by: str, conductor: Conductor, cause: Cause) -> Step:
        """Cancel the run: its running tasks are to be canceled (a run that ended, or is
        being canceled, records nothing)."""
        first = self.state.folded
        step = conductor.cancel(self.state)
        if step.operations:
            self._happen(
                self.CancelRequested, cause, canceled_by=by, **self._step_fields(first, step)
            )
            self._end_if_ended(step, cause)
        return step

    def _step_fields(self, first: int, step: Step) -> dict[str, Any]:
        return {
            "first": first,
            "operations": step.operations,
            "tasks_requested": [dataclasses.asdict(s) for s in step.starts],
            "tasks_canceled": [{"task": t, "route": r} for t, r in step.cancels],
            "published": step.published,
        }

    def _end_if_ended(self, step: Step, cause: Cause) -> None:
        ending = {"succeeded": self.Succeeded, "failed": self.Failed, "canceled": self.Canceled}
        if step.status in ending:
            self._happen(
                ending[step.status], cause, output=self.state.output, errors=self.state.errors
            )
