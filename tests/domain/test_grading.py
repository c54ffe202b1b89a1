"""Grade proposals and immediate alerts at intake (docs/rules.md#intake-grading and #alerts),
on hand-built rules.

The rules mirror a few cells of the GTMC grading table, so the expectations can be read off the
table: the highest class any matching rule proposes wins; nothing matching keeps the default.
"""

from __future__ import annotations

from server.domain.grading import AlertRule, GradingRule, Proposal, matching_alerts, propose_grade
from server.domain.workflow import Label

RANKS = {"general": 1, "important_preliminary": 2, "important": 3}

CUSTOMER = Label("顾客:重要预备", "Customer row: important-preliminary")
CONTENT_GENERAL = Label("投诉内容:一般", "Content row: general")
THIRD_PARTY_PRELIMINARY = Label("第三方:重要预备", "Third-party row: important-preliminary")
THIRD_PARTY_IMPORTANT = Label("第三方:重要", "Third-party row: important")
REPORT_AT_ONCE = Label("退换车或巨额赔偿", "Refund, exchange or large compensation")

RULES = (
    GradingRule(
        "important_preliminary",
        frozenset({"media_exposure", "lawsuit_threat"}),
        frozenset({"replacement", "refund"}),
        CUSTOMER,
    ),
    GradingRule("general", frozenset({"general_quality"}), frozenset(), CONTENT_GENERAL),
    GradingRule(
        "important_preliminary",
        frozenset({"local_government", "local_media", "internet"}),
        frozenset(),
        THIRD_PARTY_PRELIMINARY,
    ),
    GradingRule("important", frozenset({"cctv", "police"}), frozenset(), THIRD_PARTY_IMPORTANT),
)
ALERTS = (
    AlertRule(
        frozenset(),
        frozenset({"refund", "replacement", "large_compensation"}),
        ("managers", "region_managers"),
        REPORT_AT_ONCE,
    ),
)


def test_a_replacement_demand_with_local_media_is_important_preliminary() -> None:
    proposal = propose_grade(RULES, RANKS, "general", {"local_media"}, {"replacement"})
    # Both matching rules propose the same class, so both reasons are given, in rule order.
    assert proposal == Proposal("important_preliminary", (CUSTOMER, THIRD_PARTY_PRELIMINARY))


def test_cctv_makes_it_important() -> None:
    assert propose_grade(RULES, RANKS, "general", ["cctv"], []) == Proposal(
        "important", (THIRD_PARTY_IMPORTANT,)
    )


def test_nothing_matching_keeps_the_default() -> None:
    assert propose_grade(
        RULES, RANKS, "general", ["customer_agitated"], ["written_reply"]
    ) == Proposal("general", ())
    assert propose_grade(RULES, RANKS, "general", [], []) == Proposal("general", ())
    assert propose_grade((), RANKS, "important_preliminary", ["cctv"], []) == Proposal(
        "important_preliminary", ()
    )


def test_the_highest_class_wins_whatever_the_rule_order() -> None:
    flags, demands = {"general_quality", "internet", "police"}, {"refund"}
    assert propose_grade(RULES, RANKS, "general", flags, demands) == Proposal(
        "important", (THIRD_PARTY_IMPORTANT,)
    )
    assert propose_grade(RULES[::-1], RANKS, "general", flags, demands) == Proposal(
        "important", (THIRD_PARTY_IMPORTANT,)
    )


def test_a_general_row_match_gives_its_reason() -> None:
    assert propose_grade(RULES, RANKS, "general", ["general_quality"], []) == Proposal(
        "general", (CONTENT_GENERAL,)
    )


def test_a_rule_never_lowers_the_category_default() -> None:
    assert propose_grade(RULES, RANKS, "important", ["local_media"], []) == Proposal(
        "important", ()
    )


def test_an_ungraded_default_takes_what_the_rules_propose() -> None:
    assert propose_grade(RULES, RANKS, None, [], []) == Proposal(None, ())
    assert propose_grade(RULES, RANKS, None, ["internet"], []) == Proposal(
        "important_preliminary", (THIRD_PARTY_PRELIMINARY,)
    )


def test_a_flag_does_not_match_a_demand_of_the_same_code() -> None:
    # Flags and demands are separate lists: "refund" ticked as a flag is not the refund demand.
    assert propose_grade(RULES, RANKS, "general", ["refund"], []) == Proposal("general", ())
    assert matching_alerts(ALERTS, ["refund"], []) == ()


def test_refund_replacement_and_large_compensation_alert_at_once() -> None:
    for demand in ("refund", "replacement", "large_compensation"):
        assert matching_alerts(ALERTS, [], [demand]) == ALERTS
    assert ALERTS[0].notify == ("managers", "region_managers")


def test_no_alert_without_its_demands() -> None:
    assert matching_alerts(ALERTS, ["cctv", "injury"], ["written_reply"]) == ()
    assert matching_alerts((), [], ["refund"]) == ()


def test_alerts_come_in_profile_order() -> None:
    media = AlertRule(
        frozenset({"local_media"}), frozenset(), ("managers",), Label("媒体", "Media")
    )
    assert matching_alerts((media, *ALERTS), ["local_media"], ["refund"]) == (media, *ALERTS)
