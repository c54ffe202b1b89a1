"""The outbox delivers at least once, and a key twice only when a delivery's outcome is truly
unknown: duplicate and concurrent delivery jobs send a message once; a worker that dies between
handing a message over and recording it leaves the message owed, and its next delivery carries the
same key, which the receiver drops (server/services/outbox.py, docs/operations.md)."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from support import make_world
from test_outbox_dead import POLICY, Recording, add, state

from server.adapters.notifications import Notification
from server.services import outbox

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Slow(Recording):
    """A receiver that takes a while to answer, so deliveries of one message overlap."""

    async def send(self, note: Notification) -> None:
        await asyncio.sleep(0.3)
        await super().send(note)


class WorkerDied(BaseException):
    """The process ends mid-job (SIGKILL, OOM): nothing after the send runs, nothing is caught."""


class DiesAfterSending(Recording):
    async def send(self, note: Notification) -> None:
        await super().send(note)
        raise WorkerDied


async def deliver(world, message_id: int, sender) -> bool:
    return await outbox.deliver(
        world.database, world.tenant_id, message_id, sender=sender, now=NOW, policy=POLICY
    )


async def test_duplicate_and_concurrent_jobs_send_a_key_once(database):
    world = await make_world(database)
    message_id = await add(world, "sla:1:response:breached")
    receiver = Slow()
    sent = await asyncio.gather(*(deliver(world, message_id, receiver) for _ in range(3)))
    again = await deliver(world, message_id, receiver)  # a retried job, after the fact
    assert receiver.keys == ["sla:1:response:breached"]
    assert sorted(sent) == [False, False, True] and again is False
    attempts, _, delivered_at, _ = await state(world, message_id)
    assert (attempts, delivered_at) == (1, NOW)


async def test_a_delivery_whose_outcome_is_unknown_is_sent_again_with_the_same_key(database):
    world = await make_world(database)
    message_id = await add(world, "slip:7:to:3")
    dying = DiesAfterSending()
    with contextlib.suppress(WorkerDied):
        await deliver(world, message_id, dying)
    assert dying.keys == ["slip:7:to:3"]  # handed over, but nothing recorded it
    attempts, _, delivered_at, _ = await state(world, message_id)
    assert (attempts, delivered_at) == (0, None)  # still owed
    receiver = Recording()
    assert await deliver(world, message_id, receiver)
    assert receiver.keys == dying.keys  # the receiver sees the same key and drops the repeat
    assert not await deliver(world, message_id, receiver)
    assert receiver.keys == ["slip:7:to:3"]


async def test_a_refused_delivery_is_retried_with_the_same_key_after_the_policys_delay(database):
    world = await make_world(database)
    message_id = await add(world, "assigned:9:v2:to:4")

    class Refusing(Recording):
        async def send(self, note: Notification) -> None:
            await super().send(note)
            raise ConnectionError("the receiver answered 503")

    refusing = Refusing()
    assert not await deliver(world, message_id, refusing)
    _, next_attempt_at, delivered_at, _ = await state(world, message_id)
    assert delivered_at is None and next_attempt_at == NOW + POLICY.delay(1)
    receiver = Recording()
    assert await deliver(world, message_id, receiver)
    assert receiver.keys == refusing.keys == ["assigned:9:v2:to:4"]
