"""The workflow orchestration's commands: the conductor runs here, inside the handler, and
what it decides is written in the same transaction as the run's events: the task
executions it requests (deterministic ids), the cancels, and, when the run ends, the end of
the workflow's own execution. A redelivered command finds its effects already there.

A task that needs no execution (one with no action) or whose execution cannot be requested
(its input does not fit its action's schema, its action is unknown or disabled) is
reported to the conductor at once: succeeded, or failed with the reason as its result.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any
from uuid import UUID

from attune.commands import models as m
from attune.commands.errors import DisabledEntity, UnknownEntity
from attune.commands.execution_requests import action_definition, requested_execution
from attune.commands.ports import SecretBox
from attune.commands.unit_of_work import UnitOfWork
from attune.domain.errors import AlreadyEnded, IllegalTransition, InvalidParameters
from attune.domain.events import Cause
from attune.domain.execution import TERMINAL, Execution
from attune.domain.workflow_execution import ORCHESTRATOR, WorkflowExecution
from attune.domain.workflows.conductor import Conductor, Step, TaskEnded, TaskStart
from attune.domain.workflows.definition import content_hash, parse_workflow

CONDUCTORS_KEPT = 256
_conductors: OrderedDict[str, Conductor] = OrderedDict()
REFUSED = (InvalidParameters, UnknownEntity, DisabledEntity)


def conductor_of(definition: dict[str, Any], key: str) -> Conductor:
    """The conductor of a definition whose content hash is `key` (parsed once per
    content; the last few kept)."""
    found = _conductors.get(key)
    if found is None:
        found = _conductors[key] = Conductor(parse_workflow(definition))
        if len(_conductors) > CONDUCTORS_KEPT:
            _conductors.popitem(last=False)
    _conductors.move_to_end(key)
    return found


def start_workflow(command: m.StartWorkflow, uow: UnitOfWork, secrets: SecretBox) -> None:
    execution = uow.get(Execution, command.execution_id)
    if execution is None:
        raise UnknownEntity("execution", command.execution_id)
    run_id = WorkflowExecution.id_for(execution.id, execution.created_on)
    if uow.get(WorkflowExecution, run_id) is not None:
        return  # (started already: a redelivery)
    if execution.worker != ORCHESTRATOR:
        raise IllegalTransition("execution", execution.id, execution.status, "orchestrated")
    action = action_definition(uow, execution.action)
    if action.workflow is None:
        raise IllegalTransition("execution", execution.id, execution.status, "orchestrated")
    conductor = conductor_of(action.workflow, content_hash(action.workflow))
    cause = command.cause()
    run, step = WorkflowExecution.start(
        run_id,
        execution.id,
        action.ref,
        action.workflow,
        execution.parameters,
        conductor,
        cause,
    )
    uow.add(run)
    _carry_out(uow, secrets, run, step, conductor, execution, cause)


def report_workflow_task(
    command: m.ReportWorkflowTask, uow: UnitOfWork, secrets: SecretBox
) -> None:
    child = uow.get(Execution, command.execution_id)
    if child is None or child.parent is None or child.status not in TERMINAL:
        return
    parent = child.parent
    run = uow.get(WorkflowExecution, UUID(parent["workflow_execution_id"]))
    if run is None:
        raise UnknownEntity("workflow execution", parent["workflow_execution_id"])
    execution = uow.get(Execution, run.execution_id)
    assert execution is not None  # (a run's execution exists before it)
    conductor = conductor_of(run.definition, run.definition_hash)
    cause = command.cause()
    ended = TaskEnded(
        parent["task"],
        parent["route"],
        child.status,
        child.result,
        parent["item"],
        parent["attempt"],
        parent["iteration"],
    )
    step = run.report(ended, conductor, cause)
    _carry_out(uow, secrets, run, step, conductor, execution, cause)


def cancel_workflow(command: m.CancelWorkflow, uow: UnitOfWork, secrets: SecretBox) -> None:
    execution = uow.get(Execution, command.execution_id)
    if execution is None:
        raise UnknownEntity("execution", command.execution_id)
    run = uow.get(WorkflowExecution, WorkflowExecution.id_for(execution.id, execution.created_on))
    if run is None:
        return  # (not started: nothing runs)
    conductor = conductor_of(run.definition, run.definition_hash)
    cause = command.cause()
    step = run.cancel(command.by, conductor, cause)
    _carry_out(uow, secrets, run, step, conductor, execution, cause)


def _carry_out(
    uow: UnitOfWork,
    secrets: SecretBox,
    run: WorkflowExecution,
    step: Step,
    conductor: Conductor,
    execution: Execution,
    cause: Cause,
) -> None:
    """Request the executions a step started, cancel those it cancels; a task that needs
    no execution (or cannot have one) is reported at once, and so on until none is left;
    end the workflow's execution when the run ended."""
    steps = [step]
    while steps:
        current = steps.pop(0)
        for start in current.starts:
            report = _request(uow, secrets, run, start, cause)
            if report is not None:
                steps.append(run.report(report, conductor, cause))
        for task, route in current.cancels:
            _cancel(uow, run, task, route, cause)
    if run.is_ended:
        _end(execution, run, cause)


def _request(
    uow: UnitOfWork, secrets: SecretBox, run: WorkflowExecution, start: TaskStart, cause: Cause
) -> TaskEnded | None:
    """Request the execution of a task start; the report to make at once instead, if it
    needs none or cannot have one."""
    if start.action is None:
        return TaskEnded(
            start.task, start.route, "succeeded", None, start.item, start.attempt, start.iteration
        )
    child_id = run.child_id(start)
    if uow.get(Execution, child_id) is not None:
        return None  # (requested already)
    try:
        child = requested_execution(
            uow,
            secrets,
            child_id,
            start.action,
            start.input,
            cause,
            timeout=start.timeout,
            parent=run.parent_of(start),
        )
    except REFUSED as refused:
        result = {"error": f"the task's execution could not be requested: {refused}"}
        return TaskEnded(
            start.task, start.route, "failed", result, start.item, start.attempt, start.iteration
        )
    uow.add(child)
    return None


def _cancel(uow: UnitOfWork, run: WorkflowExecution, task: str, route: int, cause: Cause) -> None:
    """Cancel the executions of a task still running (every item started)."""
    entry = run.state.entry(task, route)
    if entry is None:
        return
    items = [None] if entry["items"] is None else list(range(entry["items"]["started"]))
    for item in items:
        child_id = run.task_execution_id(task, route, item, entry["attempt"], entry["iteration"])
        child = uow.get(Execution, child_id)
        if child is not None and not child.is_terminal:
            with contextlib.suppress(AlreadyEnded):
                child.cancel(ORCHESTRATOR, cause)


def _end(execution: Execution, run: WorkflowExecution, cause: Cause) -> None:
    """End the workflow's own execution as its run ended, with its output and errors."""
    if execution.is_terminal:
        return
    result = {"output": run.state.output, "errors": run.state.errors}
    if run.status == "succeeded":
        execution.succeed(result, ORCHESTRATOR, cause)
    elif run.status == "canceled":
        execution.confirm_canceled(result, ORCHESTRATOR, cause)
    else:
        first = next((e["message"] for e in run.state.errors), "the workflow failed")
        execution.fail(result, f"the workflow failed: {first}", ORCHESTRATOR, cause)


WORKFLOW_HANDLERS: dict[type[m.Command], Any] = {
    m.StartWorkflow: start_workflow,
    m.ReportWorkflowTask: report_workflow_task,
    m.CancelWorkflow: cancel_workflow,
}
