"""Revisit rules as profile data (revisits.yaml), and the result actions and lifecycle rules they
drive: a hand-over to the responsible person, a revisit that outlives the order's closing."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from support import make_world
from test_revisits import attempt, handled, result, revisits_of

from server.db.models import OutboxMessage
from server.profiles import (
    ProblemCode,
    ProfileInvalidError,
    bundled_profile_path,
    parse_profile,
    read_profile_dir,
)

SH = ZoneInfo("Asia/Shanghai")
SKODA = read_profile_dir(bundled_profile_path("skoda"))


def revisit_rules(**changes: Any) -> dict[str, Any]:
    rules = copy.deepcopy(SKODA["revisits.yaml"])
    rules.update(changes)
    return rules


def problems(rules: dict[str, Any]) -> set[tuple[str, str, ProblemCode]]:
    with pytest.raises(ProfileInvalidError) as refused:
        parse_profile({**SKODA, "revisits.yaml": rules})
    return {(p.document, p.path, p.code) for p in refused.value.problems}


def test_the_shipped_profiles_carry_their_revisit_rules():
    for name in ("skoda", "gtmc"):
        profile = parse_profile(read_profile_dir(bundled_profile_path(name)))
        assert profile.revisit_rules is not None
        rule = profile.revisit_rules.rules["resolve"]
        assert (rule.target, rule.unit, rule.max_failed_attempts) == (24, "natural_hours", 3)
        assert len(profile.revisit_rules.results) == 4  # Skoda's four result types


def test_references_of_revisit_rules_are_checked():
    rules = revisit_rules(reopen_with="reopn")
    rules["revisits"] = [dict(rules["revisits"][0], trigger="handle", assignee_role="caller")]
    assert problems(rules) == {
        ("revisits.yaml", "revisits[0].trigger", ProblemCode.UNKNOWN_REFERENCE),
        ("revisits.yaml", "revisits[0].assignee_role", ProblemCode.UNKNOWN_REFERENCE),
        ("revisits.yaml", "reopen_with", ProblemCode.UNKNOWN_REFERENCE),
    }
    assert problems(revisit_rules(reopen_with=None)) == {
        ("revisits.yaml", "reopen_with", ProblemCode.MISSING_KEY)
    }


async def test_a_hand_over_result_tells_the_responsible_person(database):
    """JAC: not a formal complaint; the responsible person takes it up, the order stays."""
    results = [dict(r) for r in SKODA["revisits.yaml"]["results"]]
    results.append(
        {"code": "not_a_complaint", "label": {"zh": "非正式投诉", "en": "Not a formal complaint"},
         "action": "responsible_person", "successful": True}
    )  # fmt: skip
    world = await make_world(database, revisits=revisit_rules(results=results))
    world.clock.now = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    order = await handled(world)
    assign = {"id": order["id"], "expectedVersion": 3, "primaryHandlerId": world.user_gid("care_a")}
    assert (await world.gql("manager_a", "AssignWorkOrder", input=assign))["assignWorkOrder"]
    revisit_id = (await revisits_of(world, "care_a"))[0]["id"]
    words = "希望下次保养时顺便检查一下"
    done = await result(world, "care_a", revisit_id, "not_a_complaint", words=words)
    assert done["revisit"]["state"] == "COMPLETED"
    assert done["revisit"]["order"]["state"] == "handled"
    async with world.database.platform() as session:
        query = select(OutboxMessage.recipient_id).where(
            OutboxMessage.tenant_id == world.tenant_id, OutboxMessage.topic == "revisit.handed_over"
        )
        told = set((await session.scalars(query)).all())
    assert told == {world.users["care_a"]}
    detail = (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]
    assert [e["comment"] for e in detail["history"] if e["kind"] == "revisit_handed_over"] == [
        words
    ]


async def test_closing_the_order_leaves_its_revisit_due(database):
    world = await make_world(database)
    world.clock.now = datetime(2025, 3, 4, 10, 0, tzinfo=SH)
    order = await handled(world)
    confirm = {"id": order["id"], "expectedVersion": 3, "transition": "confirm"}
    closed = await world.gql("operator", "TransitionWorkOrder", input=confirm)
    assert closed["transitionWorkOrder"]["order"]["state"] == "closed"
    [due] = await revisits_of(world, "care_a", states=["OPEN"])
    detail = (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]
    revisit_clocks = [c for c in detail["clocks"] if c["name"].startswith("revisit-")]
    assert [c["status"] for c in revisit_clocks] == ["ON_TRACK"]
    await attempt(world, "care_a", due["id"], "REACHED")
    done = await result(world, "care_a", due["id"], "satisfied", words="满意")
    assert done["revisit"]["state"] == "COMPLETED"
    detail = (await world.gql("care_a", "OrderDetail", id=order["id"]))["workOrder"]
    revisit_clocks = [c for c in detail["clocks"] if c["name"].startswith("revisit-")]
    assert [c["status"] for c in revisit_clocks] == ["MET"]
