"""Safe registration: a rule that does not fit its trigger type and action is refused,
naming each misfit; a pack's rule whose file is gone is unregistered, and comes back when
its file does."""

from __future__ import annotations

from typing import Any

import pytest

from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.configuration import Rule
from attune.domain.definitions import PackDefinition, RuleDefinition, TriggerTypeDefinition
from attune.domain.events import event_name
from attune.domain.parameters import ParameterSpec
from attune.domain.rule_checks import RuleRefused
from attune.streams.catalog import RuleIndex
from tests.conftest import NOW

TIMER = TriggerTypeDefinition(
    ref="core.intervaltimer",
    pack="core",
    name="intervaltimer",
    parameters={
        "unit": ParameterSpec(type="string", enum=["seconds", "minutes"], default="seconds"),
        "delta": ParameterSpec(type="integer", required=True),
    },
)


def rule(ref: str = "ops.tick", **fields: Any) -> RuleDefinition:
    pack, name = ref.split(".")
    spec: dict[str, Any] = {
        "trigger": "core.intervaltimer",
        "trigger_params": {"delta": 5},
        "action": "core.login",
        "action_params": {"cmd": "uptime"},
        **fields,
    }
    return RuleDefinition(ref=ref, pack=pack, name=name, **spec)


@pytest.fixture
def with_timer(commands: CommandService) -> CommandService:
    commands.execute(m.RegisterTriggerType(actor="test", at=NOW, definition=TIMER))
    return commands


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"trigger": "core.sundial"}, "field 'trigger': unknown trigger type 'core.sundial'"),
        ({"action": "core.nosuch"}, "field 'action': unknown action 'core.nosuch'"),
        (
            {"trigger_params": {"unit": "fortnights", "delta": 1}},
            "field 'trigger_params.unit': must be one of ['seconds', 'minutes']",
        ),
        ({"trigger_params": {}}, "field 'trigger_params.delta': is required"),
        ({"action_params": {}}, "field 'action_params.cmd': is required"),
        (
            {"action_params": {"cmd": "x", "retries": "three"}},
            "field 'action_params.retries': must be of type integer, got str",
        ),
        (
            {"action_params": {"cmd": "x", "colour": "{{ trigger.colour }}"}},
            "field 'action_params.colour': is not a parameter of core.login",
        ),
    ],
)
def test_a_rule_that_does_not_fit_the_catalogue_is_refused_naming_the_field(
    with_timer: CommandService, store: EventStore, fields: dict[str, Any], reason: str
) -> None:
    with pytest.raises(RuleRefused) as refused:
        with_timer.execute(m.RegisterRule(actor="test", at=NOW, definition=rule(**fields)))

    assert reason in str(refused.value)
    assert store.load(Rule.id_for("ops.tick")) is None  # nothing was written


def test_a_templated_parameter_is_checked_when_it_renders_not_when_registered(
    with_timer: CommandService, store: EventStore
) -> None:
    templated = rule(action_params={"cmd": "echo {{ trigger.n }}", "retries": "{{ trigger.n }}"})
    with_timer.execute(m.RegisterRule(actor="test", at=NOW, definition=templated))
    assert store.load(Rule.id_for("ops.tick")) is not None


def load_pack(commands: CommandService, *rules: RuleDefinition) -> None:
    """What a pack load registers: the pack with the rules its files define, then those."""
    listed = [r.ref for r in rules]
    pack = PackDefinition(ref="ops")
    commands.execute(m.RegisterPack(actor="pack_loader", at=NOW, definition=pack, rules=listed))
    for definition in rules:
        commands.execute(m.RegisterRule(actor="pack_loader", at=NOW, definition=definition))


def test_a_pack_rule_whose_file_is_gone_is_unregistered_and_restored_when_it_is_back(
    with_timer: CommandService, store: EventStore
) -> None:
    tick, other = rule("ops.tick"), rule("ops.other")
    # A rule registered without the pack listing it (as the API will) is never touched.
    outside = rule("ops.outside")
    with_timer.execute(m.RegisterRule(actor="alice", at=NOW, definition=outside))
    load_pack(with_timer, tick, other)

    load_pack(with_timer, other)  # tick.yaml deleted
    index = RuleIndex()
    for _, event in store.read(0, 1000):
        index.observe(event)
    assert [r.ref for r in index.all()] == ["ops.other", "ops.outside"]
    history = [e for _, e in store.read(0, 1000) if e.originator_id == Rule.id_for("ops.tick")]
    assert [event_name(e) for e in history] == ["rule.registered", "rule.unregistered"]
    assert "pack ops no longer defines it" in history[-1].reason  # type: ignore[attr-defined]

    load_pack(with_timer, other)  # a second load with the file still gone records nothing
    load_pack(with_timer, tick, other)  # tick.yaml is back
    index = RuleIndex()
    for _, event in store.read(0, 1000):
        index.observe(event)
    assert [r.ref for r in index.all()] == ["ops.other", "ops.outside", "ops.tick"]
    history = [e for _, e in store.read(0, 1000) if e.originator_id == Rule.id_for("ops.tick")]
    assert [event_name(e) for e in history] == [
        "rule.registered",
        "rule.unregistered",
        "rule.restored",
    ]
