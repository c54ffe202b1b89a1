"""KPIs and incentives (docs/rules.md#kpis, #dealer-score): the definitions a profile gives,
and the arithmetic on them: a reconciliation period, rates, the score, ranking and incentives.

The counting itself (which orders form a population, which clock met its deadline) is SQL
aggregation in server/services/reconciliation.py; the rules it follows are these:

- population: the orders of the profile's counted order natures first assigned to a dealer and
  registered in the period, escalated ones included, cancelled ones not;
- a clock KPI is timely if its clock was met, not timely once its deadline passed unmet, and
  pending while its deadline has not passed (or its clock is paused) at reconciliation time;
- first-time resolution: no repeat complaint within the window after closing; an order not closed,
  or closed less than the window before reconciliation, is pending;
- optional, from the order's latest revisit not cancelled: revisit success (the revisit reached the
  customer) and satisfaction (of the revisits that did, a result the profile counts as satisfied);
  an order without such a revisit is not counted, one whose revisit is still open is pending.

Pending orders are settled by adjustments in a later statement. Rates are taken over the settled
orders (timely + not timely): a pending order counts once it is settled, in the statement that
settles it, so a quarter's figures add up whatever month an order settled in (inferred: the
source divides by the total, which would count a pending order against the dealer twice).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from enum import Enum
from zoneinfo import ZoneInfo


class Outcome(str, Enum):
    TIMELY = "timely"
    NOT_TIMELY = "not_timely"
    PENDING = "pending"
    # Not in the period's population (any more): what an adjustment records for an order that
    # joined or left it after the statement was issued.
    EXCLUDED = "excluded"


COUNTED = (Outcome.TIMELY, Outcome.NOT_TIMELY, Outcome.PENDING)  # a statement line's columns


class Measure(str, Enum):
    CLOCK = "clock"  # the order's clock of that name met its deadline
    FIRST_TIME_RESOLUTION = "first_time_resolution"  # no repeat within the window after closing
    # Optional, from the order's latest revisit not cancelled (an order without one is not
    # counted; one whose revisit is open is pending):
    REVISIT_SUCCESS = "revisit_success"  # the revisit reached the customer
    SATISFACTION = "satisfaction"  # of those that reached them, a result counted as satisfied


@dataclass(frozen=True)
class KpiDefinition:
    code: str
    label_zh: str
    label_en: str
    measure: Measure
    clock: str | None  # the clock of a CLOCK measure
    satisfied: frozenset[str] = frozenset()  # the revisit results a SATISFACTION measure counts


@dataclass(frozen=True)
class Incentive:
    top: int  # the best `top` dealers of each ranking group are rewarded
    reward: int
    penalty_below: Decimal  # a score under this is fined
    penalty: int
    currency: str


@dataclass(frozen=True)
class Schedule:
    """When the scheduler runs a period's job: this day and hour of the month after the period,
    in the tenant's timezone."""

    day: int
    hour: int

    def after(self, month: Month, timezone: str) -> datetime:
        following = month.next()
        zone = ZoneInfo(timezone)
        local = datetime(following.year, following.month, self.day, self.hour, tzinfo=zone)
        return local.astimezone(UTC)


@dataclass(frozen=True)
class KpiRules:
    """A profile's kpis.yaml."""

    natures: frozenset[str]  # order natures in the population (complaint)
    kpis: tuple[KpiDefinition, ...]
    weights: Mapping[str, Decimal]  # kpi code -> weight; they add up to 1
    scale: int  # the score of a dealer with every rate at 100%
    score_is_assumption: bool
    run_day: int  # the day of the next month the reconciliation runs, in the tenant's timezone
    run_hour: int
    appeal_days: int  # natural days after a statement is issued in which its orders may be appealed
    incentive: Incentive | None
    # When the scheduler assesses a quarter (None: only when a tenant admin asks).
    assessment: Schedule | None = None


@dataclass(frozen=True)
class Tally:
    """One KPI's counts for one org unit in one statement; adjustments settle earlier periods."""

    population: int
    timely: int
    not_timely: int
    pending: int
    adjusted_timely: int = 0
    adjusted_not_timely: int = 0

    @property
    def settled_timely(self) -> int:
        return self.timely + self.adjusted_timely

    @property
    def settled(self) -> int:
        return self.settled_timely + self.not_timely + self.adjusted_not_timely

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.population + other.population,
            self.timely + other.timely,
            self.not_timely + other.not_timely,
            self.pending + other.pending,
            self.adjusted_timely + other.adjusted_timely,
            self.adjusted_not_timely + other.adjusted_not_timely,
        )


