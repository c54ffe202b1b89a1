"""How often and how long a failed delivery is tried again, as data (the outbox's policy)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """The n-th failed attempt waits base_delay × factor**n, at most cap; after max_attempts
    failures the message is dead: kept, never tried again automatically, until an admin retries
    it. The defaults try for about 18 hours: 1, 2, 4 ... 32 minutes, then hourly."""

    base_delay: timedelta = timedelta(seconds=30)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=1)
    max_attempts: int = 24

    def __post_init__(self) -> None:
        if self.base_delay <= timedelta(0):
            raise ValueError(f"base delay {self.base_delay} must be longer than nothing")
        if self.factor < 1:
            raise ValueError(f"factor {self.factor} must be at least 1 (delays never shrink)")
        if self.cap < self.base_delay:
            raise ValueError(f"cap {self.cap} must be at least the base delay {self.base_delay}")
        if self.max_attempts < 1:
            raise ValueError(f"max attempts {self.max_attempts} must be at least 1")

    def delay(self, failures: int) -> timedelta:
        """How long to wait after the `failures`-th failed attempt."""
        seconds, cap = self.base_delay.total_seconds(), self.cap.total_seconds()
        for _ in range(failures):  # step by step: a large power would overflow before the cap
            seconds = min(seconds * self.factor, cap)
        return timedelta(seconds=seconds)

    def exhausted(self, failures: int) -> bool:
        """Whether this many failed attempts make the message dead."""
        return failures >= self.max_attempts
