"""The embedded host: one process tails the store's log and feeds every processor.

It reads the notification log in batches (woken on every save, polling as a fallback) and
gives each event to each processor. A processor's commands are applied together with its
tracking position in one transaction, so after a crash it resumes exactly where it
stopped: on start every processor folds the whole log into its state again, and only
events past its recorded position produce commands. Timers tick from the same loop (the
process owns every timer).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from eventsourcing.persistence import Tracking

from attune.commands.models import Command
from attune.domain.events import AttuneEvent
from attune.streams.background import WakeableLoop
from attune.streams.claims import ClaimRegistry
from attune.streams.delivery import apply_until_written
from attune.streams.ports import CommandBus, EventLog, Processor
from attune.streams.timer_service import TimerService, Uptime


class EmbeddedHost:
    def __init__(
        self,
        log_: EventLog,
        bus: CommandBus,
        processors: Sequence[Processor],
        timer: TimerService,
        claims: ClaimRegistry,
        clock: Callable[[], datetime],
        live_workers: set[str],
        batch_size: int = 500,
        poll_interval: float = 0.5,
    ) -> None:
        self.log = log_
        self.bus = bus
        self.processors = list(processors)
        self.timer = timer
        self.uptime = Uptime(timer.grace)
        self.claims = claims
        self.clock = clock
        self.live_workers = live_workers
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.position = 0
        self._tracked = {p.name: log_.tracked_position(p.name) for p in self.processors}
        self._listeners: list[Callable[[], None]] = []
        self._loop = WakeableLoop("embedded host", self._round, self._sleep_time)

    def after_batch(self, listener: Callable[[], None]) -> None:
        self._listeners.append(listener)

    def wake(self, _position: int = 0) -> None:
        self._loop.wake()

    def start(self) -> None:
        """Catch up with the log, abandon the runs of workers that are gone, then run."""
        while self.step():
            pass
        for worker in self.claims.workers():
            if worker not in self.live_workers:
                reason = f"worker {worker} stopped while running it (Attune restarted)"
                self._apply(self.claims.declare_lost(worker, reason, self.clock()), None)
        self._loop.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._loop.stop(timeout)

    def _round(self) -> bool:
        """One batch of the log, then due timers; a failed write is retried from the same
        position (positions only advance after their commands were written)."""
        progressed = self.step()
        now = self.clock()
        due = self.timer.tick(now, self.uptime.beat(now))
        self._apply(due.commands + self.claims.overdue(now), None)
        self.timer.record(due)
        return progressed

    def _sleep_time(self) -> float:
        due = self.timer.next_due()
        if due is None:
            return self.poll_interval
        return max(0.0, min(self.poll_interval, (due - self.clock()).total_seconds()))

    def step(self) -> bool:
        """Process one batch of the log; False when there was nothing new."""
        batch = self.log.read(self.position, self.batch_size)
        if not batch:
            return False
        now = self.clock()
        last = batch[-1][0]
        for processor in self.processors:
            commands = self._handle(processor, batch, now)
            # Only a batch that asks for something needs its position recorded: after a
            # restart, the events of a quiet stretch ask for nothing again either.
            if commands:
                self._apply(commands, Tracking(processor.name, last))
                self._tracked[processor.name] = last
        self.position = last
        for listener in self._listeners:
            listener()
        return True

    def _handle(
        self, processor: Processor, batch: list[tuple[int, AttuneEvent]], now: datetime
    ) -> list[Command]:
        tracked = self._tracked[processor.name]
        commands: list[Command] = []
        for position, event in batch:
            emitted = processor.handle(event, now)
            if position > tracked:  # below it, the commands were applied before a restart
                commands.extend(emitted)
        return commands

    def _apply(self, commands: list[Command], tracking: Tracking | None) -> None:
        if commands or tracking is not None:
            apply_until_written(self.bus, commands, tracking, self._loop.stopping)
