"""The composition root of distributed mode: one function per process.

`attune api`, `attune commands`, `attune relay`, `attune streams`, `attune worker` and
`attune project` each run one part of Attune against the shared PostgreSQL store
(`ATTUNE_DATABASE_URL`) and Kafka (`ATTUNE_KAFKA_BOOTSTRAP`).
Each waits for the services it needs at start, naming their address, instead of
crash-looping. Secrets (the keyring and the token signing key) come from the state
directory, which the processes that need it share (a volume in `infra/compose.yaml`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import Engine

from attune.api.app import create_app
from attune.api.dependencies import ApiServices
from attune.commands.service import CommandService
from attune.commands.store import EventStore
from attune.infra.bootstrap import (
    Clock,
    open_read_engine,
    open_store,
    pack_config_directories,
    pack_directories,
    register_packs,
    utc_now,
)
from attune.infra.first_start import (
    ensure_first_admin,
    ensure_local_cli_token,
    ensure_worker_token,
)
from attune.infra.kafka.commands import KafkaCommandSender, serve_commands
from attune.infra.kafka.consumers import group_consumer
from attune.infra.kafka.publisher import KafkaPublisher
from attune.infra.kafka.topics import STREAM_TOPICS, execution_rekeying, topic_of_event
from attune.infra.pack_loader import entry_point_locator, load_packs
from attune.infra.projection_runner import COALESCE_SECONDS
from attune.infra.security.api_keystore import ApiKeyFinder, worker_token
from attune.infra.security.credentials import LocalCredentials
from attune.infra.security.secret_box import open_keyring
from attune.infra.security.tokens import TokenService, load_or_create_signing_key
from attune.infra.settings import Settings
from attune.infra.startup import connect_with_retry
from attune.infra.storage.databases import database_address
from attune.infra.storage.store_wakeup import StoreWakeUp
from attune.projections.projector import DEFAULT_NAME, Projector, position_query
from attune.projections.watch import PositionWatch
from attune.streams.faust_app import create_streams_app
from attune.streams.relay import Relay
from attune.streams.stream_follower import StreamFollower
from attune.streams.worker.kafka_host import (
    OwnLoss,
    heartbeat_message,
    serve_worker,
    started,
    worker_name,
)
from attune.streams.worker.loop import Worker
from attune.streams.worker.process_groups import WorkerSlot
from attune.streams.worker.queue import WorkQueue
from attune.streams.worker.runners import local_runners

log = logging.getLogger("attune")

DEAD_LETTER_TOPIC = "attune.dead-letter"
WORKER_TOPIC = topic_of_event("worker.lost")
POSITION_POLL_SECONDS = 0.01


def _store(settings: Settings, stopping: threading.Event) -> EventStore | None:
    return connect_with_retry(
        f"the event store at {database_address(settings)}", lambda: open_store(settings), stopping
    )


def _broker(settings: Settings) -> str:
    return f"the Kafka broker at {settings.kafka_bootstrap}"


class ProjectedPosition:
    """How far the projector (another process) got: its position row, polled while waiting.

    Threads poll it themselves (`wait_for`); coroutines (`reached`) share one polling thread,
    which runs only while some coroutine waits, whatever their number.
    """

    def __init__(self, engine: Engine, name: str = DEFAULT_NAME) -> None:
        self._engine = engine
        self._query = position_query(name)
        self._watch = PositionWatch()
        self._poller: threading.Thread | None = None
        self._poller_lock = threading.Lock()

    def position(self) -> int:
        with self._engine.connect() as connection:
            position: int = connection.execute(self._query).scalar_one_or_none() or 0
        self._watch.advance(position)
        return position

    def wait_for(self, position: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.position() < position:
            if time.monotonic() > deadline:
                return False
            time.sleep(POSITION_POLL_SECONDS)
        return True

    async def reached(self, position: int, timeout: float) -> bool:
        if timeout <= 0:
            return await asyncio.to_thread(self.position) >= position
        with self._poller_lock:
            if self._poller is None:
                self._poller = threading.Thread(target=self._poll, name="position", daemon=True)
                self._poller.start()
        return await self._watch.reached(position, timeout)

    def _poll(self) -> None:
        idle_since = time.monotonic()
        while True:
            time.sleep(POSITION_POLL_SECONDS)
            with self._poller_lock:
                # A grace period: a coroutine may be between starting us and waiting.
                if self._watch.waiting() == 0 and time.monotonic() - idle_since > 1.0:
                    self._poller = None
                    return
            if self._watch.waiting():
                idle_since = time.monotonic()
                try:
                    self.position()
                except Exception:  # the database is away: the waits time out, we go on
                    log.warning("cannot read the projector's position", exc_info=True)


def build_api(settings: Settings, clock: Clock = utc_now) -> FastAPI:
    """`attune api`: user commands applied to the store, reads from the projections."""
    store = open_store(settings)
    read_engine = open_read_engine(settings)
    # Creates the read-model tables if the projector has not yet.
    Projector(read_engine, retention_days=settings.retention_days)
    token_service = TokenService(load_or_create_signing_key(settings.signing_key_file))
    commands = CommandService(store, open_keyring(settings.state_dir))
    password = ensure_first_admin(commands, store, settings, clock)
    if password:
        log.warning("created the first admin: login 'admin', password '%s' (shown once)", password)
    ensure_local_cli_token(commands, store, settings, clock)
    ensure_worker_token(commands, store, settings, clock)
    loaded, problems = load_packs(
        pack_directories(settings), settings.expression_limits, pack_config_directories(settings)
    )
    problems += [p for pack in loaded for p in pack.problems]  # its files that failed
    for problem in [*problems, *register_packs(commands, loaded, clock)]:
        log.error("pack problem: %s", problem)
    return create_app(
        ApiServices(
            commands=commands,
            read_engine=read_engine,
            projection=ProjectedPosition(read_engine),
            store_position=store.position,
            clock=clock,
            entropy=os.urandom,
            credentials=LocalCredentials(token_service),
            expression_limits=settings.expression_limits,
            webhook_dropped_headers=frozenset(h.lower() for h in settings.webhook_dropped_headers),
        )
    )


def run_commands(settings: Settings, stopping: threading.Event) -> None:
    """`attune commands`: apply the commands topic to the store until stopped."""
    store = _store(settings, stopping)
    if store is None:
        return
    service = CommandService(store, open_keyring(settings.state_dir))
    _serve_until_stopped(
        settings,
        stopping,
        lambda: serve_commands(
            service, settings.kafka_bootstrap, STREAM_TOPICS.commands, DEAD_LETTER_TOPIC, stopping
        ),
    )
    store.close()


def _serve_until_stopped(
    settings: Settings, stopping: threading.Event, serve: Callable[[], Coroutine[Any, Any, None]]
) -> None:
    """Run an asyncio consumer loop; if the broker goes away, start it again after a pause."""
    while not stopping.is_set():
        try:
            asyncio.run(serve())
        except Exception as problem:
            log.error("cannot reach %s: %s; retrying in 2 s", _broker(settings), problem)
            stopping.wait(2.0)


def run_project(settings: Settings, stopping: threading.Event) -> None:
    """`attune project`: keep the read models up to date with the store's log."""
    store = _store(settings, stopping)
    if store is None:
        return
    projector = connect_with_retry(
        f"the read-model database at {database_address(settings)}",
        lambda: Projector(open_read_engine(settings), retention_days=settings.retention_days),
        stopping,
    )
    if projector is None:
        return
    wake_up = StoreWakeUp(settings, store, stopping)
    log.info("projecting the log from position %d", projector.position())
    while not stopping.is_set():
        try:
            projector.catch_up(store)
        except Exception:
            log.exception("projection failed; retrying")
            stopping.wait(1.0)
            continue
        wake_up.wait(settings.poll_interval)
        stopping.wait(COALESCE_SECONDS)
    wake_up.join()
    store.close()


