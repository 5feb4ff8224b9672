"""Command handlers: load the aggregate, call a domain method, leave the events pending.

Each handler is a plain function `(command, uow, secrets) -> None`. Handlers of commands
with deterministic target ids treat an already-existing target as a duplicate (no-op).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar
from uuid import UUID

from attune.commands import models as m
from attune.commands.errors import AlreadyExists, PackOwned, UnknownEntity
from attune.commands.execution_requests import requested_execution
from attune.commands.identity_handlers import IDENTITY_HANDLERS
from attune.commands.keystore import KEYSTORE_HANDLERS
from attune.commands.ports import SecretBox
from attune.commands.secret_parameters import seal_secrets, unsealed
from attune.commands.unit_of_work import UnitOfWork
from attune.commands.workflow_handlers import WORKFLOW_HANDLERS
from attune.domain.config_secrets import misplaced_secrets
from attune.domain.configuration import (
    Action,
    ConfigurationAggregate,
    Pack,
    Role,
    Rule,
    TriggerType,
)
from attune.domain.enforcement import Enforcement
from attune.domain.errors import InvalidParameters, ParameterProblem
from attune.domain.events import AttuneAggregate
from attune.domain.execution import Execution
from attune.domain.parameters import validate_parameters
from attune.domain.rule_checks import RuleRefused, rule_problems
from attune.domain.trigger_event import TriggerEvent
from attune.domain.worker import Worker

A = TypeVar("A", bound=AttuneAggregate)
Handler = Callable[[Any, UnitOfWork, SecretBox], None]


def _existing(uow: UnitOfWork, kind: type[A], aggregate_id: UUID) -> A:
    found = uow.get(kind, aggregate_id)
    if found is None:
        raise UnknownEntity(kind.TOPIC, aggregate_id)
    return found


def _register(kind: type[ConfigurationAggregate[Any]]) -> Handler:
    def handle(command: Any, uow: UnitOfWork, _secrets: SecretBox) -> None:
        current = uow.get(kind, kind.id_for(command.definition.ref))
        if current is None:
            uow.add(kind.register(command.definition, command.cause()))
        else:
            current.redefine(command.definition, command.cause())

    return handle


def register_pack(command: m.RegisterPack, uow: UnitOfWork, secrets: SecretBox) -> None:
    _register(Pack)(command, uow, secrets)
    if command.rules is None:
        return
    pack = _existing(uow, Pack, Pack.id_for(command.definition.ref))
    for ref in pack.list_rules(command.rules, command.cause()):
        rule = uow.get(Rule, Rule.id_for(ref))
        if rule is not None:
            reason = f"pack {pack.ref} no longer defines it (its file is gone or invalid)"
            rule.unregister(reason, command.cause())


def register_action(command: m.RegisterAction, uow: UnitOfWork, secrets: SecretBox) -> None:
    """Register an action whose parameter defaults keep its pack's secrets in their place
    (`misplaced_secrets`); refuse it, naming each parameter, otherwise."""
    action = command.definition
    pack = uow.get(Pack, Pack.id_for(action.pack))
    if pack is not None:
        defaults = {name: spec.default for name, spec in action.parameters.items()}
        misplaced = misplaced_secrets(defaults, action.parameters, pack.parsed_definition())
        if misplaced:
            problems = [ParameterProblem(f"{name}.default", why) for name, why in misplaced]
            raise InvalidParameters(action.ref, problems)
    _register(Action)(command, uow, secrets)


def configure_pack(command: m.ConfigurePack, uow: UnitOfWork, secrets: SecretBox) -> None:
    """Record the pack's configuration if it differs from the one it has (compared in
    plaintext: sealing the same secret twice gives two ciphertexts)."""
    pack = uow.get(Pack, Pack.id_for(command.pack))
    if pack is None:
        raise UnknownEntity("pack", command.pack)
    schema = pack.parsed_definition().config_schema
    owner = f"pack {command.pack} config"
    plain = validate_parameters(owner, schema, unsealed(owner, command.values, secrets))
    if pack.config is not None and unsealed(owner, pack.config, secrets) == plain:
        return
    pack.configure(seal_secrets(schema, plain, secrets), command.cause())


def register_rule(command: m.RegisterRule, uow: UnitOfWork, secrets: SecretBox) -> None:
    """Register a rule that fits the catalogue (its trigger type and action exist, its
    parameters fit them); refuse it, naming each misfit, otherwise."""
    rule = command.definition
    trigger_type = uow.get(TriggerType, TriggerType.id_for(rule.trigger))
    action = uow.get(Action, Action.id_for(rule.action))
    pack = uow.get(Pack, Pack.id_for(rule.pack))
    registered = uow.get(Rule, Rule.id_for(rule.ref))
    # A date timer's date must lie ahead when the rule is new or changed, not when a pack
    # load registers it again unchanged (after it fired).
    unchanged = registered is not None and registered.definition == rule.as_json()
    problems = rule_problems(
        rule,
        None if trigger_type is None else trigger_type.parsed_definition(),
        None if action is None else action.parsed_definition(),
        None if pack is None else pack.parsed_definition(),
        None if unchanged else command.at,
    )
    if problems:
        raise RuleRefused(rule.ref, problems)
    _register(Rule)(command, uow, secrets)


def _registered_rule(uow: UnitOfWork, ref: str) -> Rule:
    """The registered rule `ref` (an unregistered one is unknown, as the API shows it)."""
    rule = uow.get(Rule, Rule.id_for(ref))
    if rule is None or rule.unregistered:
        raise UnknownEntity("rule", ref)
    return rule


def _check_not_pack_owned(uow: UnitOfWork, rule: Rule) -> None:
    """Refuse a user's change that the next load of the rule's pack would undo."""
    pack_ref = str(rule.definition["pack"])
    pack = uow.get(Pack, Pack.id_for(pack_ref))
    if pack is not None and rule.ref in (pack.rules or []):
        raise PackOwned("rule", rule.ref, pack_ref)


def create_rule(command: m.CreateRule, uow: UnitOfWork, secrets: SecretBox) -> None:
    """Register a new rule for a user; a ref a registered rule has is refused."""
    existing = uow.get(Rule, Rule.id_for(command.definition.ref))
    if existing is not None and not existing.unregistered:
        raise AlreadyExists("rule", command.definition.ref)
    register_rule(
        m.RegisterRule.because(command.cause(), definition=command.definition), uow, secrets
    )


def replace_rule(command: m.ReplaceRule, uow: UnitOfWork, secrets: SecretBox) -> None:
    """Replace a user's rule's definition; a rule its pack's files define is refused."""
    _check_not_pack_owned(uow, _registered_rule(uow, command.definition.ref))
    register_rule(
        m.RegisterRule.because(command.cause(), definition=command.definition), uow, secrets
    )


