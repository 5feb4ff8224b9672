"""The composition root: builds Attune from settings, wiring adapters into the core.

`build_embedded` assembles everything `attune up` runs in one process: the SQLite event
store, the secret box, the command service, the read models and their projector, the
stream processors on the embedded host, one local worker, and the API.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy
from fastapi import FastAPI

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.keystore import KeyScope
from attune.infra.first_start import ensure_first_admin, ensure_local_cli_token
from attune.infra.pack_loader import (
    LoadedPack,
    PackProblem,
    entry_point_locator,
    find_packs,
    load_packs,
    shipped_packs_root,
)
from attune.infra.projection_runner import projection_loop
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.private_files import private_directory
from attune.infra.security.secret_box import open_keyring
from attune.infra.security.tokens import (
    TokenService,
    load_or_create_signing_key,
)
from attune.infra.settings import Settings
from attune.infra.storage.databases import read_engine_of, store_environment
from attune.infra.storage.postgres_bulk_read import postgres_events_of
from attune.infra.storage.state_lock import StateLock
from attune.projections.keystore import get_key
from attune.projections.projector import PositionWatch, Projector
from attune.streams.background import WakeableLoop
from attune.streams.claims import ClaimRegistry
from attune.streams.embedded import EmbeddedHost
from attune.streams.orchestrator import Orchestrator
from attune.streams.rule_engine import RuleEngine
from attune.streams.scheduler import LOCAL_POOL, Scheduler
from attune.streams.timer_service import TimerService
from attune.streams.timers import TriggerTimers
from attune.streams.worker.keystore_references import KeyFinder
from attune.streams.worker.loop import Worker
from attune.streams.worker.process_groups import WorkerSlot
from attune.streams.worker.queue import WorkQueue
from attune.streams.worker.runners import local_runners

log = logging.getLogger("attune")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(settings: Settings) -> EventStore:
    private_directory(settings.state_dir)
    return EventStore(store_environment(settings), bulk_reader=postgres_events_of)


def open_read_engine(settings: Settings) -> sqlalchemy.Engine:
    private_directory(settings.state_dir)
    return read_engine_of(settings)


def pack_directories(settings: Settings) -> list[Path]:
    """The shipped packs (core, examples unless left out), then one's own packs.

    In a checkout's editable install the shipped root *is* ``./packs``, the default place for
    one's own packs: a pack found there that is a shipped one is skipped, not a duplicate (and
    ``--no-examples`` still leaves the examples out). A pack of one's own elsewhere that reuses
    a shipped ref is still reported as a duplicate by `load_packs`.
    """
    shipped = shipped_packs_root()
    directories = [shipped / "core"]
    if settings.examples:
        directories.append(shipped / "examples")
    shipped_ones = set(find_packs([shipped]))
    own = find_packs(p for p in settings.packs if p.exists())
    return directories + [d for d in own if d not in shipped_ones]


LOADER = "pack_loader"  # the actor of every registration a pack load makes


def register_packs(
    commands: CommandService, packs: Iterable[LoadedPack], clock: Clock
) -> list[str]:
    """Register each pack's components (unchanged ones record nothing); return refusals.

    Every pack's trigger types and actions come first, so that a rule may use another
    pack's; each pack lists the rules its files define, so one whose file is gone is
    unregistered.
    """
    packs = list(packs)
    batches = [(p.pack.ref, _components(p, clock())) for p in packs]
    batches += [(p.pack.ref, _rules(p, clock())) for p in packs]
    refusals: list[str] = []
    for pack_ref, batch in batches:
        outcome = commands.apply_batch(batch)
        refusals += [f"pack {pack_ref}: {refusal}" for _, refusal in outcome.refused]
    return refusals


def pack_config_directories(settings: Settings) -> list[Path]:
    """Where packs' configuration files are: ``configs/`` beside each packs directory."""
    return [root.parent / "configs" for root in settings.packs]


def _components(loaded: LoadedPack, at: datetime) -> list[m.Command]:
    rules = [r.ref for r in loaded.rules]
    pack = loaded.pack.ref
    configured = (
        []
        if loaded.config is None
        else [m.ConfigurePack(actor=LOADER, at=at, pack=pack, values=loaded.config)]
    )
    return [
        m.RegisterPack(actor=LOADER, at=at, definition=loaded.pack, rules=rules),
        *configured,
        *(m.RegisterTriggerType(actor=LOADER, at=at, definition=d) for d in loaded.trigger_types),
        *(m.RegisterAction(actor=LOADER, at=at, definition=d) for d in loaded.actions),
    ]


