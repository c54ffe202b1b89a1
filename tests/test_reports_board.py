"""The widened board and the monthly analysis against the hand-built orders of reports_world.py,
for a dealer (manager_a), a region (rbo_east) and the brand (se), on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from reports_world import build
from support import make_world, register, registration

from server.domain.errors import InvalidInputError, NotFoundError
from server.services import analysis, board, deadlines
from server.services.board_figures import ClockStatus


def shanghai(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


BOARD = {
    "se": {
        "by_state": {"unprocessed": 1, "in_progress": 2, "handled": 1, "pending": 1},
        "by_grade": {"A": 3, "B": 1, "C": 1, None: 0},
        "by_tier": {"DLR": 2, "RBO": 2, "SALES_SE": 1, "MEDIA_SE": 0},
        "by_category": {"A4a": 3, "A4b": 1, "A4c": 1},
        "clock_status": ClockStatus(on_time=1, due_soon=1, breached=2, stopped=1),
        "overdue": [0, 5],
        "registered": [2, 1, 2, 0],
    },
    "rbo_east": {
        "by_state": {"unprocessed": 1, "in_progress": 1, "handled": 1, "pending": 1},
        "by_grade": {"A": 2, "B": 1, "C": 1, None: 0},
        "by_tier": {"DLR": 1, "RBO": 2, "SALES_SE": 1, "MEDIA_SE": 0},
        "by_category": {"A4a": 2, "A4b": 1, "A4c": 1},
        "clock_status": ClockStatus(on_time=1, due_soon=1, breached=1, stopped=1),
        "overdue": [0],
        "registered": [2, 1, 2, 0],
    },
    "manager_a": {
        "by_state": {"unprocessed": 1, "in_progress": 1, "handled": 1, "pending": 0},
        "by_grade": {"A": 2, "B": 1, "C": 0, None: 0},
        "by_tier": {"DLR": 1, "RBO": 2, "SALES_SE": 0, "MEDIA_SE": 0},
        "by_category": {"A4a": 2, "A4b": 1},
        "clock_status": ClockStatus(on_time=1, due_soon=1, breached=1, stopped=0),
        "overdue": [0],
        "registered": [2, 1, 1, 0],
    },
}


@pytest.fixture
async def world(database):
    world = await make_world(database)
    world.orders = await build(world)
    return world


@pytest.mark.parametrize("who", list(BOARD))
async def test_the_board_counts_the_hand_built_orders(world, who):
    expected = BOARD[who]
    caller = await world.caller(who)
    found = await board.board(caller)
    assert found.by_state == expected["by_state"]
    assert found.by_grade == expected["by_grade"]
    assert found.by_tier == expected["by_tier"]
    assert found.by_category == expected["by_category"]
    assert found.clock_status == expected["clock_status"]
    assert found.breached == expected["clock_status"].breached
    assert found.due_soon == expected["clock_status"].due_soon
    overdue = await board.overdue(caller)
    assert [o.id for o in overdue] == [world.orders[i] for i in expected["overdue"]]
    trend = await board.trend(caller, None, date(2026, 10, 3), date(2026, 10, 6))
    assert [d.day for d in trend] == [date(2026, 10, d) for d in (3, 4, 5, 6)]
    assert [d.registered for d in trend] == expected["registered"]
    assert [d.handled for d in trend] == [0, 0, 2, 0]  # o3 and o4, both at dealer a
    assert [d.closed for d in trend] == [0, 0, 0, 1]
    await caller.db.close()


async def test_a_dealer_narrows_the_brands_board(world):
    caller = await world.caller("se")
    found = await board.board(caller, world.units["/east/dlr-a"])
    assert found.by_state == BOARD["manager_a"]["by_state"]
    assert found.clock_status == BOARD["manager_a"]["clock_status"]
    await caller.db.close()


async def test_an_org_unit_outside_the_scope_and_a_long_range_are_refused(world):
    caller = await world.caller("manager_a")
    with pytest.raises(NotFoundError):
        await board.board(caller, world.units["/west/dlr-c"])
    with pytest.raises(NotFoundError):
        await analysis.complaint_analysis(caller, "2026-10", world.units["/east"])
    with pytest.raises(InvalidInputError) as refused:
        await board.trend(caller, None, date(2025, 1, 1), date(2026, 2, 1))
    assert refused.value.problems[0].path == ("trend",)
    with pytest.raises(InvalidInputError) as refused:
        await analysis.complaint_analysis(caller, "2026-13")
    assert refused.value.problems[0].path == ("period",)
    await caller.db.close()


ANALYSIS = {
    "se": {
        "total": 6,
        "categories": {"A4a": 4, "A4b": 1, "A4c": 1},
        "median": 90,
        "p90": 600,
        "repeat": round(1 / 6, 4),
        "escalation": round(1 / 6, 4),
        "change": 5.0,
        "causes": [("培训不足", 2), ("库存不足", 1)],
    },
    "rbo_east": {
        "total": 5,
        "categories": {"A4a": 3, "A4b": 1, "A4c": 1},
        "median": 90,
        "p90": 600,
        "repeat": 0.2,
        "escalation": 0.2,
        "change": 4.0,
        "causes": [("培训不足", 2), ("库存不足", 1)],
    },
    "manager_a": {
        "total": 4,
        "categories": {"A4a": 3, "A4b": 1},
        "median": 60,
        "p90": 120,
        "repeat": 0.25,
        "escalation": 0.0,
        "change": 3.0,
        "causes": [("培训不足", 2)],
    },
}


@pytest.mark.parametrize("who", list(ANALYSIS))
async def test_the_monthly_analysis_of_the_hand_built_orders(world, who):
    expected = ANALYSIS[who]
    caller = await world.caller(who)
    found = await analysis.complaint_analysis(caller, "2026-10")
    assert found["total"] == expected["total"]
    assert found["by_category"] == expected["categories"]
    assert found["by_type"] == {"sales_complaint": expected["total"]}
    assert found["by_channel"] == {"hotline_400": expected["total"]}
    assert found["response"] == {
        "count": expected["total"],
        "median": expected["median"],
        "p90": expected["p90"],
    }
    assert found["closure"] == {"count": 1, "median": 1000, "p90": 1000}  # o4 only
    assert found["repeat_rate"] == expected["repeat"]
    assert found["escalation_rate"] == expected["escalation"]
    assert [(c["cause"], c["count"]) for c in found["root_causes"]] == expected["causes"]
    assert found["previous"]["total"] == 1  # o7, September, dealer a
    assert found["previous"]["response_median"] == 45
    assert found["change"]["total"] == expected["change"]
    assert found["revisits"] == {"count": 0, "by_result": {}, "satisfied_rate": None}
    await caller.db.close()


async def test_the_counts_kept_by_every_change_match_a_recount(database):
    world = await make_world(database)
    orders = [await register(world, dealer=d) for d in ("a", "a", "b", "c")]
    taken = await world.gql(
        "manager_a",
        "TransitionWorkOrder",
        input={"id": orders[0]["id"], "transition": "review", "expectedVersion": 1},
    )
    assert taken["transitionWorkOrder"]["order"]["state"] == "in_progress"
    await world.gql("operator", "RegisterComplaint", input=registration(world, "b", category="A4b"))
    assert await board.recount(database, world.tenant_id, fix=False) == 0
    caller = await world.caller("se")
    found = await board.board(caller)
    assert sum(found.by_state.values()) == 5
    assert found.by_state["in_progress"] == 1
    await caller.db.close()


async def test_the_deadline_scans_regrade_and_tier_move_keep_the_counts(database):
    world = await make_world(database)
    world.clock.now = shanghai("2025-04-30 16:30")
    await register(world, category="B4", grade="B")
    await deadlines.scan(database, shanghai("2025-05-14 16:31"))  # closure breached: C, SALES_SE
    assert await board.recount(database, world.tenant_id, fix=False) == 0
    world.clock.now = shanghai("2025-05-14 16:32")
    caller = await world.caller("se")
    found = await board.board(caller)
    assert found.by_grade["C"] == 1 and found.by_tier["SALES_SE"] == 1
    await caller.db.close()
