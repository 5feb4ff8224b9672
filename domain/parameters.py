"""Parameter schemas (Attune's flat format) and their validation.

A schema maps each parameter name to its spec: ``type`` (string, integer, number, boolean,
array, object; default string), ``required``, ``default``, ``secret``, ``enum`` and
``description``. Validation fills defaults and names every offending parameter. A value
that refers to the keystore (``"{{ keystore.db_port }}"``) is known only at run time, so it
passes here and is checked when the worker resolves it.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from attune.domain.errors import InvalidParameters, ParameterProblem
from attune.domain.templates import is_deferred

ParamType = Literal["string", "integer", "number", "boolean", "array", "object", "any"]

_PY_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
    "any": (object,),  # any JSON value (a webhook's body)
}


class ParameterSpec(BaseModel):
    """The spec of one parameter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: ParamType = "string"
    description: str = ""
    required: bool = False
    default: Any = None
    secret: bool = False
    enum: list[Any] | None = None


ParameterSchema = dict[str, ParameterSpec]


def parse_schema(raw: dict[str, Any] | None) -> ParameterSchema:
    """Build a schema from its YAML/JSON form (pydantic errors name the parameter)."""
    return {name: ParameterSpec.model_validate(spec or {}) for name, spec in (raw or {}).items()}


def _has_type(value: Any, type_name: str) -> bool:
    if isinstance(value, bool) and type_name in ("integer", "number"):
        return False  # JSON booleans are not numbers, even though Python says so
    return isinstance(value, _PY_TYPES[type_name])


def validate_parameters(
    owner: str, schema: ParameterSchema, given: dict[str, Any], *, others: bool = False
) -> dict[str, Any]:
    """Return the given parameters with defaults filled in, or raise InvalidParameters.
    With `others`, fields the schema does not declare are kept as given (a trigger
    type's payload schema declares what rules may rely on, not all a sender may send)."""
    problems: list[ParameterProblem] = []
    result: dict[str, Any] = {}
    for name, value in given.items():
        if name in schema:
            continue
        if others:
            result[name] = value
        else:
            problems.append(ParameterProblem(name, "is not a parameter of " + owner))
    for name, spec in schema.items():
        if name not in given or given[name] is None:
            if spec.default is not None:
                result[name] = spec.default
            elif spec.required:
                problems.append(ParameterProblem(name, "is required"))
            continue
        value = given[name]
        if is_deferred(value):
            result[name] = value
        elif not _has_type(value, spec.type):
            problems.append(
                ParameterProblem(name, f"must be of type {spec.type}, got {type(value).__name__}")
            )
        elif spec.enum is not None and value not in spec.enum:
            problems.append(ParameterProblem(name, f"must be one of {spec.enum}"))
        else:
            result[name] = value
    if problems:
        raise InvalidParameters(owner, problems)
    return result


def coerce_text(schema: ParameterSchema, name: str, text: str) -> Any:
    """Interpret a command-line `key=value` text as the parameter's declared type."""
    spec = schema.get(name)
    if spec is None or spec.type == "string":
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text  # validation will name the parameter and the expected type
