"""The composition root: builds Attune from settings, wiring adapters into the core.

`build_embedded` assembles everything `attune up` runs in one process: the SQLite event
store, the secret box, the command service, the read models and their projector, the
stream processors on the embedded host, one local worker, and the API.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from fastapi import FastAPI

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands import models as m
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.domain.identity import ApiKey, Identity, IdentityKind
from attune.domain.ids import new_runtime_id
from attune.domain.keystore import KeyScope
from attune.infra.credentials import LocalCredentials
from attune.infra.databases import read_engine_of, store_environment
from attune.infra.pack_loader import (
    LoadedPack,
    PackProblem,
    entry_point_path,
    find_packs,
    load_packs,
    shipped_packs_root,
)
from attune.infra.passwords import hash_password
from attune.infra.postgres_bulk_read import postgres_events_of
from attune.infra.private_files import private_directory, write_private_file
from attune.infra.projection_runner import projection_loop
from attune.infra.secret_box import open_keyring
from attune.infra.settings import Settings
from attune.infra.state_lock import StateLock
from attune.infra.tokens import TokenService, load_or_create_signing_key, new_api_key, parse_api_key
from attune.projections.keystore import get_key
from attune.projections.projector import PositionWatch, Projector
from attune.streams.background import WakeableLoop
from attune.streams.claims import ClaimRegistry
from attune.streams.embedded import EmbeddedHost
from attune.streams.keystore_references import KeyFinder
from attune.streams.rule_engine import RuleEngine
from attune.streams.scheduler import LOCAL_POOL, Scheduler
from attune.streams.timers import IntervalTimer
from attune.streams.worker import Worker, WorkQueue

log = logging.getLogger("attune")

Clock = Callable[[], datetime]
FIRST_ADMIN = "admin"
WORKER_ACCOUNT = "attune-worker"  # the service account of distributed workers


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(settings: Settings) -> EventStore:
    private_directory(settings.state_dir)
    return EventStore(store_environment(settings), bulk_reader=postgres_events_of)


def open_read_engine(settings: Settings) -> sqlalchemy.Engine:
    private_directory(settings.state_dir)
    return read_engine_of(settings)


def pack_directories(settings: Settings) -> list[Path]:
    shipped = shipped_packs_root()
    directories = [shipped / "core"]
    if settings.examples:
        directories.append(shipped / "examples")
    return directories + find_packs(p for p in settings.packs if p.exists())


def register_packs(
    commands: CommandService, packs: Iterable[LoadedPack], clock: Clock
) -> list[str]:
    """Register each pack's components (unchanged ones record nothing); return refusals."""
    refusals: list[str] = []
    for loaded in packs:
        at = clock()
        batch: list[m.Command] = [
            m.RegisterPack(actor="pack_loader", at=at, definition=loaded.pack)
        ]
        batch += [
            m.RegisterTriggerType(actor="pack_loader", at=at, definition=d)
            for d in loaded.trigger_types
        ]
        batch += [
            m.RegisterAction(actor="pack_loader", at=at, definition=d) for d in loaded.actions
        ]
        batch += [m.RegisterRule(actor="pack_loader", at=at, definition=d) for d in loaded.rules]
        outcome = commands.apply_batch(batch)
        refusals += [f"pack {loaded.pack.ref}: {refusal}" for _, refusal in outcome.refused]
    return refusals


def ensure_first_admin(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> str | None:
    """Create the `admin` user on first start; return its password if it was generated."""
    if store.load(Identity.id_for(FIRST_ADMIN)) is not None:
        return None
    given = settings.admin_password
    password = given.get_secret_value() if given else secrets.token_urlsafe(12)
    _create_identity(
        commands, FIRST_ADMIN, IdentityKind.USER, "admin", clock, hash_password(password)
    )
    return None if given else password


def ensure_local_cli_token(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> None:
    """Keep a live admin API key in the state directory (0600) for the CLI on this machine."""
    _ensure_api_key_file(commands, store, settings.cli_token_file, FIRST_ADMIN, "local-cli", clock)


def ensure_worker_token(
    commands: CommandService, store: EventStore, settings: Settings, clock: Clock
) -> None:
    """Keep a live API key of the `attune-worker` service account (role `worker`) in the
    state directory (0600): distributed workers resolve keystore references with it."""
    if store.load(Identity.id_for(WORKER_ACCOUNT)) is None:
        _create_identity(commands, WORKER_ACCOUNT, IdentityKind.SERVICE, "worker", clock)
    _ensure_api_key_file(
        commands, store, settings.worker_token_file, WORKER_ACCOUNT, "workers", clock
    )


def _create_identity(
    commands: CommandService,
    login: str,
    kind: IdentityKind,
    role: str,
    clock: Clock,
    password_hash: str | None = None,
) -> None:
    commands.execute(
        m.CreateIdentity(
            actor="attune",
            at=clock(),
            login=login,
            kind=kind,
            roles=[role],
            password_hash=password_hash,
        )
    )


def _ensure_api_key_file(
    commands: CommandService,
    store: EventStore,
    path: Path,
    login: str,
    name: str,
    clock: Clock,
) -> None:
    if path.exists():
        parsed = parse_api_key(path.read_text().strip())
        key = None if parsed is None else store.load(parsed[0])
        if isinstance(key, ApiKey) and not key.revoked:
            return
    now = clock()
    key_id = new_runtime_id(now, os.urandom(10))
    api_key, secret_hash = new_api_key(key_id)
    commands.execute(
        m.CreateApiKey(
            actor="attune", at=now, key_id=key_id, login=login, name=name, secret_hash=secret_hash
        )
    )
    write_private_file(path, api_key.encode())


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
    app: FastAPI
    packs: list[LoadedPack] = field(default_factory=list)
    problems: list[PackProblem] = field(default_factory=list)
    generated_admin_password: str | None = None

    def start(self) -> None:
        self.projection.start()
        self.host.start()  # catches up with the log before anything new happens
        self.worker.start()

    def stop(self) -> None:
        self.worker.stop()
        self.host.stop()
        self.projection.stop()
        self.lock.release()


def build_embedded(settings: Settings, clock: Clock = utc_now) -> Embedded:
    lock = StateLock(settings.state_dir).acquire()
    store = open_store(settings)
    secret_box = open_keyring(settings.state_dir)
    commands = CommandService(store, secret_box)
    token_service = TokenService(load_or_create_signing_key(settings.signing_key_file))
    admin_password = ensure_first_admin(commands, store, settings, clock)
    ensure_local_cli_token(commands, store, settings, clock)

    loaded, problems = load_packs(pack_directories(settings))
    problems += [p for pack in loaded for p in pack.problems]
    for refusal in register_packs(commands, loaded, clock):
        log.error("%s", refusal)
    pack_dirs = {pack.pack.ref: pack.directory for pack in loaded}

    def locate_entry_point(pack: str, entry_point: str) -> Path:
        if pack not in pack_dirs:
            raise LookupError(f"pack '{pack}' is not installed here")
        return entry_point_path(pack_dirs[pack], entry_point)

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
        locate_entry_point,
        settings.base_url,
        clock,
        concurrency=settings.worker_concurrency,
        issue_token=token_service.execution,
        find_key=key_finder(read_engine, clock),
    )
    timer, claims = IntervalTimer(), ClaimRegistry()
    host = EmbeddedHost(
        store,
        commands,
        [RuleEngine(), Scheduler(), timer, claims, queue],
        timer,
        claims,
        clock,
        live_workers={worker_name},
        poll_interval=settings.poll_interval,
    )
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
        app,
        loaded,
        problems,
        admin_password,
    )
