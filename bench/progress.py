"""A progress line every `every` rows: count, rate and the time left, so a 1,000,000-row load is
watchable."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


@dataclass
class Progress:
    total: int
    every: int = 10_000
    label: str = "orders"
    started: float = field(default_factory=time.perf_counter)
    done: int = 0
    _next: int = 0

    def __post_init__(self) -> None:
        self._next = self.every

    def advance(self, rows: int) -> None:
        self.done += rows
        if self.done >= self._next or self.done >= self.total:
            self._next = (self.done // self.every + 1) * self.every
            print(self.line(), flush=True)

    def line(self) -> str:
        elapsed = time.perf_counter() - self.started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        left = (self.total - self.done) / rate if rate > 0 else 0.0
        share = 100 * self.done / self.total if self.total else 100.0
        return (
            f"  {self.done:>9,}/{self.total:,} {self.label} ({share:5.1f}%)  "
            f"{rate:8,.0f} rows/s  ETA {left:5.0f}s"
        )
