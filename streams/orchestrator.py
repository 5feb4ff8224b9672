"""The workflow orchestrator: the processor that runs workflow actions.

A workflow's execution is scheduled to the `workflows` pool, where no worker takes work;
as it is requested, the orchestrator claims it (it is its holder) and starts its run
(`StartWorkflow`: the conductor runs in that command's handler, and the first tasks'
executions are requested in the same write). Each task's
execution then goes through the scheduler and the workers like any other; when one ends,
the orchestrator reports it to its run (`ReportWorkflowTask`), which requests the next
tasks or ends the run and the workflow's execution.

A cancel of a workflow's execution cancels its run (`CancelWorkflow`): its running tasks
are canceled, and the run ends canceled once they ended.

Its state: the workflows' own executions and the task executions not yet ended, these by
run (from their `execution.requested`, which names their run), so it reports only those:
in memory for the embedded host, in a faust table for the distributed one (it runs
beside the scheduler, on the execution stream keyed by action ref, where a task's events
arrive in order).
"""

from __future__ import annotations

from datetime import datetime

from attune.commands import models as m
from attune.domain.events import AttuneEvent, Cause, event_name
from attune.domain.execution import ENDING_EVENTS
from attune.domain.workflow_execution import ORCHESTRATOR
from attune.streams.id_sets import IdSets, InMemoryIdSets

WORKFLOWS = "workflows"  # the group of the workflows' own executions not yet ended


class Orchestrator:
    name = "orchestrator"

    def __init__(self, tasks: IdSets | None = None) -> None:
        # The task executions not yet ended, grouped by their run.
        self.tasks: IdSets = InMemoryIdSets() if tasks is None else tasks

    def handle(self, event: AttuneEvent, now: datetime) -> list[m.Command]:
        kind = event_name(event)
        cause = Cause.following(event, ORCHESTRATOR, now)
        if kind == "execution.requested":
            parent = event.parent  # type: ignore[attr-defined]
            if parent is not None:
                self.tasks.add(parent["workflow_execution_id"], event.originator_id)
            if event.runner_type != "workflow":  # type: ignore[attr-defined]
                return []
            self.tasks.add(WORKFLOWS, event.originator_id)
            # (after the scheduler's ScheduleExecution, which its host applies first: both
            # see the request, on the stream of executions by action)
            return [
                m.ClaimExecution.because(
                    cause, execution_id=event.originator_id, worker=ORCHESTRATOR
                ),
                m.StartWorkflow.because(cause, execution_id=event.originator_id),
            ]
        if kind == "execution.cancel_requested" and event.originator_id in self.tasks.members(
            WORKFLOWS
        ):
            by = event.canceled_by  # type: ignore[attr-defined]
            return [m.CancelWorkflow.because(cause, execution_id=event.originator_id, by=by)]
        if kind in ENDING_EVENTS and self.tasks.remove(event.originator_id) not in (
            None,
            WORKFLOWS,
        ):
            return [m.ReportWorkflowTask.because(cause, execution_id=event.originator_id)]
        return []
