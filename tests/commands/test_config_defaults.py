"""An action's parameter defaults may read its pack's configuration; a secret one only
into a secret parameter, where it stays sealed."""

from __future__ import annotations

import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.definitions import ActionDefinition, PackDefinition
from attune.domain.errors import InvalidParameters
from attune.domain.execution import Execution
from attune.domain.ids import new_runtime_id
from attune.domain.parameters import ParameterSpec
from attune.domain.secrets import is_sealed
from tests.conftest import NOW

TOKEN = "pd-Token-5531"
PAGERDUTY = PackDefinition(
    ref="pd",
    config_schema={
        "url": ParameterSpec(required=True),
        "token": ParameterSpec(secret=True, required=True),
    },
)


def action(**parameters: ParameterSpec) -> ActionDefinition:
    return ActionDefinition(
        ref="pd.page", pack="pd", name="page", runner_type="noop", parameters=parameters
    )


@pytest.fixture
def configured(commands: CommandService) -> CommandService:
    commands.execute(m.RegisterPack(definition=PAGERDUTY, actor="l", at=NOW))
    commands.execute(
        m.ConfigurePack(
            pack="pd", values={"url": "https://pd.example", "token": TOKEN}, actor="l", at=NOW
        )
    )
    return commands


def test_defaults_render_from_the_configuration_and_the_secret_stays_sealed(
    configured: CommandService, store: EventStore
) -> None:
    configured.execute(
        m.RegisterAction(
            definition=action(
                url=ParameterSpec(default="{{ config.url }}/v2"),
                token=ParameterSpec(secret=True, default="{{ pack.config.token }}"),
                summary=ParameterSpec(required=True),
            ),
            actor="l",
            at=NOW,
        )
    )
    execution_id = new_runtime_id(NOW, b"0123456789")
    configured.execute(
        m.RequestExecution(
            execution_id=execution_id,
            action="pd.page",
            parameters={"summary": "down"},
            actor="u",
            at=NOW,
        )
    )
    execution = store.load(execution_id)
    assert isinstance(execution, Execution)
    parameters = execution.parameters
    assert parameters["url"] == "https://pd.example/v2" and parameters["summary"] == "down"
    assert is_sealed(parameters["token"]) and TOKEN not in str(parameters)
    assert configured.secrets.unseal(parameters["token"]["$secret"]) == TOKEN


def test_a_default_putting_the_secret_into_a_plain_parameter_is_refused(
    configured: CommandService,
) -> None:
    with pytest.raises(InvalidParameters) as refused:
        configured.execute(
            m.RegisterAction(
                definition=action(url=ParameterSpec(default="{{ config.token }}")),
                actor="l",
                at=NOW,
            )
        )
    [problem] = refused.value.problems
    assert problem.parameter == "url.default" and "secret config field 'token'" in problem.message


def test_a_default_that_does_not_render_refuses_the_run_naming_it(
    configured: CommandService,
) -> None:
    configured.execute(
        m.RegisterAction(
            definition=action(url=ParameterSpec(default="{{ config.nothing }}")), actor="l", at=NOW
        )
    )
    with pytest.raises(InvalidParameters) as refused:
        configured.execute(
            m.RequestExecution(
                execution_id=new_runtime_id(NOW, b"9876543210"), action="pd.page", actor="u", at=NOW
            )
        )
    [problem] = refused.value.problems
    assert problem.parameter == "url" and "its default does not render" in problem.message
