"""handling.yaml and tracking.yaml (docs/rules.md#handling, #tracking): what they build, and every
dangling reference reported at once, each with its document and path, nothing imported."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from server.domain.handling import MonthDay
from server.profiles import ProfileInvalidError, bundled_profile_path, parse_profile
from server.profiles.files import read_profile_dir

GTMC = read_profile_dir(bundled_profile_path("gtmc"))


def documents(**replaced: Any) -> dict[str, Any]:
    docs = copy.deepcopy(GTMC)
    docs.update({f"{stem}.yaml": value for stem, value in replaced.items()})
    return docs


def errors_of(docs: dict[str, Any]) -> list[str]:
    with pytest.raises(ProfileInvalidError) as caught:
        parse_profile(docs)
    return caught.value.errors


def test_the_gtmc_documents_build_their_rules():
    profile = parse_profile(GTMC)
    assert dict(profile.handling.start_tier) == {"important": "GTMC_CR"}
    forward = profile.handling.transfers["forward"]
    assert {a.code: (a.department, a.role) for a in forward.values()} == {
        "sales_manager": ("sales", "manager"),
        "aftersales_manager": ("aftersales", "manager"),
    }
    assert profile.handling.separated_from["confirm"] == frozenset({"resolve"})
    assert profile.tracking.duties["response"] == ("cr_manager",)
    cadence = {r.code: (sorted(r.grades), r.every, r.role) for r in profile.tracking.reminders}
    assert cadence == {
        "important": (["important", "important_preliminary"], timedelta(days=1), "cr_manager"),
        "general": (["general"], timedelta(days=7), "cr_manager"),
    }


def test_the_4s_ledger_reminds_monthly_of_the_pending_matters():
    profile = parse_profile(read_profile_dir(bundled_profile_path("generic-4s")))
    (ledger,) = profile.tracking.reminders
    assert (ledger.every, ledger.monthly, ledger.states, ledger.role) == (
        None,
        MonthDay(day=4, hour=9),
        frozenset({"pending"}),
        "care_specialist",
    )


def test_without_the_documents_a_profile_has_no_such_rules():
    docs = documents()
    del docs["handling.yaml"], docs["tracking.yaml"]
    profile = parse_profile(docs)
    assert (dict(profile.handling.transfers), profile.tracking.reminders) == ({}, ())


def test_dangling_references_are_all_reported_at_once():
    handling = {
        "start_tier_by_grade": [{"grade": "urgent", "tier": "HQ"}],
        "departments": [{"code": "After_Sales", "label": {"zh": "售后", "en": "After-sales"}}],
        "transfers": [
            {
                "transition": "forwrd",
                "authorities": [
                    {
                        "code": "boss",
                        "label": {"zh": "老板", "en": "Boss"},
                        "department": "service",
                        "role": "king",
                    }
                ],
            }
        ],
        "separation_of_duties": [{"transition": "confirm", "not_by_actor_of": ["resolv"]}],
    }
    tracking = {
        "duties": [{"clock": "contact", "roles": ["cr_boss"]}],
        "reminders": [
            {
                "code": "weekly",
                "label": {"zh": "每周", "en": "Weekly"},
                "grades": ["normal"],
                "every": {"amount": 7, "unit": "natural_days"},
                "role": "nobody",
            },
            {
                "code": "ledger",
                "label": {"zh": "台帐", "en": "Ledger"},
                "grades": ["general"],
                "states": ["on_hold"],
                "every": {"amount": 7, "unit": "natural_days"},
                "monthly": {"day": 4, "hour": 9},
                "role": "cr_manager",
            },
            {
                "code": "never",
                "label": {"zh": "从不", "en": "Never"},
                "grades": ["general"],
                "role": "cr_manager",
            },
        ],
    }
    errors = errors_of(documents(handling=handling, tracking=tracking))
    assert sorted(e.split(": ")[0:2] for e in errors) == [
        ["handling.yaml", "departments[0].code"],
        ["handling.yaml", "separation_of_duties[0].not_by_actor_of[0]"],
        ["handling.yaml", "start_tier_by_grade[0].grade"],
        ["handling.yaml", "start_tier_by_grade[0].tier"],
        ["handling.yaml", "transfers[0].authorities[0].department"],
        ["handling.yaml", "transfers[0].authorities[0].role"],
        ["handling.yaml", "transfers[0].transition"],
        ["tracking.yaml", "duties[0].clock"],
        ["tracking.yaml", "duties[0].roles[0]"],
        ["tracking.yaml", "reminders[0].grades[0]"],
        ["tracking.yaml", "reminders[0].role"],
        ["tracking.yaml", "reminders[1]"],
        ["tracking.yaml", "reminders[1].states[0]"],
        ["tracking.yaml", "reminders[2]"],
    ]
    assert any("either every interval or monthly" in e for e in errors)
    assert any("unknown tier 'HQ' (tiers: DLR, GTMC_CR, TMCI)" in e for e in errors)


def test_a_start_tier_outside_a_categorys_routing_is_refused():
    categories = copy.deepcopy(GTMC["categories.yaml"])
    categories["categories"][0]["routing"] = ["DLR"]
    errors = errors_of(documents(categories=categories))
    assert errors == [
        "handling.yaml: start_tier_by_grade[0].tier: tier 'GTMC_CR' is not in the routing of "
        "categories sales"
    ]


def test_shapes_are_checked_too():
    tracking = {
        "reminders": [
            {
                "code": "weekly",
                "label": {"zh": "每周", "en": "Weekly"},
                "grades": [],
                "every": {"amount": 0, "unit": "working_days"},
                "role": "cr_manager",
            }
        ]
    }
    handling = {"transfers": [{"transition": "forward", "authorities": []}], "colour": "red"}
    errors = errors_of(documents(handling=handling, tracking=tracking))
    paths = [e.split(": ")[1] for e in errors]
    assert "colour" in paths and "transfers[0].authorities" in paths
    assert {"reminders[0].grades", "reminders[0].every.amount", "reminders[0].every.unit"} <= set(
        paths
    )