def _rules(loaded: LoadedPack, at: datetime) -> list[m.Command]:
    return [m.RegisterRule(actor=LOADER, at=at, definition=d) for d in loaded.rules]


def key_finder(read_engine: sqlalchemy.Engine, clock: Clock) -> KeyFinder:
    """The worker's view of the keystore: live keys in the read model."""

    def find(name: str, scope: KeyScope, owner: str | None) -> dict[str, Any] | None:
        with read_engine.connect() as connection:
            return get_key(connection, name, scope, owner, clock())

    return find


@dataclass
class Embedded:
    """Everything `attune up` runs, built but not started."""

    settings: Settings
    lock: StateLock
    store: EventStore
    commands: CommandService
    read_engine: sqlalchemy.Engine
    projection: WakeableLoop
    host: EmbeddedHost
    worker: Worker
    worker_slot: WorkerSlot
    app: FastAPI
    packs: list[LoadedPack] = field(default_factory=list)
    problems: list[PackProblem] = field(default_factory=list)
    generated_admin_password: str | None = None

    def start(self) -> None:
        self.projection.start()
        self.host.start()  # catches up with the log before anything new happens
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop(self.settings.stop_grace_seconds)
        self.worker_slot.release()
        self.host.stop()
        self.projection.stop()
        self.lock.release()


def build_embedded(
    settings: Settings, clock: Clock = utc_now, lock: StateLock | None = None
) -> Embedded:
    """Build all of `attune up` on the state directory, holding its lock (taken here unless
    the caller took it first, as `attune up` does before it checks its port)."""
    lock = lock or StateLock(settings.state_dir).acquire()
    store = open_store(settings)
    secret_box = open_keyring(settings.state_dir)
    commands = CommandService(store, secret_box)
    token_service = TokenService(load_or_create_signing_key(settings.signing_key_file))
    admin_password = ensure_first_admin(commands, store, settings, clock)
    ensure_local_cli_token(commands, store, settings, clock)

    loaded, problems = load_packs(
        pack_directories(settings), settings.expression_limits, pack_config_directories(settings)
    )
    problems += [p for pack in loaded for p in pack.problems]
    for refusal in register_packs(commands, loaded, clock):
        log.error("%s", refusal)
    # Before any work: what a previous life's actions left running, if it crashed, is killed.
    slot = WorkerSlot(settings.state_dir / "workers", LOCAL_POOL)
    runners = local_runners(
        entry_point_locator(loaded, "here"), settings.kill_grace_seconds, slot.cleaned_groups()
    )

    read_engine = open_read_engine(settings)
    watch = PositionWatch()
    projector = Projector(read_engine, watch, retention_days=settings.retention_days)
    projection = projection_loop(store, projector, settings.poll_interval)

    worker_name = f"local@{socket.gethostname()}/{os.getpid()}-{os.urandom(3).hex()}"
    queue = WorkQueue(LOCAL_POOL)
    worker = Worker(
        worker_name,
        queue,
        commands,
        secret_box,
        runners,
        settings.base_url,
        clock,
        concurrency=settings.worker_concurrency,
        issue_token=token_service.execution,
        find_key=key_finder(read_engine, clock),
        default_timeout=settings.action_timeout_seconds,
    )
    timer = TimerService([TriggerTimers()], timedelta(seconds=settings.timer_grace_seconds))
    claims = ClaimRegistry(margin=timedelta(seconds=settings.timeout_margin_seconds))
    host = EmbeddedHost(
        store,
        commands,
        [RuleEngine(settings.expression_limits), Scheduler(), timer, claims, queue, Orchestrator()],
        timer,
        claims,
        clock,
        live_workers={worker_name},
        poll_interval=settings.poll_interval,
    )
    queue.on_cancel(worker.cancel)
    host.after_batch(worker.notify)
    store.on_saved(host.wake)
    store.on_saved(projection.wake)

    app = create_app(
        ApiServices(
            commands=commands,
            read_engine=read_engine,
            projection=watch,
            store_position=store.position,
            clock=clock,
            entropy=os.urandom,
            credentials=LocalCredentials(token_service),
            expression_limits=settings.expression_limits,
            webhook_dropped_headers=frozenset(h.lower() for h in settings.webhook_dropped_headers),
        )
    )
    return Embedded(
        settings,
        lock,
        store,
        commands,
        read_engine,
        projection,
        host,
        worker,
        slot,
        app,
        loaded,
        problems,
        admin_password,
    )
