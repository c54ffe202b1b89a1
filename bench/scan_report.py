"""The deadline-scan benchmark's figures: per case the ticks, then the issue's goals."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

# Issue 5: at 1,000,000 open orders the tick takes at most 2 s and at most 1.5x the tick at 100,000.
MAX_SECONDS = 2.0
MAX_RATIO = 1.5


@dataclass(frozen=True)
class Tick:
    seconds: float
    due_found: int  # orders with a clock whose next check has come, just before the tick
    due_soon: int
    breached: int
    orders: int  # what the scan reports
    effects: int
    notifications: int
    leftover: int  # orders the untimed settling tick recorded first
    prepared: float  # seconds to make the due set, vacuum and count
    rss_before_mb: (
        float  # the process's RSS as the tick starts (it keeps what earlier ticks and sets grew)
    )
    tick_rss_mb: float  # the process's peak RSS during the tick (VmHWM, reset just before it)
    maxrss_mb: float  # ru_maxrss: the process's peak RSS since it started
    traced_peak_mb: float | None  # tracemalloc's peak during the tick, on the traced tick only

    def line(self) -> str:
        traced = (
            ""
            if self.traced_peak_mb is None
            else f", tracemalloc peak {self.traced_peak_mb:.1f} MB"
        )
        return (
            f"{self.seconds:.3f}s for {self.due_found:,} due ({self.due_soon:,} due soon, "
            f"{self.breached:,} breached): {self.orders:,} orders, {self.effects:,} effects, "
            f"{self.notifications:,} notifications; "
            f"{self.leftover} left over from earlier ticks; set made in {self.prepared:.1f}s; "
            f"RSS {self.rss_before_mb:.0f} MB before the tick, "
            f"peak {self.tick_rss_mb:.0f} MB in it, "
            f"ru_maxrss {self.maxrss_mb:.0f} MB{traced}"
        )


@dataclass
class Case:
    orders: int
    due: int
    ticks: list[Tick] = field(default_factory=list)

    @property
    def timed(self) -> list[float]:
        """Tracemalloc slows Python down several times: its tick is left out of the times."""
        return [t.seconds for t in self.ticks if t.traced_peak_mb is None]

    @property
    def median(self) -> float:
        return statistics.median(self.timed)


def table(cases: list[Case]) -> str:
    lines = [
        f"{'open orders':>12} {'due/tick':>9} {'ticks':>6} {'median s':>9} {'max s':>8} "
        f"{'per due ms':>11} {'effects':>8} {'notif.':>7} "
        f"{'RSS growth MB':>14} {'ru_maxrss MB':>13} {'tracemalloc MB':>15}"
    ]
    for case in cases:
        last = case.ticks[-1]
        effects = statistics.median(t.effects for t in case.ticks)
        notifications = statistics.median(t.notifications for t in case.ticks)
        lines.append(
            f"{case.orders:>12,} {case.due:>9,} {len(case.timed):>6} {case.median:>9.3f} "
            f"{max(case.timed):>8.3f} "
            f"{1000 * case.median / case.due:>11.3f} {effects:>8,.0f} {notifications:>7,.0f} "
            f"{max(t.tick_rss_mb - t.rss_before_mb for t in case.ticks):>14.1f} "
            f"{last.maxrss_mb:>13.0f} "
            f"{last.traced_peak_mb or 0:>15.1f}"
        )
    return "\n".join(lines)


def goals(cases: list[Case]) -> str:
    """The floors: the largest case with the issue's share due against the smallest."""
    small, large = cases[0], cases[1] if len(cases) > 1 else cases[0]
    lines = [f"{'goal':<52} {'value':>8} {'floor':>8}  verdict"]
    lines.append(
        _row(f"tick at {large.orders:,} open orders (median)", large.median, MAX_SECONDS, "s")
    )
    lines.append(
        _row(
            f"tick at {large.orders:,} / tick at {small.orders:,}",
            large.median / small.median,
            MAX_RATIO,
            "x",
        )
    )
    for extra in cases[2:]:
        value = extra.median / small.median
        what = f"tick at {extra.orders:,} with {extra.due:,} due / at {small.orders:,}"
        lines.append(f"{what:<52} {value:>7.2f}x {'-':>8}  (context)")
    return "\n".join(lines)


def _row(what: str, value: float, floor: float, unit: str) -> str:
    verdict = "PASS" if value <= floor else "BELOW"
    return f"{what:<52} {value:>7.2f}{unit} {'<= ' + format(floor, 'g') + unit:>8}  {verdict}"