ZERO = Tally(0, 0, 0, 0)
_RATE = Decimal("0.0001")
_SCORE = Decimal("0.01")


def rate(tally: Tally) -> Decimal | None:
    """The share of settled orders that were timely, to four places; None with nothing settled."""
    if tally.settled <= 0:
        return None
    return (Decimal(tally.settled_timely) / Decimal(tally.settled)).quantize(_RATE, ROUND_HALF_UP)


def score(rules: KpiRules, rates: Mapping[str, Decimal | None]) -> Decimal | None:
    """scale × Σ weight × rate, to two places; None when a weighted KPI has no settled order
    (nothing to assess is not a score of 0)."""
    total = Decimal(0)
    for code, weight in rules.weights.items():
        value = rates.get(code)
        if value is None:
            return None
        total += weight * value
    return (total * rules.scale).quantize(_SCORE, ROUND_HALF_UP)


_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


class PeriodError(ValueError):
    """Not a month written YYYY-MM, or not a quarter written YYYY-Qn."""


@dataclass(frozen=True, order=True)
class Month:
    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        found = _PERIOD.match(text)
        if found is None:
            raise PeriodError(f"{text!r} is not a month written YYYY-MM")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, instant: datetime, timezone: str) -> Month:
        local = instant.astimezone(ZoneInfo(timezone))
        return cls(local.year, local.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def start(self, timezone: str) -> datetime:
        """The first instant of the month in `timezone`, in UTC."""
        local = datetime(self.year, self.month, 1, tzinfo=ZoneInfo(timezone))
        return local.astimezone(UTC)

    def end(self, timezone: str) -> datetime:
        return self.next().start(timezone)

    def run_at(self, rules: KpiRules, timezone: str) -> datetime:
        """When the scheduler reconciles this month: the profile's day and hour of the next one."""
        return Schedule(rules.run_day, rules.run_hour).after(self, timezone)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        found = _QUARTER.match(text)
        if found is None:
            raise PeriodError(f"{text!r} is not a quarter written YYYY-Qn")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, instant: datetime, timezone: str) -> Quarter:
        month = Month.of(instant, timezone)
        return cls(month.year, (month.month - 1) // 3 + 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)

    def end(self, timezone: str) -> datetime:
        return self.months[2].end(timezone)

    def run_at(self, schedule: Schedule, timezone: str) -> datetime:
        """When the scheduler assesses this quarter: the schedule's day and hour of the month
        after it."""
        return schedule.after(self.months[2], timezone)

    @property
    def months(self) -> tuple[Month, Month, Month]:
        first = 3 * self.number - 2
        return Month(self.year, first), Month(self.year, first + 1), Month(self.year, first + 2)


@dataclass(frozen=True)
class Assessed:
    dealer: int
    group: int  # the ranking group (the dealer's region)
    score: Decimal | None
    deliveries: int


@dataclass(frozen=True)
class Ranked:
    dealer: int
    group: int
    rank: int
    score: Decimal | None
    deliveries: int
    reward: int
    penalty: int


def rank(assessed: Sequence[Assessed], incentive: Incentive) -> list[Ranked]:
    """Dealers ranked within their group by score, ties broken by higher deliveries (then by id,
    only so the order is stable: equal score and deliveries share the rank). The top `top` ranks
    are rewarded and a score under the threshold fined; a dealer with no score is neither."""
    out: list[Ranked] = []
    groups = sorted({a.group for a in assessed})
    for group in groups:
        members = [a for a in assessed if a.group == group]
        members.sort(key=lambda a: (a.score is None, -(a.score or 0), -a.deliveries, a.dealer))
        previous: tuple[Decimal | None, int] | None = None
        place = 0
        for position, a in enumerate(members, start=1):
            if (a.score, a.deliveries) != previous:
                place, previous = position, (a.score, a.deliveries)
            rewarded = a.score is not None and place <= incentive.top
            fined = a.score is not None and a.score < incentive.penalty_below
            out.append(
                Ranked(
                    a.dealer,
                    group,
                    place,
                    a.score,
                    a.deliveries,
                    reward=incentive.reward if rewarded else 0,
                    penalty=incentive.penalty if fined else 0,
                )
            )
    return out
