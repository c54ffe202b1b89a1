"""Tenant profiles: the shipped Skoda profile, validation that reports every error, export
round-trip."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from server.domain.grading import ALERT_RECIPIENTS
from server.domain.workflow import Meaning
from server.profiles import (
    DOCUMENTS,
    Action,
    ClockRule,
    Profile,
    ProfileInvalidError,
    base_catalogue,
    bundled_profile_path,
    export_profile,
    load_profile_dir,
    parse_profile,
    read_profile_dir,
)

SKODA = bundled_profile_path("skoda")
CJK = re.compile(r"[\u4e00-\u9fff]")
STATES = "unprocessed, in_progress, handled, closed, pending, cancelled"
# The tenant permissions of policies/policy.csv as the messages list them, sorted. Read, not copied:
# the base policy grows as features land. test_the_permission_catalogue_leaves_out_the_platform
# pins what matters (platform.tenants is the platform admin's only).
PERMISSIONS = ", ".join(sorted(base_catalogue().permissions))


@pytest.fixture(scope="module")
def skoda() -> Profile:
    return load_profile_dir(SKODA)


@pytest.fixture
def documents() -> dict[str, Any]:
    """A fresh copy of the Skoda documents for a test to break."""
    return copy.deepcopy(read_profile_dir(SKODA))


def errors_of(documents: dict[str, Any]) -> list[str]:
    with pytest.raises(ProfileInvalidError) as caught:
        parse_profile(documents)
    assert str(caught.value) == "\n".join(caught.value.errors)
    return caught.value.errors


# ---------------------------------------------------------------- the shipped Skoda profile


def test_skoda_profile_loads_with_its_settings(skoda: Profile) -> None:
    assert (skoda.name, skoda.version, skoda.number_prefix, skoda.language) == (
        "skoda",
        "2026.1",
        "SKD",
        "zh-CN",
    )
    assert (skoda.timezone, skoda.working_hours) == ("Asia/Shanghai", ("09:00-18:00",))
    assert set(skoda.documents) >= {*DOCUMENTS, "policy.yaml", "calendar.yaml", "warnings.yaml"}
    assert (skoda.policy_add, skoda.policy_remove) == ((), ())
    assert len({skoda, load_profile_dir(SKODA)}) == 1  # hashable, e.g. as a cache key


# docs/rules.md#tier-routing, with "RBO銷售SE" read as RBO | SALES_SE.
ROUTING_TABLE = {
    "A4a": ("A", ("DLR", "RBO", "SALES_SE")),
    "A4b": ("A", ("RBO", "SALES_SE")),
    "A4c": ("A", ("RBO", "SALES_SE")),
    "A4d": ("A", ("DLR", "RBO")),
    "A4e": ("A", ("DLR", "RBO")),
    "A4f": ("A", ("DLR", "RBO")),
    "A4g": ("A", ("DLR", "RBO")),
    "A4y": ("A", ("SALES_SE", "SALES_SE")),
    "A4z": ("A", ("RBO", "SALES_SE")),
    "B4": ("B", ("MEDIA_SE",)),
    "C4": ("C", ()),
}


@pytest.mark.parametrize("code", ROUTING_TABLE)
def test_skoda_routing_matches_the_assignment_table(skoda: Profile, code: str) -> None:
    category = skoda.categories[code]
    assert (category.grade, category.routing) == ROUTING_TABLE[code]
    assert skoda.order_types[category.order_type].nature == "complaint"
    assert skoda.order_types[category.order_type].kind == "sales"


def test_skoda_has_exactly_the_table_plus_a_consultation(skoda: Profile) -> None:
    consultations = {
        c
        for c, cat in skoda.categories.items()
        if skoda.order_types[cat.order_type].nature == "consultation"
    }
    assert set(skoda.categories) == set(ROUTING_TABLE) | consultations
    assert consultations and all(skoda.categories[c].grade is None for c in consultations)


def test_skoda_tiers_grades_and_channels(skoda: Profile) -> None:
    assert {t.code: t.level for t in skoda.tiers.values()} == {
        "DLR": "dealer",
        "RBO": "region",
        "SALES_SE": "brand",
        "MEDIA_SE": "brand",
    }
    assert [(g.code, g.rank) for g in skoda.grades.values()] == [("A", 1), ("B", 2), ("C", 3)]
    assert len(skoda.channels) == 11
    assert {"hotline_400", "letter", "fax", "email", "dealer_call"} <= set(skoda.channels)


def test_skoda_workflow(skoda: Profile) -> None:
    wf = skoda.workflow
    assert [(s.name, s.label.zh, s.final) for s in wf.states] == [
        ("unprocessed", "未处理", False),
        ("in_progress", "处理中", False),
        ("handled", "处理完成", False),
        ("closed", "封闭", True),
        ("pending", "未了事宜", False),
        ("cancelled", "已取消", True),
    ]
    assert all(s.meaning == Meaning(s.name) for s in wf.states)
    assert wf.initial == "unprocessed"
    assert {
        t.name: (t.sources, t.target, t.permission, t.requires_comment, t.records_resolution)
        for t in wf.transitions
    } == {
        "review": (("unprocessed",), "in_progress", "workorder.review", False, False),
        "resolve": (("in_progress",), "handled", "workorder.close", False, True),
        "confirm": (("handled",), "closed", "workorder.confirm", False, False),
        "reopen": (("handled",), "in_progress", "workorder.reopen", True, False),
        "suspend": (("in_progress",), "pending", "workorder.suspend", True, False),
        "resume": (("pending",), "in_progress", "workorder.suspend", False, False),
        "cancel": (
            ("unprocessed", "in_progress", "pending"),
            "cancelled",
            "workorder.cancel",
            True,
            False,
        ),
    }
    assert wf.resolving_transition("in_progress").name == "resolve"


def test_skoda_clocks(skoda: Profile) -> None:
    nothing = Action()

    def closure(grade: str, target: int | None, on_breach: Action = nothing) -> ClockRule:
        return ClockRule(
            "closure",
            target,
            "working_days",
            (grade,),
            (),
            (),
            "registered",
            "resolve",
            "suspend",
            "resume",
            nothing,
            on_breach,
        )

    assert skoda.clocks == (
        ClockRule(
            "response",
            120,
            "business_minutes",
            ("A", "B", "C"),
            (),
            (),
            "registered",
            "first_contact",
            None,
            None,
        ),
        closure("A", 3),
        closure("B", 7, Action(regrade="C", move_to_tier="SALES_SE")),
        closure("C", None),
    )
    assert (skoda.warn_before_percent, skoda.repeat_days, skoda.first_time_resolution_days) == (
        20,
        7,
        7,
    )


def test_every_label_has_chinese_and_english(skoda: Profile) -> None:
    labels = [
        *(s.label for s in skoda.workflow.states),
        *(t.label for t in skoda.workflow.transitions),
        *(g.label for g in skoda.grades.values()),
        *(c.label for c in skoda.categories.values()),
        *(c.label for c in skoda.channels.values()),
        *(t.label for t in skoda.tiers.values()),
        *(t.label for t in skoda.order_types.values()),
        *skoda.flags.values(),
        *skoda.demands.values(),
        skoda.title,
    ]
    assert all(CJK.search(label.zh) and label.en.isascii() and label.en for label in labels)


def test_intake_flags_cover_the_upgrade_warning_conditions(skoda: Profile) -> None:
    assert {"customer_agitated", "claims_media", "nobody_contacted", "hq_special_case"} <= set(
        skoda.flags
    )
    assert {"refund", "replacement", "compensation", "written_reply", "immediate_reply"} <= set(
        skoda.demands
    )


# ---------------------------------------------------------------- validation


def test_errors_in_several_documents_are_all_reported(documents: dict[str, Any]) -> None:
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    documents["workflow.yaml"]["transitions"][1]["permission"] = "workorder.finish"
    documents["profile.yaml"]["timezone"] = "Asia/Shangai"
    documents["categories.yaml"]["categories"][0]["routing"][1] = "RBOO"
    documents["deadlines.yaml"]["clocks"][1]["stops_on"] = "resolved"
    errors = errors_of(documents)
    assert errors == [
        "profile.yaml: timezone: unknown timezone 'Asia/Shangai' (did you mean 'Asia/Shanghai'?)",
        "categories.yaml: categories[0].routing[1]: unknown tier 'RBOO' "
        "(tiers: DLR, RBO, SALES_SE, MEDIA_SE)",
        "workflow.yaml: transitions[1].permission: unknown permission 'workorder.finish' "
        f"(permissions: {PERMISSIONS})",
        f"workflow.yaml: transitions[3].to: unknown state 'closd' (states: {STATES})",
        "deadlines.yaml: clocks[1].stops_on: unknown event 'resolved' "
        "(events and transitions: registered, first_contact, review, resolve, confirm, "
        "reopen, suspend, resume, cancel)",
    ]


def test_a_shape_error_does_not_hide_reference_errors_in_the_same_document(
    documents: dict[str, Any],
) -> None:
    documents["workflow.yaml"]["transitions"][0]["colour"] = "red"
    documents["workflow.yaml"]["transitions"][3]["to"] = "closd"
    errors = errors_of(documents)
    assert errors[0] == (
        "workflow.yaml: transitions[0].colour: unknown key "
        "(allowed: name, from, to, permission, label, requires_comment, records_resolution)"
    )
    assert errors[1].startswith("workflow.yaml: transitions[3].to: unknown state 'closd'")


def test_a_missing_document_is_reported(documents: dict[str, Any]) -> None:
    del documents["channels.yaml"]
    assert errors_of(documents) == ["channels.yaml: missing document"]


def test_policy_document_is_optional(documents: dict[str, Any]) -> None:
    del documents["policy.yaml"]
    assert parse_profile(documents).policy_add == ()


@pytest.mark.parametrize(
    ("document", "edit", "expected"),
    [
        (
            "channels.yaml",
            lambda d: d["channels"][2].update(colour="red"),
            "channels.yaml: channels[2].colour: unknown key (allowed: code, label)",
        ),
        (
            "grades.yaml",
            lambda d: d["grades"][0]["label"].update(de="A"),
            "grades.yaml: grades[0].label.de: unknown key (allowed: zh, en)",
        ),
        (
            "profile.yaml",
            lambda d: d.update(lang="en"),
            "profile.yaml: lang: unknown key (allowed: name, version, title, "
            "number_prefix, timezone, working_hours, "
            "backdate_limit_hours, language)",
        ),
    ],
)
def test_unknown_keys_are_refused(
    documents: dict[str, Any], document: str, edit: Any, expected: str
) -> None:
    edit(documents[document])
    assert errors_of(documents) == [expected]


def test_unknown_document_and_empty_document(documents: dict[str, Any]) -> None:
    documents["kpi.yaml"] = {}
    documents["flags.yaml"] = None
    errors = errors_of(documents)
    assert errors[0] == "flags.yaml: expected a mapping of keys (the document is empty)"
    assert errors[1].startswith(
        "kpi.yaml: unknown document (documents: profile.yaml, channels.yaml, "
    )


def test_profile_settings_are_checked(documents: dict[str, Any]) -> None:
    documents["profile.yaml"].update(
        version=2026.1, number_prefix="skd1", working_hours=["9-18"], backdate_limit_hours=-1
    )
    assert errors_of(documents) == [  # within a document, errors come in path order
        "profile.yaml: backdate_limit_hours: Input should be greater than or equal to 0",
        "profile.yaml: number_prefix: number prefix 'skd1' must be 2 to 6 uppercase letters A-Z, "
        "e.g. 'SKD'",
        "profile.yaml: version: Input should be a valid string (got 2026.1)",
        "profile.yaml: working_hours[0]: '9-18' is not a working period: "
        "write 'HH:MM-HH:MM', start before end, e.g. '09:00-18:00'",
    ]


def test_category_references_and_duplicates(documents: dict[str, Any]) -> None:
    categories = documents["categories.yaml"]["categories"]
    categories[1]["code"] = "A4a"
    categories[2].update(grade="D", order_type="sales_complain")
    categories[10]["grade"] = None  # C4 is a complaint category: it needs a grade
    assert errors_of(documents) == [
        "categories.yaml: categories[1].code: duplicate code 'A4a' (first at categories[0])",
        "categories.yaml: categories[2].grade: unknown grade 'D' (grades: A, B, C)",
        "categories.yaml: categories[2].order_type: unknown order type 'sales_complain' "
        "(order types: sales_complaint, sales_consultation)",
        "categories.yaml: categories[10].grade: a complaint category needs a default grade "
        "(grades: A, B, C)",
    ]


def test_workflow_structure_is_checked(documents: dict[str, Any]) -> None:
    workflow = documents["workflow.yaml"]
    workflow["initial"] = "new"
    workflow["transitions"][2]["from"] = ["closed"]  # confirm from a final state
    workflow["transitions"][1]["records_resolution"] = False
    assert errors_of(documents) == [
        f"workflow.yaml: initial: unknown state 'new' (states: {STATES})",
        "workflow.yaml: transitions: no transition records a resolution "
        "(set records_resolution: true on one)",
        "workflow.yaml: transitions[2].from[0]: state 'closed' is final: "
        "no transition may leave it",
    ]


def test_overlapping_closure_rules_are_refused(documents: dict[str, Any]) -> None:
    documents["deadlines.yaml"]["clocks"][2]["applies_to"]["grades"] = ["A", "B"]
    assert errors_of(documents) == [
        "deadlines.yaml: clocks[2].applies_to: overlaps clocks[1]: "
        "both 'closure' rules apply to grades A"
    ]


def test_clock_rules_are_checked(documents: dict[str, Any]) -> None:
    rule = documents["deadlines.yaml"]["clocks"][1]
    rule.update(clock="closur", resumes_on=None, target=0)
    rule["applies_to"]["channels"] = ["pigeon"]
    errors = errors_of(documents)
    assert errors[0] == (
        "deadlines.yaml: clocks[1]: pauses_on and resumes_on go together: "
        "a paused clock must be able to resume"
    )
    assert errors[1].startswith(
        "deadlines.yaml: clocks[1].applies_to.channels[0]: "
        "unknown channel 'pigeon' (channels: hotline_400, "
    )
    assert errors[2] == (
        "deadlines.yaml: clocks[1].clock: unknown clock 'closur' "
        f"(response, closure or a workflow state: response, closure, {STATES})"
    )
    assert (
        errors[3] == "deadlines.yaml: clocks[1].target: Input should be greater than or equal to 1"
    )


def test_policy_with_an_unknown_role_is_refused(documents: dict[str, Any]) -> None:
    documents["policy.yaml"] = {
        "add": [{"role": "boss", "permission": "workorder.read"}],
        "remove": [],
    }
    assert errors_of(documents) == [
        "policy.yaml: add[0].role: unknown role 'boss' (roles: advisor, care_specialist, "
        "cr_manager, gm, manager, operator, rbo, se, tenant_admin)"
    ]


def test_policy_may_not_use_platform_permissions_or_remove_what_is_not_granted(
    documents: dict[str, Any],
) -> None:
    documents["policy.yaml"] = {
        "add": [{"role": "tenant_admin", "permission": "platform.tenants"}],
        "remove": [{"role": "operator", "permission": "workorder.close"}],
    }
    errors = errors_of(documents)
    assert errors == [
        "policy.yaml: add[0].permission: unknown permission 'platform.tenants' (permissions: "
        f"{PERMISSIONS})",
        "policy.yaml: remove[0]: the base policy does not grant 'workorder.close' to 'operator': "
        "nothing to remove",
    ]


def test_a_valid_policy_change_is_kept(documents: dict[str, Any]) -> None:
    documents["policy.yaml"] = {
        "add": [{"role": "operator", "permission": "workorder.contact"}],
        "remove": [{"role": "manager", "permission": "workorder.backdate"}],
    }
    profile = parse_profile(documents)
    assert profile.policy_add == (("operator", "workorder.contact"),)
    assert profile.policy_remove == (("manager", "workorder.backdate"),)


# ---------------------------------------------------------------- files and export


def copy_profile(tmp_path: Path) -> Path:
    target = tmp_path / "skoda"
    target.mkdir()
    for file in SKODA.glob("*.yaml"):
        (target / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    return target


def test_yaml_errors_are_reported_with_the_other_errors(tmp_path: Path) -> None:
    folder = copy_profile(tmp_path)
    (folder / "grades.yaml").write_text("grades: [A\n", encoding="utf-8")
    (folder / "channels.yaml").write_text(
        "channels:\n  - code: fax\n    code: fax2\n", encoding="utf-8"
    )
    (folder / "routing.yaml").unlink()
    with pytest.raises(ProfileInvalidError) as caught:
        load_profile_dir(folder)
    assert caught.value.errors == [
        "channels.yaml: line 3, column 5: invalid YAML: duplicate key 'code'",
        "grades.yaml: line 2, column 1: invalid YAML: expected ',' or ']', but got '<stream end>'",
        "routing.yaml: missing document",
    ]


def test_export_round_trip(skoda: Profile, tmp_path: Path) -> None:
    exported = export_profile(skoda)
    assert set(exported) == set(skoda.documents)
    assert parse_profile({name: yaml.safe_load(text) for name, text in exported.items()}) == skoda
    folder = tmp_path / "again"
    folder.mkdir()
    for name, text in exported.items():
        (folder / name).write_text(text, encoding="utf-8")
    assert load_profile_dir(folder) == skoda


def test_stored_documents_are_json_and_unshared(skoda: Profile, documents: dict[str, Any]) -> None:
    assert json.loads(json.dumps(dict(skoda.documents))) == dict(skoda.documents)
    profile = parse_profile(documents)
    documents["profile.yaml"]["name"] = "changed"
    assert profile.documents["profile.yaml"]["name"] == "skoda"


def test_breach_actions_and_tenant_days_are_checked(documents: dict[str, Any]) -> None:
    documents["deadlines.yaml"]["clocks"][2]["on_breach"]["regrade"] = "D"
    documents["calendar.yaml"] = {"holidays": [{"date": "2026-13-01"}], "workdays": []}
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile(documents)
    assert refused.value.errors == [
        "deadlines.yaml: clocks[2].on_breach.regrade: unknown grade 'D' (grades: A, B, C)",
        "calendar.yaml: holidays[0].date: '2026-13-01' is not a date; write YYYY-MM-DD",
    ]


def test_the_permission_catalogue_leaves_out_the_platform() -> None:
    permissions = base_catalogue().permissions
    assert "platform.tenants" not in permissions
    assert {
        "workorder.register",
        "workorder.review",
        "workorder.assign",
        "workorder.close",
        "workorder.confirm",
    } <= permissions


# ---------------------------------------------------------------- the shipped GTMC profile

GTMC = bundled_profile_path("gtmc")


@pytest.fixture(scope="module")
def gtmc() -> Profile:
    return load_profile_dir(GTMC)


@pytest.fixture
def gtmc_documents() -> dict[str, Any]:
    """A fresh copy of the GTMC documents for a test to break."""
    return copy.deepcopy(read_profile_dir(GTMC))


def test_gtmc_profile_loads_with_its_settings(gtmc: Profile) -> None:
    assert (gtmc.name, gtmc.version, gtmc.number_prefix, gtmc.language) == (
        "gtmc",
        "2026.2",
        "GTMC",
        "zh-CN",
    )
    assert (gtmc.timezone, gtmc.working_hours) == ("Asia/Shanghai", ("09:00-18:00",))
    assert {"grading.yaml", "policy.yaml", "calendar.yaml"} <= set(gtmc.documents)
    assert (gtmc.policy_remove, gtmc.extra_holidays, gtmc.extra_workdays) == (
        (),
        frozenset(),
        frozenset(),
    )
    # The CR manager and the SC/SA are roles of their own, mapped onto permissions here.
    assert {role for role, _ in gtmc.policy_add} == {"cr_manager", "advisor"}
    assert ("cr_manager", "workorder.review") in gtmc.policy_add
    assert ("advisor", "workorder.close") in gtmc.policy_add


def test_gtmc_grades_channels_tiers_and_categories(gtmc: Profile) -> None:
    assert [(g.code, g.label.zh, g.rank) for g in gtmc.grades.values()] == [
        ("general", "一般投诉", 1),
        ("important_preliminary", "重要预备投诉", 2),
        ("important", "重要投诉", 3),
    ]
    assert [c.label.zh for c in gtmc.channels.values()] == [
        "呼叫中心(新规)",
        "呼叫中心(再电)",
        "800热线",
        "现场",
        "其它电话(担当)",
        "其它电话(经理)",
        "第三方",
        "入库谢礼时顾客投诉",
    ]
    assert {t.code: t.level for t in gtmc.tiers.values()} == {
        "DLR": "dealer",
        "GTMC_CR": "brand",
        "TMCI": "brand",
    }
    assert {
        c.code: (gtmc.order_types[c.order_type].kind, c.grade, c.routing)
        for c in gtmc.categories.values()
    } == {
        "sales": ("sales", "general", ("DLR", "GTMC_CR", "TMCI")),
        "service": ("aftersales", "general", ("DLR", "GTMC_CR", "TMCI")),
        "quality": ("aftersales", "general", ("DLR", "GTMC_CR", "TMCI")),
    }


def test_gtmc_workflow_is_the_icrop_chain(gtmc: Profile) -> None:
    wf = gtmc.workflow
    assert [(s.name, s.meaning.value, s.final) for s in wf.states] == [
        ("operator_entry", "unprocessed", False),
        ("cr_review", "unprocessed", False),
        ("manager_review", "in_progress", False),
        ("handling", "in_progress", False),
        ("handled", "handled", False),
        ("closed", "closed", True),
        ("pending", "pending", False),
        ("cancelled", "cancelled", True),
    ]
    state = wf.initial
    for step in (
        "submit",
        "forward",
        "plan",
        "resolve",
        "confirm",
    ):  # operator → CR manager → manager → SC/SA → revisit
        state = wf.fire(state, step).target
    assert state == "closed"
    assert {
        t.name: t.permission
        for t in wf.transitions
        if t.name in ("submit", "forward", "plan", "resolve")
    } == {
        "submit": "workorder.register",  # the operator (话务员)
        "forward": "workorder.review",  # the CR manager
        "plan": "workorder.assign",  # the sales or after-sales manager
        "resolve": "workorder.close",  # the SC/SA
    }
    assert wf.resolving_transition("handling").name == "resolve"
    assert {t.permission for t in wf.transitions} <= base_catalogue().permissions


def test_gtmc_clocks(gtmc: Profile) -> None:
    def step(clock: str, target: int, starts_on: str, stops_on: str) -> ClockRule:
        return ClockRule(
            clock, target, "business_minutes", (), (), (), starts_on, stops_on, None, None
        )

    assert gtmc.clocks == (
        ClockRule(
            "response", 24, "natural_hours", (), (), (), "registered", "first_contact", None, None
        ),
        step("operator_entry", 60, "registered", "submit"),  # 话务员 1 h
        step("cr_review", 120, "submit", "forward"),  # CR经理 2 h
        step("manager_review", 120, "forward", "plan"),  # 销售/售后经理 2 h
        ClockRule(
            "closure",
            None,
            "working_days",
            (),
            (),
            (),
            "registered",
            "resolve",
            "suspend",
            "resume",
        ),
    )
    # A step clock is the time spent in the state it is named after: it starts on the way in and
    # stops on the way out.
    for rule in gtmc.clocks[1:4]:
        assert gtmc.workflow.transition(rule.stops_on).sources == (rule.clock,)
        assert (
            rule.starts_on == "registered"
            or gtmc.workflow.transition(rule.starts_on).target == rule.clock
        )


# The GTMC table (docs/rules.md#intake-grading) read literally, row by row and cell by cell.
GTMC_TABLE = [
    ("general", {"dealer_can_handle"}, set()),
    (
        "important_preliminary",
        {
            "government_police_ties",
            "extreme_action",
            "lawsuit_threat",
            "media_exposure",
            "refuses_inspection",
            "third_party_inspection",
            "complaint_to_maker",
        },
        {"replacement", "refund", "written_reply"},
    ),
    ("general", {"dealer_handling_inadequate", "general_quality"}, set()),
    (
        "important_preliminary",
        {
            "injury",
            "fire",
            "unintended_acceleration",
            "airbag_not_deployed",
            "driving_turning_stopping",
            "accelerator_stuck",
            "engine_stall",
            "poor_braking",
            "poor_steering",
            "no_power_assist",
            "wheel_lock",
            "fuel_leak",
        },
        set(),
    ),
    ("important", {"lawsuit_case"}, set()),
    ("important_preliminary", {"local_government", "local_media", "internet"}, set()),
    (
        "important",
        {"cctv", "police", "fire_service", "recall_centre", "china_consumers_association"},
        set(),
    ),
]


def test_gtmc_grading_rules_are_the_table(gtmc: Profile) -> None:
    assert [(r.grade, set(r.flags), set(r.demands)) for r in gtmc.grading_rules] == GTMC_TABLE
    # Every criterion is a code of its own, used by exactly one cell; large compensation only
    # alerts.
    assert sorted(f for r in gtmc.grading_rules for f in r.flags) == sorted(gtmc.flags)
    assert sorted(d for r in gtmc.grading_rules for d in r.demands) == sorted(
        set(gtmc.demands) - {"large_compensation"}
    )


def test_gtmc_alerts_refund_replacement_and_large_compensation(gtmc: Profile) -> None:
    assert [(a.flags, a.demands, a.notify) for a in gtmc.alerts] == [
        (
            frozenset(),
            frozenset({"refund", "replacement", "large_compensation"}),
            ("managers", "region_managers"),
        )
    ]
    assert gtmc.alerts_for([], ["refund"]) == gtmc.alerts
    assert gtmc.alerts_for(["cctv"], ["written_reply"]) == ()


@pytest.mark.parametrize(
    ("flags", "demands", "grade"),
    [
        ({"local_media"}, {"replacement"}, "important_preliminary"),
        ({"cctv"}, set(), "important"),
        (set(), set(), "general"),
        ({"general_quality"}, set(), "general"),
        ({"fire"}, set(), "important_preliminary"),
        ({"injury", "lawsuit_case"}, {"written_reply"}, "important"),
        (set(), {"large_compensation"}, "general"),
    ],
)
def test_gtmc_proposes_the_highest_class(
    gtmc: Profile, flags: set[str], demands: set[str], grade: str
) -> None:
    assert gtmc.propose_grade("quality", flags, demands).grade == grade


def test_gtmc_labels_are_chinese_and_english(gtmc: Profile) -> None:
    labels = [
        *(s.label for s in gtmc.workflow.states),
        *(t.label for t in gtmc.workflow.transitions),
        *(g.label for g in gtmc.grades.values()),
        *(c.label for c in gtmc.categories.values()),
        *(c.label for c in gtmc.channels.values()),
        *(t.label for t in gtmc.tiers.values()),
        *(t.label for t in gtmc.order_types.values()),
        *gtmc.flags.values(),
        *gtmc.demands.values(),
        *(r.reason for r in (*gtmc.grading_rules, *gtmc.alerts)),
        gtmc.title,
    ]
    assert all(CJK.search(label.zh) and label.en.isascii() and label.en for label in labels)


def test_gtmc_export_round_trip(gtmc: Profile) -> None:
    exported = export_profile(gtmc)
    assert parse_profile({name: yaml.safe_load(text) for name, text in exported.items()}) == gtmc


# ---------------------------------------------------------------- grading.yaml validation


def test_grading_document_is_optional(skoda: Profile, documents: dict[str, Any]) -> None:
    assert (skoda.grading_rules, skoda.alerts) == ((), ())
    documents["grading.yaml"] = {
        "rules": [
            {
                "grade": "B",
                "when_any": {"demands": ["refund"]},
                "reason": {"zh": "退车", "en": "Refund"},
            }
        ]
    }
    profile = parse_profile(documents)
    assert profile.propose_grade("A4a", [], ["refund"]).grade == "B"
    assert profile.propose_grade("Q1", [], ["refund"]).grade is None  # consultations are not graded


def test_grading_references_are_checked(gtmc_documents: dict[str, Any]) -> None:
    grading = gtmc_documents["grading.yaml"]
    grading["rules"][1]["grade"] = "urgent"
    grading["rules"][1]["when_any"]["demands"][0] = "exchange"
    grading["rules"][3]["when_any"]["flags"][0] = "injured"
    grading["alerts"][0]["notify"][1] = "rbo"
    errors = errors_of(gtmc_documents)
    assert errors[:3] == [
        "grading.yaml: alerts[0].notify[1]: unknown recipient 'rbo' (recipients: "
        f"{', '.join(ALERT_RECIPIENTS)})",
        "grading.yaml: rules[1].grade: unknown grade 'urgent' (grades: "
        "general, important_preliminary, important)",
        "grading.yaml: rules[1].when_any.demands[0]: unknown demand 'exchange' "
        "(demands: replacement, refund, written_reply, large_compensation)",
    ]
    assert errors[3].startswith(
        "grading.yaml: rules[3].when_any.flags[0]: unknown flag 'injured' (flags: "
        "dealer_can_handle, "
    )
    assert len(errors) == 4


def test_grading_codes_in_the_wrong_list_and_empty_conditions(
    gtmc_documents: dict[str, Any],
) -> None:
    grading = gtmc_documents["grading.yaml"]
    grading["rules"][0]["when_any"] = {"flags": ["refund"], "demands": ["cctv"]}
    grading["alerts"][0]["when_any"] = {"flags": [], "demands": []}
    assert errors_of(gtmc_documents) == [
        "grading.yaml: alerts[0].when_any: lists no flag or demand, so the rule could never match",
        "grading.yaml: rules[0].when_any.demands[0]: 'cctv' is one of the flags, "
        "not the demands: list it under flags",
        "grading.yaml: rules[0].when_any.flags[0]: 'refund' is one of the demands, "
        "not the flags: list it under demands",
    ]


def test_grading_shape_errors_are_reported_with_the_reference_errors(
    gtmc_documents: dict[str, Any],
) -> None:
    grading = gtmc_documents["grading.yaml"]
    grading["rules"][0]["when"] = grading["rules"][0].pop("when_any")
    grading["rules"][2]["grade"] = "important_prelim"
    grading["alerts"][0]["notify"] = []
    assert errors_of(gtmc_documents) == [
        "grading.yaml: alerts[0].notify: List should have at least 1 item after validation, not 0",
        "grading.yaml: rules[0].when: unknown key (allowed: grade, when_any, reason)",
        "grading.yaml: rules[0].when_any: required key is missing",
        "grading.yaml: rules[2].grade: unknown grade 'important_prelim' (grades: "
        "general, important_preliminary, important)",
    ]
