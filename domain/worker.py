"""Worker: one running worker process of a pool, from its start until it is lost.

Heartbeats are telemetry and stay out of the log; only the changes of a worker's life are
domain events: it started, or the supervisor declared it lost after it fell silent. A lost
worker may not claim work any more, and the runs it held are abandoned.
"""

from __future__ import annotations

from uuid import UUID

from attune.domain.errors import DomainError
from attune.domain.events import AttuneAggregate, AttuneCreated, AttuneEvent, Cause
from attune.domain.ids import config_id


class WorkerLost(DomainError):
    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"worker '{name}' was declared lost; it may not take work")


class Worker(AttuneAggregate):
    TOPIC = "worker"

    name: str
    pool: str
    lost: bool = False

    class Started(AttuneCreated):
        TOPIC = "worker.started"
        name: str
        pool: str

    class Lost(AttuneEvent):
        TOPIC = "worker.lost"
        reason: str

        def apply(self, worker: Worker) -> None:
            worker.lost = True

    @staticmethod
    def id_for(name: str) -> UUID:
        return config_id("worker", name)

    @classmethod
    def start(cls, name: str, pool: str, cause: Cause) -> Worker:
        return cls._begin(cls.Started, cls.id_for(name), cause, name=name, pool=pool)

    def declare_lost(self, reason: str, cause: Cause) -> None:
        if not self.lost:  # declaring it again (a redelivered command) changes nothing
            self._happen(self.Lost, cause, reason=reason)

    def check_may_work(self) -> None:
        if self.lost:
            raise WorkerLost(self.name)
