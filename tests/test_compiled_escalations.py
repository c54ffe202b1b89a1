"""The compiled Escalations (server/services/compiled_escalations.py) answers exactly what the
interpreted path answers: the same JSON after key ordering, for generated filters, both sorts,
page sizes and cursors of real pages, and the demo tenant's caller of every role, on a PostgreSQL
database of its own. Fixed seed (derandomize).

The demo escalates nothing, so the fixture escalates some of its open orders through the
product's own services: tier moves, calls that issue warning slips, slips acknowledged and
resulted."""

from __future__ import annotations

import contextlib
import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from conftest import PG_DB, migrated_pg_database
from hypothesis import strategies as st
from sqlalchemy import select

from schema import cursors
from schema.app import schema
from schema.compiled import CompiledOperations
from schema.ids import encode
from schema.persisted import PersistedOperations
from server.db.models import WarningSlip, WorkOrder
from server.domain import bounds
from server.domain.errors import TransitionNotAllowedError
from server.security.auth import Claims
from server.services import calls, demo, escalation, slips
from server.services.caller import Caller, tenant_caller
from tests.support import FixedClock, both_paths_as, demo_callers, run_recorded

EXAMPLES = int(os.environ.get("COMPILED_EXAMPLES", "80"))
SORTS = ("AGE", "BREACH")


@pytest.fixture(scope="module")
async def demo_database() -> Any:
    """The demo tenant, with escalations, on a database of this module's own (the demo's slug is
    fixed: tests/test_compiled_operations.py has its own)."""
    database = await migrated_pg_database(f"{PG_DB}_escalations")
    await demo.load_demo(database, progress=lambda _line: None)
    await _escalate(database)
    yield database
    await database.dispose()


async def _escalate(database: Any) -> None:
    """Of the demo's open orders: every third moved up a tier by the SE, every second the subject
    of a call that issues one or two slips (by its flags), some slips acknowledged or resulted."""
    loaded = await demo.demo_users(database)
    users = {u.username: u.user_id for u in loaded.users}
    clock = FixedClock(datetime.now(UTC))
    se, operator = [
        await tenant_caller(database, Claims(str(users[name]), loaded.tenant_id, False), clock)
        for name in ("se", "operator")
    ]
    async with se.db.read() as session:
        rows = (
            await session.execute(select(WorkOrder.id, WorkOrder.state, WorkOrder.version))
        ).all()
    open_orders = sorted(
        (i, v) for i, s, v in rows if s in ("unprocessed", "in_progress", "pending")
    )
    for n, (order_id, version) in enumerate(open_orders):
        flags = [["claims_media"], ["claims_media", "nobody_contacted"]][n % 4 // 2]
        if n % 3 == 0:
            with contextlib.suppress(TransitionNotAllowedError):  # at its category's top tier
                await escalation.escalate(se, order_id, "客户要求升级", version)
        if n % 2 == 0:
            await calls.record_call(operator, order_id, "hotline_400", "又来电", flags, [], None)
    async with se.db.read() as session:
        slip_ids = sorted((await session.scalars(select(WarningSlip.id))).all())
    for n, slip_id in enumerate(slip_ids):
        if n % 3 == 1:
            await slips.acknowledge(se, slip_id)
        elif n % 3 == 2:
            await slips.record_result(se, slip_id, "已回复客户", users["se"], None)
    for caller in (se, operator):
        await caller.db.close()


async def _world(database: Any) -> dict[str, Any]:
    """The demo's callers (one per role) and what variables can name: cursors are those of the
    SE's pages of three in either sort, one of the order list, and a position among the orders
    without a deadline."""
    callers = await demo_callers(database, FixedClock(datetime.now(UTC)))
    profile = callers["se"].tenant.profile
    pages = [
        c for sort in SORTS async for c in _end_cursors(callers["se"], {"sort": sort, "first": 3})
    ]
    return {
        "callers": callers,
        "categories": sorted(profile.categories),
        "tiers": sorted(profile.tiers),
        "grades": sorted(profile.grades),
        "units": sorted(encode("OrgUnit", i) for i in callers["se"].tenant.units),
        "cursors": [*pages, cursors.encode("order", 1), cursors.encode("breach", 5, None)],
    }


async def _end_cursors(caller: Caller, variables: dict[str, Any]) -> Any:
    after = None
    while True:
        answer = json.loads(
            (await run_recorded(caller, "Escalations", {**variables, "after": after}))[0]
        )
        page = answer["escalations"]
        if not page["pageInfo"]["hasNextPage"]:
            return
        after = page["pageInfo"]["endCursor"]
        yield after


def _variables(world: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    def some(values: list[str]) -> st.SearchStrategy[list[str] | None]:
        return st.none() | st.lists(st.sampled_from(values), max_size=3)

    filters = st.fixed_dictionaries(
        {},
        optional={
            "orgUnitId": st.sampled_from([*world["units"], "not-an-id"]),
            "categories": some(world["categories"]),
            "tiers": some(world["tiers"]),
            "grades": some(world["grades"]),
            "slipStates": some(["ISSUED", "ACKNOWLEDGED", "RESULTED"]),
            "olderThanHours": st.integers(-1, 24 * 30) | st.just(bounds.HOURS_MAX + 1),
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "sort": st.sampled_from(SORTS),
            # Mostly pages short enough to have a next one; sometimes sizes the list refuses.
            "first": st.integers(1, 8) | st.sampled_from([-1, 0, 100, 101]),
            "after": st.none() | st.sampled_from([*world["cursors"], "bm90LWEtY3Vyc29y"]),
            "filter": st.none() | filters,
        },
    )


def _compiled() -> CompiledOperations:
    return CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")


async def test_compiled_escalations_answer_as_the_interpreted_ones(demo_database):
    world = await _world(demo_database)
    compiled = _compiled()
    paths = await both_paths_as(world["callers"], "Escalations", _variables(world), compiled)
    # Most examples are served compiled; the rest (refused arguments) fell back on purpose.
    assert sum(paths) >= len(paths) // 3, f"{sum(paths)} of {len(paths)} compiled"


@pytest.mark.parametrize("sort", SORTS)
async def test_every_page_of_every_caller_matches_to_the_end(demo_database, sort):
    world = await _world(demo_database)
    compiled = _compiled()
    seen = {"slips": set(), "deadlines": set(), "pages": 0}
    for username, caller in world["callers"].items():
        after = None
        while True:
            variables = {"sort": sort, "first": 4, "after": after}
            interpreted = await run_recorded(caller, "Escalations", variables)
            answered = await run_recorded(caller, "Escalations", variables, compiled)
            assert answered[:3] == interpreted[:3], (username, after)
            assert answered[3], "the compiled statement answered"
            page = json.loads(answered[0])["escalations"]
            seen["pages"] += 1
            for node in page["nodes"]:
                seen["slips"] |= {s["state"] for s in node["slips"]}
                seen["deadlines"].add(node["order"]["nextDue"] is None)
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    # The fixture's escalations make every kind of node and several pages.
    assert seen["slips"] == {"ISSUED", "ACKNOWLEDGED", "RESULTED"}
    assert seen["deadlines"] == {True, False}
    assert seen["pages"] > 2 * len(world["callers"])
