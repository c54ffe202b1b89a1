"""Actors on the stub broker (the embedded default) and the scheduler's once-per-tick claim."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import dramatiq
import pytest
from sqlalchemy import func, select
from support import make_world, register

from schema.ids import decode
from server.db.models import OutboxMessage
from server.services.ticks import claim
from workers import resources
from workers.actors import deliver_notification, flush_outbox, purge_outbox, scan_deadlines
from workers.broker import broker


@pytest.fixture
def worker(database, monkeypatch, tmp_path):
    """A stub-broker worker whose actors use the test database and log notifications to a file."""
    log = tmp_path / "notifications.jsonl"
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("NOTIFY_LOG", str(log))
    resources.database.cache_clear()
    resources.sender.cache_clear()
    running = dramatiq.Worker(broker, worker_threads=2)
    running.start()
    yield log
    running.stop()
    resources.database.cache_clear()
    resources.sender.cache_clear()


def drain() -> None:
    for actor in (scan_deadlines, flush_outbox, deliver_notification, purge_outbox):
        broker.join(actor.queue_name, fail_fast=True)


async def test_scan_and_delivery_on_the_stub_broker_send_each_notification_once(database, worker):
    world = await make_world(database)
    world.clock.now = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # long past: both clocks breached
    orders = [
        await register(world, customer={"name": f"客户{n}", "phones": [f"1390000{n:04d}"]})
        for n in range(3)
    ]
    for _ in range(3):  # duplicate ticks
        scan_deadlines.send()
        await asyncio.to_thread(drain)
    for _ in range(2):
        flush_outbox.send()
        await asyncio.to_thread(drain)
    lines = [json.loads(line) for line in worker.read_text(encoding="utf-8").splitlines()]
    # Order ids are unique across tenants; other tests' tenants in this database may have due orders
    # too.
    prefixes = tuple(f"sla:{decode('WorkOrder', o['id'])}:" for o in orders)
    keys = [line["key"] for line in lines if line["key"].startswith(prefixes)]
    assert (
        len(keys) == len(set(keys)) == 3 * 2 * 2
    )  # orders x (response, closure) x (manager_a, gm_a)
    db = database.tenant(world.tenant_id)
    async with db.read() as session:
        pending = await session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.delivered_at.is_(None))
        )
    await db.close()
    assert pending == 0  # this tenant's outbox is empty


async def test_two_schedulers_claim_each_tick_once(database):
    at = datetime.now(UTC).replace(second=0, microsecond=0, year=2030)
    claims = await asyncio.gather(*(claim(database, "every-minute", at) for _ in range(4)))
    assert sorted(claims) == [False, False, False, True]


async def test_the_daily_purge_removes_delivered_notifications_past_retention_and_nothing_owed(
    database, worker, monkeypatch
):
    monkeypatch.setenv("OUTBOX_RETENTION_DAYS", "30")
    world = await make_world(database)
    now = datetime.now(UTC)
    ages = {"delivered-31-days-ago": 31, "delivered-29-days-ago": 29, "owed-for-40-days": None}
    db = database.tenant(world.tenant_id)
    async with db.write() as session:
        for key, days in ages.items():
            session.add(
                OutboxMessage(
                    key=key,
                    topic="test",
                    subject=key,
                    body={},
                    created_at=now - timedelta(days=40),
                    attempts=1,
                    next_attempt_at=now - timedelta(days=40),
                    delivered_at=None if days is None else now - timedelta(days=days),
                )
            )
    for _ in range(2):  # a second purge, or a duplicate message, finds nothing more
        purge_outbox.send()
        await asyncio.to_thread(drain)
    async with db.read() as session:
        kept = set(
            await session.scalars(select(OutboxMessage.key).where(OutboxMessage.key.in_(ages)))
        )
    await db.close()
    assert kept == {"delivered-29-days-ago", "owed-for-40-days"}


async def test_the_delivery_actor_retries_as_the_settings_say_then_leaves_it_dead(
    database, worker, monkeypatch
):
    monkeypatch.setenv("NOTIFY_ADAPTER", "webhook")
    monkeypatch.setenv("WEBHOOK_URL", "http://127.0.0.1:9/closed")  # refused at once
    monkeypatch.setenv("WEBHOOK_SECRET", "s")
    monkeypatch.setenv("OUTBOX_RETRY_BASE_SECONDS", "7")
    monkeypatch.setenv("OUTBOX_RETRY_MAX_ATTEMPTS", "2")
    world = await make_world(database)
    db = database.tenant(world.tenant_id)
    now = datetime.now(UTC)
    async with db.write() as session:
        message = OutboxMessage(
            key="unreachable",
            topic="test",
            subject="s",
            body={},
            created_at=now,
            next_attempt_at=now,
        )
        session.add(message)
    seen = []
    for _ in range(3):  # the third finds it dead and leaves it
        sent_at = datetime.now(UTC)
        deliver_notification.send(world.tenant_id, message.id)
        await asyncio.to_thread(drain)
        async with db.read() as session:
            row = await session.get_one(OutboxMessage, message.id, populate_existing=True)
            seen.append((sent_at, row.attempts, row.next_attempt_at, row.dead_at))
        await db.close()
    (sent_at, attempts, retry_at, dead_at), second, third = seen
    assert attempts == 1 and dead_at is None
    assert timedelta(seconds=14) <= retry_at - sent_at < timedelta(seconds=20)  # 7 s x 2
    assert second[1:3] == (2, retry_at) and second[3] is not None  # dead: that attempt never comes
    assert third[1:] == second[1:]


async def test_the_embedded_worker_publishes_its_scan_to_the_subscribers_of_the_server_beside_it(
    database, worker, monkeypatch
):
    monkeypatch.setattr(resources, "_serving", [])
    resources.share_events(database.events)  # as workers.embedded.start does with the app's bus
    world = await make_world(database)
    world.clock.now = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # long past: both clocks breached
    order = await register(world)
    seen = []
    async with database.events.subscription(world.tenant_id) as queue:
        scan_deadlines.send()
        await asyncio.to_thread(drain)
        while not any(e.kind == "sla_breached" for e in seen):
            seen.append(await asyncio.wait_for(queue.get(), 5))
    assert {e.number for e in seen if e.kind == "sla_breached"} == {order["number"]}
