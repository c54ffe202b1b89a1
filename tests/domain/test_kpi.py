"""The KPI arithmetic: rates over settled orders, the score, reconciliation periods, ranking."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from server.domain.kpi import (
    Assessed,
    Incentive,
    KpiRules,
    Month,
    PeriodError,
    Quarter,
    Schedule,
    Tally,
    rank,
    rate,
    score,
)

RULES = KpiRules(
    natures=frozenset({"complaint"}),
    kpis=(),
    weights={"r": Decimal("0.3"), "c": Decimal("0.3"), "f": Decimal("0.4")},
    scale=100,
    score_is_assumption=True,
    run_day=1,
    run_hour=2,
    appeal_days=10,
    incentive=Incentive(5, 10000, Decimal(40), 10000, "CNY"),
)


def test_a_rate_counts_settled_orders_and_adjustments_but_not_pending_ones():
    assert rate(Tally(population=10, timely=6, not_timely=2, pending=2)) == Decimal("0.75")
    with_adjustments = Tally(10, 6, 2, 2, adjusted_timely=1, adjusted_not_timely=1)
    assert rate(with_adjustments) == Decimal("0.7")
    assert rate(Tally(3, 0, 0, 3)) is None
    assert rate(Tally(3, 1, 2, 0)) == Decimal("0.3333")


def test_the_score_weighs_the_rates_and_needs_every_weighted_one():
    rates = {"r": Decimal("0.75"), "c": Decimal("0.5"), "f": Decimal("1")}
    assert score(RULES, rates) == Decimal("77.50")
    assert score(RULES, {**rates, "f": None}) is None


def test_a_month_in_china_starts_at_16_utc_the_day_before():
    month = Month.parse("2026-03")
    assert month.start("Asia/Shanghai") == datetime(2026, 2, 28, 16, tzinfo=UTC)
    assert month.end("Asia/Shanghai") == datetime(2026, 3, 31, 16, tzinfo=UTC)
    assert month.run_at(RULES, "Asia/Shanghai") == datetime(2026, 3, 31, 18, tzinfo=UTC)
    assert str(Month.parse("2026-12").next()) == "2027-01"
    assert str(Month.parse("2027-01").previous()) == "2026-12"
    assert Month.of(datetime(2026, 2, 28, 16, tzinfo=UTC), "Asia/Shanghai") == month


def test_a_quarter_in_china_is_assessed_on_its_schedules_day_after_it():
    quarter = Quarter.parse("2026-Q4")
    assert quarter.end("Asia/Shanghai") == datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert quarter.run_at(Schedule(11, 3), "Asia/Shanghai") == datetime(2027, 1, 10, 19, tzinfo=UTC)
    assert Quarter.of(datetime(2026, 12, 31, 16, tzinfo=UTC), "Asia/Shanghai") == Quarter(2027, 1)
    assert Quarter.of(datetime(2026, 12, 31, 15, 59, tzinfo=UTC), "Asia/Shanghai") == quarter
    assert Quarter(2027, 1).previous() == quarter
    assert Quarter(2026, 3).previous() == Quarter(2026, 2)


@pytest.mark.parametrize("text", ["2026-13", "2026-3", "26-03", "2026-00", ""])
def test_a_month_is_written_yyyy_mm(text):
    with pytest.raises(PeriodError):
        Month.parse(text)


def test_a_quarter_has_its_three_months():
    assert [str(m) for m in Quarter.parse("2026-Q2").months] == ["2026-04", "2026-05", "2026-06"]
    with pytest.raises(PeriodError):
        Quarter.parse("2026-Q5")


def test_ranking_breaks_ties_by_deliveries_rewards_the_top_and_fines_under_the_threshold():
    scores = [90, 85, 85, 70, 60, 55, 39.99, None]
    assessed = [
        Assessed(dealer=i, group=1, score=None if s is None else Decimal(str(s)), deliveries=d)
        for i, (s, d) in enumerate(zip(scores, [10, 20, 30, 5, 5, 5, 5, 5], strict=True), start=1)
    ] + [Assessed(dealer=9, group=2, score=Decimal(100), deliveries=0)]
    ranked = {r.dealer: r for r in rank(assessed, RULES.incentive)}
    assert [ranked[i].rank for i in range(1, 10)] == [1, 3, 2, 4, 5, 6, 7, 8, 1]
    assert [d for d in range(1, 10) if ranked[d].reward] == [1, 2, 3, 4, 5, 9]
    assert [d for d in range(1, 10) if ranked[d].penalty] == [7]


def test_equal_score_and_deliveries_share_a_rank():
    same = [Assessed(d, 1, Decimal(50), 3) for d in (1, 2)] + [Assessed(3, 1, Decimal(10), 3)]
    assert [r.rank for r in rank(same, RULES.incentive)] == [1, 1, 3]
