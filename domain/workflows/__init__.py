"""Workflows as pure code: definitions in both formats read into one model, validated with
every problem's path, and the conductor that decides a run (docs/workflows.md).

- `definition.parse_workflow(document, actions)`: a `model.Workflow` (Orquesta's format in
  `orquesta_format`, Attune's in `attune_format`; shared checks in `reading` and
  `validation`; the task graph in `graph`), or `problems.InvalidWorkflow`.
- `conductor.Conductor(workflow)`: `start`, `task_ended`, `tasks_ended`, `cancel`, each a
  `Step` of decisions and the operations that fold into `state.WorkflowState`.
- `rehearsal.rehearse(spec, workflow)`: a run against mock results, in Orquesta's
  rehearsal format.
"""
