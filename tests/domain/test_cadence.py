"""When a cadence report is due and what it covers (server/domain/cadence.py), to the hour in the
tenant's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from server.domain.cadence import CadenceRule, Every, PeriodError, latest_due, period_of
from server.domain.workflow import Label

ZONE = "Asia/Shanghai"
WEEKLY = CadenceRule("weekly_summary", Label("周汇总", "Weekly"), Every.WEEK, 2, 9, ("gm",))
MONTHLY = CadenceRule("monthly_summary", Label("月汇总", "Monthly"), Every.MONTH, 2, 9, ("gm",))


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(f"{text}+08:00").astimezone(UTC)


@pytest.mark.parametrize(
    ("at", "key", "first", "last"),
    [
        ("2026-12-08 09:00", "2026-W49", date(2026, 11, 30), date(2026, 12, 6)),  # Tuesday 09:00
        ("2026-12-08 08:59", "2026-W48", date(2026, 11, 23), date(2026, 11, 29)),  # a minute early
        ("2026-12-13 23:00", "2026-W49", date(2026, 11, 30), date(2026, 12, 6)),  # Sunday after
    ],
)
def test_the_weekly_summary_on_tuesday_covers_the_week_before(at, key, first, last):
    period = latest_due(WEEKLY, shanghai(at), ZONE)
    assert (period.key, period.first, period.last) == (key, first, last)


@pytest.mark.parametrize(
    ("at", "key"),
    [
        ("2026-12-02 09:00", "2026-11"),
        ("2026-12-02 08:00", "2026-10"),
        ("2027-01-01 12:00", "2026-11"),  # the 1st: December's report is not due yet
        ("2027-01-02 10:00", "2026-12"),
    ],
)
def test_the_monthly_summary_on_the_2nd_covers_the_month_before(at, key):
    assert latest_due(MONTHLY, shanghai(at), ZONE).key == key


def test_a_period_key_names_its_days_and_a_wrong_one_is_refused():
    period = period_of(MONTHLY, "2026-02", ZONE)
    assert (period.first, period.last) == (date(2026, 2, 1), date(2026, 2, 28))
    assert period.starts_at(ZONE) == shanghai("2026-02-01 00:00")
    assert period.run_at == shanghai("2026-03-02 09:00")
    with pytest.raises(PeriodError):
        period_of(WEEKLY, "2026-11", ZONE)