def unregister_rule(command: m.UnregisterRule, uow: UnitOfWork, _s: SecretBox) -> None:
    rule = _registered_rule(uow, command.ref)
    _check_not_pack_owned(uow, rule)
    rule.unregister(command.reason, command.cause())


def _enable_rule(enabled: bool) -> Handler:
    """Enable or disable a registered rule (a pack's too); unchanged, nothing is recorded."""

    def handle(command: m.EnableRule | m.DisableRule, uow: UnitOfWork, _s: SecretBox) -> None:
        rule = _registered_rule(uow, command.ref)
        definition = rule.parsed_definition().model_copy(update={"enabled": enabled})
        rule.redefine(definition, command.cause())

    return handle


def request_execution(command: m.RequestExecution, uow: UnitOfWork, secrets: SecretBox) -> None:
    caused = command.enforcement_id is not None  # a deterministic id: may be a redelivery
    if caused and uow.get(Execution, command.execution_id) is not None:
        return  # the same request, delivered again
    uow.add(
        requested_execution(
            uow,
            secrets,
            command.execution_id,
            command.action,
            command.parameters,
            command.cause(),
            enforcement_id=command.enforcement_id,
            rule=command.rule,
            trigger_event_id=command.trigger_event_id,
            timeout=command.timeout,
        )
    )


def fire_trigger(command: m.FireTrigger, uow: UnitOfWork, _secrets: SecretBox) -> None:
    if uow.get(TriggerEvent, command.trigger_event_id) is None:
        uow.add(
            TriggerEvent.fire(
                command.trigger_event_id,
                command.trigger,
                command.trigger_params,
                command.payload,
                command.cause(),
            )
        )


def create_enforcement(command: m.CreateEnforcement, uow: UnitOfWork, secrets: SecretBox) -> None:
    if uow.get(Enforcement, command.enforcement_id) is not None:
        return  # the same enforcement, asked for again
    config = command.config
    action = uow.get(Action, Action.id_for(command.action))
    if config is not None and action is not None:
        # The rendered parameters are stored: their secret ones must be sealed first.
        config = seal_secrets(action.parsed_definition().parameters, config, secrets)
    uow.add(
        Enforcement.create(
            command.enforcement_id,
            command.rule,
            command.trigger_event_id,
            command.trigger,
            command.action,
            config,
            command.cause(),
        )
    )


def mark_enforcement_processed(
    command: m.MarkEnforcementProcessed, uow: UnitOfWork, _s: SecretBox
) -> None:
    enforcement = _existing(uow, Enforcement, command.enforcement_id)
    enforcement.mark_processed(command.execution_id, command.cause())


def fail_enforcement(command: m.FailEnforcement, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Enforcement, command.enforcement_id).fail(command.reason, command.cause())


