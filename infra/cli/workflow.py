"""`attune workflow`: workflow definitions on this machine, no system running.

- `attune workflow validate FILE`: every problem with its line and path (exit 1), or the
  task graph (exit 0).
- `attune workflow rehearse SPEC.yaml [--json]`: run a workflow against the mock results
  of a rehearsal spec (Orquesta's format); exit 0 when every expectation holds, 1 with
  the differences otherwise; `--json` prints what the run did.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from attune.domain.workflows.graph import COMMAND_NODES
from attune.domain.workflows.model import Workflow
from attune.domain.workflows.rehearsal import InvalidRehearsal
from attune.infra.cli.client import json_option
from attune.infra.rehearsal_files import read_workflow_file, rehearse_file

File = click.Path(exists=True, dir_okay=False, path_type=Path)


@click.group()
def workflow() -> None:
    """Workflows: check a definition, rehearse it against mock results."""


@workflow.command("validate")
@click.argument("file", type=File)
@json_option
@click.pass_context
def validate(ctx: click.Context, file: Path) -> None:
    """Check a workflow file (either format): its problems, or its task graph."""
    try:
        found, problems = read_workflow_file(file)
    except InvalidRehearsal as unreadable:
        raise click.ClickException(str(unreadable)) from None
    if ctx.find_root().obj["json"]:
        click.echo(json.dumps({"valid": found is not None, "problems": problems}, indent=2))
    elif found is None:
        for problem in problems:
            click.echo(problem, err=True)
    else:
        _summary(found)
    if found is None:
        ctx.exit(1)


def _summary(found: Workflow) -> None:
    assert found.graph is not None
    click.echo(
        f"valid ({found.format} format): {len(found.tasks)} tasks, "
        f"starting with {', '.join(found.start)}"
    )
    for name, task in found.tasks.items():
        marks = [f"join {task.join}"] if task.join is not None else []
        marks += ["with items"] if task.items is not None else []
        marks += ["retry"] if task.retry is not None or name in found.graph.retries else []
        marks += ["split"] if name in found.graph.splits else []
        action = task.action or "(no action)"
        click.echo(f"  {name}: {action}" + (f" [{', '.join(marks)}]" if marks else ""))
        for edge in found.graph.outbound[name]:
            when = found.tasks[name].next[edge.ref].when_text or "always"
            kind = " (engine command)" if edge.target in COMMAND_NODES else ""
            click.echo(f"    -> {edge.target}{kind} when {when}")


@workflow.command("rehearse")
@click.argument("spec", type=File)
@click.option(
    "--base",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="The folder the spec's paths are relative to (default: the spec's own).",
)
@json_option
@click.pass_context
def rehearse(ctx: click.Context, spec: Path, base: Path | None) -> None:
    """Run a rehearsal spec: the workflow against mock task results."""
    try:
        outcome = rehearse_file(spec, base)
    except InvalidRehearsal as invalid:
        raise click.ClickException(str(invalid)) from None
    if ctx.find_root().obj["json"]:
        click.echo(
            json.dumps(
                {"passed": outcome.passed, **outcome.actual(), "differences": outcome.differences},
                indent=2,
            )
        )
    elif outcome.passed:
        click.echo(
            f"{spec}: passed ({len(outcome.task_sequence)} tasks, {outcome.workflow_status})"
        )
    else:
        click.echo(f"{spec}: failed", err=True)
        for difference in outcome.differences:
            click.echo(difference, err=True)
    if not outcome.passed:
        ctx.exit(1)
