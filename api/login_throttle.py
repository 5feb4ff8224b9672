"""Login rate limiting: after repeated wrong passwords, per account and per address.

Ten failed logins in a row (within 15 minutes) for one account, or from one address, lock
further attempts for five minutes; a success clears the account's and address's count.
Kept in memory: it protects one API process; in distributed mode each API process counts
its own attempts.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_FAILURES = 10
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=5)


@dataclass
class _Record:
    failures: int = 0
    first_failure: datetime | None = None
    locked_until: datetime | None = None


class LoginThrottle:
    def __init__(self) -> None:
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def wait_seconds(self, login: str, address: str, now: datetime) -> float:
        """How long the caller must wait before trying again (0: may try now)."""
        with self._lock:
            waits = [
                (record.locked_until - now).total_seconds()
                for key in (f"login:{login}", f"address:{address}")
                if (record := self._records.get(key)) and record.locked_until
            ]
        return max([0.0, *waits])

    def failed(self, login: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"login:{login}", f"address:{address}"):
                record = self._records.setdefault(key, _Record())
                if record.first_failure is None or now - record.first_failure > WINDOW:
                    record.failures, record.first_failure, record.locked_until = 0, now, None
                record.failures += 1
                if record.failures >= MAX_FAILURES:
                    record.locked_until = now + LOCKOUT

    def succeeded(self, login: str, address: str) -> None:
        with self._lock:
            self._records.pop(f"login:{login}", None)
            self._records.pop(f"address:{address}", None)
