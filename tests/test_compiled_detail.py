"""The compiled OrderDetail (server/services/compiled_detail.py) answers exactly what the
interpreted path answers: the same JSON after key ordering and the same logged customer reads,
for every order of two demo tenants (and orders made here with calls, a slip, contact attempts, a
repeat, staff involved and a grade override), each other's orders and ids of nothing, for the
demos' callers of every role, at generated instants. Fixed seed (derandomize)."""

from __future__ import annotations

import asyncio
import json
import os
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from conftest import PG_DB, migrated_pg_database
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from schema.app import schema
from schema.compiled import CompiledOperations
from schema.ids import encode
from schema.persisted import PersistedOperations
from server.db.models import WarningSlip, WorkOrder
from server.security.auth import Claims
from server.services import (
    assignment,
    calls,
    contacts,
    demo,
    intake,
    organisation,
    queries,
    registration,
    slips,
    transitions,
)
from server.services.caller import tenant_caller
from tests.support import FixedClock, differential, run_recorded

EXAMPLES = int(os.environ.get("COMPILED_EXAMPLES", "120"))
DEMOS = {"skoda": 30, "gtmc": 15}  # profile: its demo orders
PHONE = "13912345678"
# Ids of nothing: not base64, another type's, key 0, beyond bigint, and not an id at all.
GARBAGE = [
    "bm90LWFuLWlk",
    encode("User", 1),
    encode("WorkOrder", 0),
    encode("WorkOrder", 2**63),
    "WorkOrder:1",
    "",
]


@pytest.fixture(scope="module")
async def world() -> Any:
    """Two demo tenants (the Skoda one with orders of every kind added; GTMC's profile times its
    workflow steps), the callers of every role of both, and the ids to ask for."""
    database = await migrated_pg_database(f"{PG_DB}_compiled_detail")
    clock = FixedClock(datetime.now(UTC) - timedelta(days=3))
    callers, ids = {}, []
    for profile, count in DEMOS.items():
        await demo.load_demo(database, orders=count, progress=lambda _line: None, profile=profile)
        loaded = await demo.demo_users(database, profile)
        mine = {
            u.username: await tenant_caller(
                database, Claims(str(u.user_id), loaded.tenant_id, False), clock
            )
            for u in loaded.users
            if u.role != "platform_admin"
        }
        if profile == "skoda":
            await _escalated_orders(mine, clock)
        async with mine["admin"].db.read() as session:
            ids += [encode("WorkOrder", i) for i in (await session.scalars(select(WorkOrder.id)))]
        callers |= {f"{profile}:{username}": caller for username, caller in mine.items()}
    clock.now = datetime.now(UTC)
    yield {"callers": callers, "clock": clock, "ids": ids + GARBAGE}
    for caller in callers.values():
        await caller.db.close()
    await database.dispose()


