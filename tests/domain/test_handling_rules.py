"""server/domain/handling.py: the tier an order starts at by its grade, and reminder rounds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from server.domain.handling import HandlingRules, reminder_round, start_tier

TIERS = ["DLR", "CR", "MAKER"]
RULES = HandlingRules(
    start_tier=MappingProxyType({"important": "CR"}),
    departments=MappingProxyType({}),
    transfers=MappingProxyType({}),
    separated_from=MappingProxyType({}),
)


def test_an_important_order_below_its_start_tier_goes_up_to_it():
    assert start_tier(RULES, TIERS, "important", "DLR") == "CR"


def test_an_order_at_or_above_its_start_tier_stays():
    assert start_tier(RULES, TIERS, "important", "CR") is None
    assert start_tier(RULES, TIERS, "important", "MAKER") is None


def test_other_grades_and_ungraded_orders_stay():
    assert start_tier(RULES, TIERS, "general", "DLR") is None
    assert start_tier(RULES, TIERS, None, "DLR") is None


def test_reminder_rounds_count_whole_periods_to_the_minute():
    since = datetime(2025, 3, 4, 2, 0, tzinfo=UTC)
    day = timedelta(days=1)
    assert reminder_round(since, since + day - timedelta(minutes=1), day) == 0
    assert reminder_round(since, since + day, day) == 1
    assert reminder_round(since, since + 7 * day + timedelta(hours=3), 7 * day) == 1
    assert reminder_round(since, since - day, day) == 0
