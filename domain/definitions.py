"""Definitions of pack components, as declared in a pack's YAML files.

These are the values the configuration aggregates (`Pack`, `Action`, `TriggerType`, `Rule`)
hold. Validation errors name the offending field; the pack loader adds the file and line.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from attune.domain.criteria import Condition, check_criteria
from attune.domain.errors import TemplateError
from attune.domain.expressions import DEFAULT_LIMITS, ExpressionError, Limits, compile_expression
from attune.domain.parameters import ParameterSpec
from attune.domain.templates import KEYSTORE, check_templates
from attune.domain.workflows.definition import problems_of

REF_PATTERN = r"^[a-z0-9_][a-z0-9_\-]*\.[A-Za-z0-9_\-\.]+$"
NAME_PATTERN = r"^[a-z0-9_][a-z0-9_\-]*$"
MAX_NAME = 255  # characters in a ref, a key name or another identifier

# The validation context of a definition read back from the log: it was checked when it was
# registered, and a later, stricter check must not make an old log unreadable.
FROM_LOG = {"from_log": True}


def registering(limits: Limits) -> dict[str, Any]:
    """The validation context of a definition being registered under these bounds (the
    pack loader's); without one, a definition is checked under the default bounds."""
    return {"limits": limits}


def _from_log(info: ValidationInfo) -> bool:
    return bool(info.context and info.context.get("from_log"))


def _action_parameter(value: Any, info: ValidationInfo) -> Any:
    if not _from_log(info):
        limits = (info.context or {}).get("limits", DEFAULT_LIMITS)
        try:
            check_templates(value, "", limits)
        except TemplateError as problem:
            raise ValueError(str(problem)) from None
    return value


# A rule's action parameter: its templates compile, and keystore blocks read only the keystore.
ActionParameter = Annotated[Any, AfterValidator(_action_parameter)]

RunnerType = Literal["noop", "local-shell-cmd", "local-shell-script", "python-script", "workflow"]


class Definition(BaseModel):
    """A pack component's definition; every one is addressed by its ref."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ref: str

    def as_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=False)


class PackDefinition(Definition):
    ref: str = Field(pattern=NAME_PATTERN, max_length=MAX_NAME)
    label: str = ""
    description: str = ""
    version: str = "0.1.0"
    author: str = ""
    email: str = ""
    keywords: list[str] = []
    # The fields of the pack's configuration (its `config.schema.yaml`), which rules and
    # actions read as `config.<field>`; a `secret` field's value is kept sealed.
    config_schema: dict[str, ParameterSpec] = {}


DEFAULT_ACTION_TIMEOUT = 600.0  # seconds, when neither the run nor its action says


class ActionDefinition(Definition):
    """An action: what runs, with which parameters, how its output is read, how long it may take."""

    ref: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME)
    pack: str
    name: str
    description: str = ""
    runner_type: RunnerType
    entry_point: str | None = None
    parameters: dict[str, ParameterSpec] = {}
    output_format: Literal["text", "json"] = "text"
    timeout: float | None = Field(
        default=None,
        gt=0,
        description="seconds before a run ends in 'timeout' (none: the setting "
        "`action_timeout_seconds`, 600 by default)",
    )
    enabled: bool = True
    workflow_file: str | None = Field(
        default=None, description="a workflow action's definition file, relative to actions/"
    )
    workflow: dict[str, Any] | None = Field(
        default=None,
        description="a workflow action's definition (either format, docs/workflows.md), "
        "as read from its workflow_file when the action was registered",
    )

    @field_validator("workflow")
    @classmethod
    def _a_valid_workflow(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None and not _from_log(info):
            limits = (info.context or {}).get("limits", DEFAULT_LIMITS)
            problems = problems_of(value, None, limits)
            if problems:
                raise ValueError("; ".join(map(str, problems)))
        return value

    @model_validator(mode="after")
    def _entry_point_when_needed(self) -> ActionDefinition:
        if self.runner_type == "workflow" and self.workflow is None:
            raise ValueError("runner_type 'workflow' needs its workflow (a workflow_file)")
        if self.workflow is not None and self.runner_type != "workflow":
            raise ValueError(f"a workflow needs runner_type 'workflow', not '{self.runner_type}'")
        if self.runner_type in ("local-shell-script", "python-script") and not self.entry_point:
            raise ValueError(f"runner_type '{self.runner_type}' needs an entry_point")
        if self.runner_type == "local-shell-cmd" and "cmd" not in self.parameters:
            raise ValueError("runner_type 'local-shell-cmd' needs a 'cmd' parameter")
        return self


class TriggerTypeDefinition(Definition):
    ref: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME)
    pack: str
    name: str
    description: str = ""
    parameters: dict[str, ParameterSpec] = {}
    payload: dict[str, ParameterSpec] = {}


class RuleDefinition(Definition):
    """A rule: when a trigger of this type fires and the criteria hold, run this action.

    `when` is a condition in the expression language (Attune's extension), combined with
    the criteria by AND. A `backstop` rule fires only for a trigger event that no standard
    rule matched (StackStorm's `type: backstop`).
    """

    ref: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME)
    pack: str
    name: str
    description: str = ""
    type: Literal["standard", "backstop"] = "standard"
    trigger: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME)
    trigger_params: dict[str, Any] = {}
    criteria: dict[str, Condition] = {}
    when: str | None = Field(
        default=None, description="A condition in the expression language, e.g. trigger.n > 3"
    )
    action: str = Field(pattern=REF_PATTERN, max_length=MAX_NAME)
    action_params: dict[str, ActionParameter] = {}
    enabled: bool = True

    @field_validator("when")
    @classmethod
    def _condition_compiles(cls, when: str | None, info: ValidationInfo) -> str | None:
        if when is None or _from_log(info):
            return when
        limits = (info.context or {}).get("limits", DEFAULT_LIMITS)
        try:
            expression = compile_expression(when, limits)
        except ExpressionError as problem:
            raise ValueError(str(problem)) from None
        if KEYSTORE in expression.roots():
            raise ValueError(
                "the condition reads the keystore: secrets never decide which events match, "
                "nor enter an event"
            )
        return when

    @field_validator("criteria")
    @classmethod
    def _criteria_check(
        cls, criteria: dict[str, Condition], info: ValidationInfo
    ) -> dict[str, Condition]:
        if not _from_log(info):
            check_criteria(criteria, (info.context or {}).get("limits", DEFAULT_LIMITS))
        return criteria