def run_streams(settings: Settings, clock: Clock = utc_now) -> None:
    """`attune streams`: the faust worker running the stream processors (handles signals)."""
    import faust

    app = create_streams_app(
        settings.kafka_bootstrap,
        STREAM_TOPICS,
        clock,
        settings.heartbeat_seconds,
        settings.expression_limits,
        timedelta(seconds=settings.timer_grace_seconds),
        timedelta(seconds=settings.timeout_margin_seconds),
    )
    faust.Worker(app, loglevel=settings.log_level, quiet=True).execute_from_commandline()


def run_worker(settings: Settings, stopping: threading.Event, clock: Clock = utc_now) -> None:
    """`attune worker`: run the executions scheduled for `settings.worker_pool`."""
    pool = settings.worker_pool
    name = worker_name(pool)
    sender = connect_with_retry(
        _broker(settings),
        lambda: KafkaCommandSender(settings.kafka_bootstrap, STREAM_TOPICS.commands),
        stopping,
    )
    if sender is None:
        return
    loaded, problems = load_packs(
        pack_directories(settings), settings.expression_limits, pack_config_directories(settings)
    )
    for problem in problems:
        log.error("pack problem: %s", problem)
    # Before any work: what a previous worker of the pool here left running, if it crashed.
    slot = WorkerSlot(settings.state_dir / "workers", pool)
    runners = local_runners(
        entry_point_locator(loaded, "in this worker's packs directories"),
        settings.kill_grace_seconds,
        slot.cleaned_groups(),
    )

    def heartbeat(state: str) -> None:
        value = heartbeat_message(name, pool, state, clock())
        sender.send_raw([(STREAM_TOPICS.liveness, name.encode(), value)])

    queue = WorkQueue(pool)
    worker = Worker(
        name,
        queue,
        sender,
        open_keyring(settings.state_dir),
        runners,
        settings.base_url,
        clock,
        issue_token=TokenService(load_or_create_signing_key(settings.signing_key_file)).execution,
        find_key=ApiKeyFinder(
            httpx.Client(base_url=settings.base_url, timeout=30), worker_token(settings)
        ),
        concurrency=settings.worker_concurrency,
        claims_confirmed_by_log=True,
        default_timeout=settings.action_timeout_seconds,
    )
    queue.on_cancel(worker.cancel)
    sender.apply_batch([started(name, pool, clock())])
    lost: list[str] = []

    def stop_when_lost(reason: str) -> None:
        log.error("this worker (%s) was declared lost: %s; it stops taking work", name, reason)
        lost.append(reason)
        stopping.set()

    whole_streams = StreamFollower(
        settings.kafka_bootstrap,
        [STREAM_TOPICS.config, WORKER_TOPIC],
        [queue, OwnLoss(name, stop_when_lost)],
    )
    _serve_until_stopped(
        settings,
        stopping,
        lambda: serve_worker(
            worker,
            queue,
            lambda: group_consumer(settings.kafka_bootstrap, f"attune-workers-{pool}"),
            STREAM_TOPICS.executions,
            whole_streams,
            heartbeat,
            settings.heartbeat_seconds,
            clock,
            stopping,
            settings.stop_grace_seconds,
        ),
    )
    sender.close()
    slot.release()
    if lost:
        raise SystemExit(
            f"worker {name} was declared lost ({lost[0]}); "
            "start it again to serve the pool under a new name"
        )


def run_relay(settings: Settings, stopping: threading.Event) -> None:
    """`attune relay`: publish the store's log to Kafka until `stopping` is set."""
    store = _store(settings, stopping)
    if store is None:
        return
    wake_up = StoreWakeUp(settings, store, stopping)
    while not stopping.is_set():
        publisher = connect_with_retry(
            _broker(settings), lambda: KafkaPublisher(settings.kafka_bootstrap), stopping
        )
        if publisher is None:
            break
        relay = Relay(store, publisher, topic_of_event, rekeying=execution_rekeying(store.load))
        log.info(
            "relaying the log from position %d to %s", relay.position, settings.kafka_bootstrap
        )
        try:
            while not stopping.is_set():
                if not relay.step():
                    wake_up.wait(settings.poll_interval)
        except Exception:  # a broker that went away: reconnect from the recorded position
            log.exception("relay failed; reconnecting")
        finally:
            publisher.close()
    wake_up.join()
    store.close()