async def _escalated_orders(callers: dict[str, Any], clock: FixedClock) -> None:
    """Through the product's services: an order with everything the detail shows (address, a
    full vehicle, demands, flags, a grade override, staff involved, two calls and the slip they
    raise, contact attempts), handled by the SE and the RBO (whose reads of its customer are
    logged), then a repeat complaint of the same customer."""
    operator, se, rbo = callers["operator"], callers["se"], callers["rbo"]
    profile = operator.profile
    dealer = next(
        d for d in await organisation.units(operator.db, "dealer") if d.path.endswith("sh-pudong")
    )
    staff = await organisation.user_ids(operator.db)
    flags, demands = sorted(profile.flags)[:1], sorted(profile.demands)[:2]
    proposed = profile.propose_grade("A4a", flags, demands).grade
    reg = intake.Registration(
        dealer_id=dealer.id,
        customer=intake.CustomerInput(
            "周女士", [PHONE], address="上海市浦东新区", postcode="200120"
        ),
        vehicle=intake.VehicleInput(
            "LSVJETH8171PG8B14",
            engine_number="EN123",
            plate="沪A12345",
            model="明锐",
            purchase_date=date(2024, 3, 9),
            mileage_km=12345,
        ),
        channel="hotline_400",
        category="A4a",
        summary="赠品未兑现",
        details="客户称赠品至今未兑现。",
        grade=next(g for g in sorted(profile.grades) if g != proposed),
        grade_override_reason="客户情绪激动",
        demands=demands,
        flags=flags,
        involved_staff_ids=[staff["care-sh-pudong"], staff["manager-sh-pudong"]],
    )
    order = (await registration.register_complaint(operator, reg)).order
    for words in ("还没人联系我", "我又打来了"):
        clock.now += timedelta(minutes=20)
        await calls.record_call(
            operator,
            order.id,
            "hotline_400",
            words=words,
            flags=[],
            demands=[],
            expected_version=None,
        )
    async with rbo.db.read() as session:
        slip = await session.scalar(
            select(WarningSlip.id).where(WarningSlip.work_order_id == order.id)
        )
    assert slip is not None, "two calls while unprocessed raise a slip (W1)"
    await slips.acknowledge(rbo, slip)
    clock.now += timedelta(hours=1)
    steps = [
        lambda v: transitions.transition(se, order.id, "review", expected_version=v),
        lambda v: assignment.assign(
            se, order.id, se.user_id, secondary_id=rbo.user_id, expected_version=v
        ),
        lambda v: contacts.log_contact(se, order.id, "unreachable", note=None, expected_version=v),
        lambda v: contacts.log_contact(se, order.id, "reached", note="已联系", expected_version=v),
        lambda v: transitions.close(
            se, order.id, transitions.Resolution("补发赠品", "登记承诺", "未登记", "满意"), v
        ),
    ]
    for step in steps:
        await step((await queries.get_order(se, order.id)).version)
    clock.now += timedelta(days=1)
    repeat = intake.Registration(
        dealer_id=dealer.id,
        customer=intake.CustomerInput("周女士", [PHONE]),
        channel="hotline_400",
        category="A4a",
        summary="赠品仍未兑现",
        details="客户再次来电。",
    )
    again = (await registration.register_complaint(operator, repeat)).order
    assert again.repeat_of_id == order.id and again.escalated


async def _both(
    world: dict[str, Any], compiled: CompiledOperations, username: str, order_id: str
) -> tuple[dict[str, Any], set[Any]]:
    """Asserts both paths answer alike, and that the compiled statement answered what the caller
    may see (the rest the interpreted path words); the answer and its logged reads."""
    caller = world["callers"][username]
    variables = {"id": order_id}
    interpreted = await run_recorded(caller, "OrderDetail", variables)
    answered = await run_recorded(caller, "OrderDetail", variables, compiled)
    assert answered[:3] == interpreted[:3], (username, order_id)
    order = json.loads(interpreted[0])["workOrder"]
    assert answered[3] == (order["__typename"] == "WorkOrder"), (username, order_id)
    return order, interpreted[2]


async def test_every_order_for_every_caller_matches(world):
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    answers = [
        await _both(world, compiled, username, order_id)
        for username in sorted(world["callers"])
        for order_id in world["ids"]
    ]
    # The answers cover what the detail shows, both sides of masking, and logged reads.
    found = [order for order, _ in answers if order["__typename"] == "WorkOrder"]
    for field in ("warningSlips", "customerCalls", "contactAttempts", "involvedStaff"):
        assert any(order[field] for order in found), field
    for field in ("repeatOf", "gradeOverrideReason", "permittedSteps", "currentStepDueAt"):
        assert any(order[field] for order in found), field
    assert any(order["vehicle"]["purchaseDate"] for order in found)
    phones = {p for order in found for p in order["customer"]["phones"]}
    assert any("****" in p for p in phones) and any("****" not in p for p in phones)
    assert sum(bool(logged) for _, logged in answers) >= 2
    # Another tenant's orders and ids of nothing were asked for, by every caller.
    assert len(answers) - len(found) > len(world["callers"]) * (len(GARBAGE) + min(DEMOS.values()))


async def test_compiled_order_detail_answers_as_the_interpreted_one(world):
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    loop = asyncio.get_running_loop()
    now = world["clock"].now

    @differential(120)
    @given(
        st.sampled_from(sorted(world["callers"])),
        st.sampled_from(world["ids"]),
        st.integers(-60 * 24 * 3, 60 * 24 * 30),
    )
    def check(username: str, order_id: str, minutes: int) -> None:
        # Clock statuses change with the instant of the request.
        world["clock"].now = now + timedelta(minutes=minutes)
        asyncio.run_coroutine_threadsafe(_both(world, compiled, username, order_id), loop).result()

    try:
        await asyncio.to_thread(check)
    finally:
        world["clock"].now = now
