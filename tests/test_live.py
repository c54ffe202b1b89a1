"""Live updates in one process: which subscriber receives which order event, the board counters,
and that nothing is published for what did not commit. (Across server processes on Redis:
tests/test_live_redis.py.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from support import make_world, op, register

from schema.app import schema
from schema.context import Context
from server.adapters import events
from server.db.models import WorkOrder
from server.db.session import Database
from server.services import history

QUIET = 0.4  # how long a subscriber that should receive nothing is watched


class Stream:
    """A subscription's results; each `next()` is a pending task, cancelled when the stream
    closes."""

    def __init__(self, results: Any):
        self.results = results
        self.pending: list[asyncio.Task[Any]] = []

    def next(self) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(anext(self.results))
        self.pending.append(task)
        return task

    async def close(self) -> None:
        for task in self.pending:
            task.cancel()
        await asyncio.gather(*self.pending, return_exceptions=True)
        await self.results.aclose()


@asynccontextmanager
async def subscribed(
    world, username: str, operation: str, **variables: Any
) -> AsyncIterator[Stream]:
    """A subscription through the schema, as the WebSocket handler runs it, as `username`."""
    caller = await world.caller(username)
    stream = Stream(
        await schema.subscribe(
            op(operation), variable_values=variables, context_value=Context(caller, "test")
        )
    )
    try:
        yield stream
    finally:
        await stream.close()
        await caller.db.close()


async def started(stream: Stream) -> asyncio.Task[Any]:
    """The stream's next result, pending; once this returns the subscriber is registered on the
    bus."""
    task = stream.next()
    await asyncio.sleep(0.05)
    return task


async def received(task: asyncio.Task[Any]) -> dict[str, Any]:
    result = await asyncio.wait_for(task, 5)
    assert result.errors is None, result.errors
    return result.data


async def nothing_within(task: asyncio.Task[Any], seconds: float = QUIET) -> bool:
    done, _ = await asyncio.wait({task}, timeout=seconds)
    return not done


async def test_a_subscriber_receives_events_of_its_own_dealer_only(database):
    world = await make_world(database)
    async with (
        subscribed(world, "care_a", "OrderEvents") as for_a,
        subscribed(world, "care_b", "OrderEvents") as for_b,
    ):
        next_a, next_b = await started(for_a), await started(for_b)
        order = await register(world, dealer="a")
        event = (await received(next_a))["orderEvents"]
        assert (event["kind"], event["toState"], event["orderId"], event["orderNumber"]) == (
            "registered",
            "unprocessed",
            order["id"],
            order["number"],
        )
        assert event["order"]["dealer"]["name"] == "dlr-a" and event["orderVersion"] == 1
        assert await nothing_within(next_b)

        other = await register(
            world, dealer="b"
        )  # care_b's stream is alive: it was only not told about dealer a
        assert (await received(next_b))["orderEvents"]["orderId"] == other["id"]


async def test_a_region_narrowed_to_one_dealer_and_the_brand_see_what_they_should(database):
    world = await make_world(database)
    dealer_b = world.dealer_gid("b")
    async with (
        subscribed(world, "rbo_east", "OrderEvents", orgUnitId=dealer_b) as narrowed,
        subscribed(world, "se", "OrderEvents") as brand,
    ):
        next_narrowed, next_brand = await started(narrowed), await started(brand)
        at_a = await register(world, dealer="a")
        assert (await received(next_brand))["orderEvents"]["orderId"] == at_a["id"]
        assert await nothing_within(next_narrowed)
        at_b = await register(world, dealer="b")
        assert (await received(next_narrowed))["orderEvents"]["orderId"] == at_b["id"]


async def test_another_tenant_never_hears_of_an_order(database):
    world, other = await make_world(database), await make_world(database)
    async with subscribed(other, "se", "OrderEvents") as stream:
        pending = await started(stream)
        await register(world, dealer="a")
        assert await nothing_within(pending)


async def test_each_change_is_published_once_after_commit_and_never_when_rolled_back(database):
    world = await make_world(database)
    order = await register(world, dealer="a")
    async with subscribed(world, "care_a", "OrderEvents") as stream:
        pending = await started(stream)
        caller = await world.caller("care_a")
        with pytest.raises(RuntimeError):
            async with caller.db.write() as session:
                row = await session.scalar(
                    select(WorkOrder).where(WorkOrder.number == order["number"])
                )
                await history.record(
                    session,
                    row,
                    caller.user_id,
                    datetime.now(UTC),
                    "note",
                    comment="never committed",
                )
                raise RuntimeError("the use case fails after writing its event")
        await caller.db.close()
        assert await nothing_within(pending)

        done = await world.gql(
            "care_a",
            "TransitionWorkOrder",
            input={"id": order["id"], "expectedVersion": 1, "transition": "review"},
        )
        assert done["transitionWorkOrder"]["order"]["state"] == "in_progress"
        event = (await received(pending))["orderEvents"]
        assert (event["kind"], event["fromState"], event["toState"], event["orderVersion"]) == (
            "transition",
            "unprocessed",
            "in_progress",
            2,
        )
        assert await nothing_within(stream.next())


async def test_board_counters_start_with_the_board_and_follow_changes_in_scope(database):
    world = await make_world(database)
    await register(world, dealer="a")
    async with subscribed(world, "manager_a", "BoardCounters") as stream:
        first = (await received(stream.next()))["boardCounters"]
        assert {s["state"]: s["count"] for s in first["byState"]} == {
            "unprocessed": 1,
            "in_progress": 0,
            "handled": 0,
            "pending": 0,
        }
        assert first["open"] == 1 and first["byState"][0]["label"] == {
            "zh": "未处理",
            "en": "Unprocessed",
        }

        pending = stream.next()
        await register(world, dealer="b")  # outside manager_a's scope: no recount
        assert await nothing_within(pending)
        await register(world, dealer="a")
        await register(world, dealer="a")  # a burst: coalesced
        update = (await received(pending))["boardCounters"]
        assert update["open"] == 3
        assert await nothing_within(stream.next())

    board = (await world.gql("se", "Board", orgUnitId=world.dealer_gid("b")))["board"]
    assert (board["__typename"], board["open"]) == ("Board", 1)
    missing = (await world.gql("se", "Board", orgUnitId="T3JnVW5pdDo5OTk5OTk5"))[
        "board"
    ]  # OrgUnit:9999999
    assert missing["__typename"] == "NotFound"


async def test_a_subscription_ends_when_the_token_expires(database):
    world = await make_world(database)
    caller = await world.caller("se")
    context = Context(caller, "test", caller_expires_at=datetime.now(UTC) + timedelta(seconds=0.3))
    stream = await schema.subscribe(op("OrderEvents"), context_value=context)
    try:
        result = await asyncio.wait_for(anext(stream), 5)
    finally:
        await stream.aclose()
        await caller.db.close()
    assert "token has expired" in result.errors[0].message


async def test_the_local_bus_hands_events_from_another_event_loop_to_the_subscriber():
    """The embedded worker publishes from its own loop, in its own thread."""
    bus = events.LocalBus()
    event = events.OrderEvent(
        1,
        2,
        3,
        "SKD-20261202-00001",
        "/t/east/dlr-a",
        "unprocessed",
        1,
        "registered",
        datetime.now(UTC),
        None,
        "unprocessed",
    )
    async with bus.subscription(1) as queue, bus.subscription(2) as other_tenant:
        thread = threading.Thread(target=lambda: asyncio.run(bus.publish([event])))
        thread.start()
        thread.join()
        assert await asyncio.wait_for(queue.get(), 2) == event
        assert other_tenant.empty()
    assert events.OrderEvent.from_json(event.to_json()) == event


async def test_committed_events_go_out_on_the_bus_of_the_database_that_committed_them(database):
    """Two apps in one process (each with its Database and bus) do not hear each other's orders."""
    world = await make_world(database)
    other = Database(database.url, events=events.LocalBus())
    try:
        tenant = world.tenant_id
        async with (
            database.events.subscription(tenant) as mine,
            other.events.subscription(tenant) as theirs,
        ):
            order = await register(world)
            assert (await asyncio.wait_for(mine.get(), 2)).number == order["number"]
            await asyncio.sleep(QUIET)
            assert theirs.empty()
    finally:
        await other.dispose()
