"""kpis.yaml: the shipped profiles' KPI definitions, and what a wrong one reports."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from server.domain.kpi import Measure, Schedule
from server.profiles import (
    ProfileInvalidError,
    bundled_profile_path,
    load_profile_dir,
    parse_profile,
    read_profile_dir,
)


def test_skoda_assesses_three_rates_with_the_part_one_score_and_incentives():
    rules = load_profile_dir(bundled_profile_path("skoda")).kpi_rules
    assert rules is not None
    assert rules.natures == {"complaint"}
    assert [(k.code, k.measure, k.clock) for k in rules.kpis] == [
        ("timely_response", Measure.CLOCK, "response"),
        ("timely_closure", Measure.CLOCK, "closure"),
        ("first_time_resolution", Measure.FIRST_TIME_RESOLUTION, None),
        ("revisit_success", Measure.REVISIT_SUCCESS, None),
        ("satisfaction", Measure.SATISFACTION, None),
    ]
    # The revisit KPIs are shown, not scored.
    assert rules.kpis[4].satisfied == {"satisfied", "basically_satisfied"}
    assert dict(rules.weights) == {
        "timely_response": Decimal("0.3"),
        "timely_closure": Decimal("0.3"),
        "first_time_resolution": Decimal("0.4"),
    }
    assert (rules.scale, rules.score_is_assumption) == (100, True)
    assert rules.incentive is not None
    incentive = rules.incentive
    assert (incentive.top, incentive.reward, incentive.penalty_below, incentive.penalty) == (
        5,
        10000,
        Decimal(40),
        10000,
    )
    assert rules.assessment == Schedule(day=11, hour=3)


def test_gtmc_has_kpis_and_no_incentives():
    rules = load_profile_dir(bundled_profile_path("gtmc")).kpi_rules
    assert rules is not None and rules.incentive is None and rules.assessment is None
    assert [k.code for k in rules.kpis] == ["timely_response", "first_time_resolution"]


@pytest.mark.parametrize(
    ("name", "clocks", "appeal_days"),
    [
        # source 002 §C: the four time rules of the feedback form, statements with the summary
        ("generic-4s", ["reported", "determining", "reviewing", "accountability", None], 2),
        # source 001: contact within 2 business hours, reply within a day; revisits shown
        ("jac", ["response", "closure", None, None, None], 10),
        # source 000: only the 30-minute rapid response has a target
        ("vw", ["response", None], 3),
    ],
)
def test_the_other_profiles_assess_their_own_time_rules(name, clocks, appeal_days):
    rules = load_profile_dir(bundled_profile_path(name)).kpi_rules
    assert rules is not None and rules.incentive is None and rules.score_is_assumption
    assert [k.clock for k in rules.kpis] == clocks
    assert rules.natures == {"complaint"} and rules.appeal_days == appeal_days
    assert sum(rules.weights.values()) == 1


def test_a_profile_without_kpis_has_no_reconciliation():
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    del documents["kpis.yaml"]
    assert parse_profile(documents).kpi_rules is None


def _problems(change: dict[str, Any]) -> list[str]:
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    documents["kpis.yaml"].update(change)
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    return sorted(f"{p.document}: {p.path}: {p.code}" for p in refused.value.problems)


def test_weights_must_name_kpis_and_add_up_to_one():
    weights = {"timely_response": 0.5, "timely_closure": 0.3, "speed": 0.4}
    assert _problems({"score": {"weights": weights}}) == [
        "kpis.yaml: score.weights.speed: unknown_reference",
        "kpis.yaml: score.weights: invalid_value",
    ]


def test_a_clock_kpi_names_a_clock_the_workflow_has():
    kpis = [
        {"code": "a", "label": {"zh": "甲", "en": "a"}, "measure": "clock", "clock": "nap"},
        {"code": "b", "label": {"zh": "乙", "en": "b"}, "measure": "clock"},
    ]
    weights = {"a": 0.5, "b": 0.5}
    assert _problems({"kpis": kpis, "score": {"weights": weights}}) == [
        "kpis.yaml: kpis[0].clock: unknown_reference",
        "kpis.yaml: kpis[1].clock: missing_key",
    ]


def test_kpis_without_a_score_or_reconciliation_are_refused():
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))
    del documents["kpis.yaml"]["score"], documents["kpis.yaml"]["reconciliation"]
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    assert sorted(p.path for p in refused.value.problems) == ["reconciliation", "score"]


def test_an_assessment_schedule_needs_an_incentive_and_a_day_of_a_month():
    documents = copy.deepcopy(read_profile_dir(bundled_profile_path("gtmc")))
    documents["kpis.yaml"]["assessment"] = {"day": 11, "hour": 3}
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    assert [(p.path, p.code) for p in refused.value.problems] == [("incentive", "missing_key")]
    assert _problems({"assessment": {"day": 31, "hour": 3}}) == [
        "kpis.yaml: assessment.day: invalid_value"
    ]


def test_a_satisfaction_kpi_names_known_revisit_results():
    kpis = copy.deepcopy(read_profile_dir(bundled_profile_path("skoda")))["kpis.yaml"]["kpis"]
    kpis[3:] = [
        {"code": "s", "label": {"zh": "满意", "en": "s"}, "measure": "satisfaction"},
        {
            "code": "t",
            "label": {"zh": "满意", "en": "t"},
            "measure": "satisfaction",
            "satisfied": ["satisfied", "delighted"],
        },
    ]
    assert _problems({"kpis": kpis}) == [
        "kpis.yaml: kpis[3].satisfied: missing_key",
        "kpis.yaml: kpis[4].satisfied[1]: unknown_reference",
    ]