def disable_enforcement(command: m.DisableEnforcement, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Enforcement, command.enforcement_id).disable(command.cause())


def schedule_execution(command: m.ScheduleExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Execution, command.execution_id).schedule(command.pool, command.cause())


def claim_execution(command: m.ClaimExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    worker = uow.get(Worker, Worker.id_for(command.worker))
    if worker is not None:  # embedded workers do not register: they live and die with Attune
        worker.check_may_work()
    execution = _existing(uow, Execution, command.execution_id)
    execution.claim(command.worker, command.cause(), command.timeout)


def time_out_execution(command: m.TimeOutExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Execution, command.execution_id).overdue(command.reason, command.cause())


def complete_execution(command: m.CompleteExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    execution = _existing(uow, Execution, command.execution_id)
    cause = command.cause()
    worker = command.worker
    if command.outcome == "succeeded":
        execution.succeed(command.result, worker, cause)
    elif command.outcome == "failed":
        execution.fail(command.result, command.error or "the action failed", worker, cause)
    elif command.outcome == "canceled":
        execution.confirm_canceled(command.result, worker, cause, command.error)
    else:
        execution.time_out(command.result, command.error or "the action timed out", worker, cause)


def cancel_execution(command: m.CancelExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Execution, command.execution_id).cancel(command.by, command.cause())


def abandon_execution(command: m.AbandonExecution, uow: UnitOfWork, _s: SecretBox) -> None:
    _existing(uow, Execution, command.execution_id).abandon(command.reason, command.cause())


def start_worker(command: m.StartWorker, uow: UnitOfWork, _s: SecretBox) -> None:
    if uow.get(Worker, Worker.id_for(command.worker)) is None:
        uow.add(Worker.start(command.worker, command.pool, command.cause()))


def declare_worker_lost(command: m.DeclareWorkerLost, uow: UnitOfWork, _s: SecretBox) -> None:
    worker = uow.get(Worker, Worker.id_for(command.worker))
    if worker is None:  # it never announced itself: record its start so its loss has a subject
        worker = Worker.start(command.worker, "unknown", command.cause())
        uow.add(worker)
    worker.declare_lost(command.reason, command.cause())


HANDLERS: dict[type[m.Command], Handler] = {
    m.DefineRole: _register(Role),
    m.RegisterPack: register_pack,
    m.ConfigurePack: configure_pack,
    m.RegisterAction: register_action,
    m.RegisterTriggerType: _register(TriggerType),
    m.RegisterRule: register_rule,
    m.CreateRule: create_rule,
    m.ReplaceRule: replace_rule,
    m.UnregisterRule: unregister_rule,
    m.EnableRule: _enable_rule(True),
    m.DisableRule: _enable_rule(False),
    m.FireTrigger: fire_trigger,
    m.CreateEnforcement: create_enforcement,
    m.MarkEnforcementProcessed: mark_enforcement_processed,
    m.FailEnforcement: fail_enforcement,
    m.DisableEnforcement: disable_enforcement,
    m.RequestExecution: request_execution,
    m.ScheduleExecution: schedule_execution,
    m.ClaimExecution: claim_execution,
    m.CompleteExecution: complete_execution,
    m.AbandonExecution: abandon_execution,
    m.CancelExecution: cancel_execution,
    m.TimeOutExecution: time_out_execution,
    m.StartWorker: start_worker,
    m.DeclareWorkerLost: declare_worker_lost,
    **IDENTITY_HANDLERS,
    **KEYSTORE_HANDLERS,
    **WORKFLOW_HANDLERS,
}


# What the hot handlers load, so that a batch can fetch all of it in one query
# (`UnitOfWork.preload`). A hint only: a handler still loads anything not fetched.
READS: dict[type[m.Command], Callable[[Any], tuple[UUID, ...]]] = {
    m.FireTrigger: lambda c: (c.trigger_event_id,),
    m.CreateEnforcement: lambda c: (c.enforcement_id, Action.id_for(c.action)),
    m.MarkEnforcementProcessed: lambda c: (c.enforcement_id,),
    m.RequestExecution: lambda c: (
        (Action.id_for(c.action), c.execution_id)
        if c.enforcement_id
        else (Action.id_for(c.action),)
    ),
    m.ScheduleExecution: lambda c: (c.execution_id,),
    m.ClaimExecution: lambda c: (Worker.id_for(c.worker), c.execution_id),
    m.CompleteExecution: lambda c: (c.execution_id,),
    m.AbandonExecution: lambda c: (c.execution_id,),
    m.TimeOutExecution: lambda c: (c.execution_id,),
}


def aggregates_read(commands: Iterable[m.Command]) -> list[UUID]:
    """The aggregates these commands' handlers will load, as far as `READS` knows."""
    return [i for c in commands if (reads := READS.get(type(c))) for i in reads(c)]
