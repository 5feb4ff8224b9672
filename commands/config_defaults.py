"""An action's parameter defaults that read its pack's configuration (``default: "{{
config.api_url }}"``, StackStorm's ``config_context``), rendered when a run is requested.

A default that is a template renders against ``config`` and ``pack.config`` (secret values
sealed: a secret one can only be a secret parameter's whole default, which registering the
action checks, so it stays sealed until the worker opens it). A default that does not
render refuses the run, naming the parameter.
"""

from __future__ import annotations

from typing import Any

from attune.domain.definitions import ActionDefinition
from attune.domain.errors import DomainError, InvalidParameters, ParameterProblem
from attune.domain.expressions import DEFAULT_LIMITS, Limits
from attune.domain.secrets import is_sealed
from attune.domain.templates import is_template, render


def configured_defaults(
    action: ActionDefinition,
    given: dict[str, Any],
    config: dict[str, Any],
    limits: Limits = DEFAULT_LIMITS,
) -> dict[str, Any]:
    """`given`, with each parameter left out whose default is a template, rendered."""
    scope = {"config": config, "pack": {"ref": action.pack, "config": config}}
    filled = dict(given)
    problems: list[ParameterProblem] = []
    for name, spec in action.parameters.items():
        if given.get(name) is not None or not is_template(spec.default):
            continue
        try:
            value = render(spec.default, scope, limits)
        except DomainError as problem:
            problems.append(ParameterProblem(name, f"its default does not render: {problem}"))
            continue
        if is_sealed(value) and not spec.secret:
            problems.append(
                ParameterProblem(name, "a secret value may go only into a secret parameter")
            )
            continue
        filled[name] = value
    if problems:
        raise InvalidParameters(action.ref, problems)
    return filled
