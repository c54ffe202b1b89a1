"""Live events of deployments that share one Redis server do not mix: each publishes and listens
under its own namespace (EVENTS_NAMESPACE), whatever Redis database number its URL names (pub/sub
ignores them)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from conftest import need_service

from server import settings
from server.adapters.events import OrderEvent, RedisBus

pytestmark = pytest.mark.redis


def event(tenant_id: int, number: str) -> OrderEvent:
    return OrderEvent(
        tenant_id,
        1,
        1,
        number,
        "/t/east/dlr-a",
        "new",
        1,
        "registered",
        datetime.now(UTC),
        None,
        "new",
    )


async def test_two_namespaces_on_one_redis_do_not_mix():
    need_service("Redis", "127.0.0.1", 6379)
    ours, theirs = f"ours-{uuid.uuid4().hex[:8]}", f"theirs-{uuid.uuid4().hex[:8]}"
    listening = RedisBus("redis://127.0.0.1:6379/0", ours)
    same = RedisBus("redis://127.0.0.1:6379/0", ours)
    other = RedisBus("redis://127.0.0.1:6379/1", theirs)
    other_on_our_db = RedisBus("redis://127.0.0.1:6379/0", theirs)
    try:
        async with listening.subscription(7) as queue:
            await other.publish([event(7, "THEIRS-1")])
            await other_on_our_db.publish([event(7, "THEIRS-2")])
            await same.publish([event(7, "OURS")])
            received = await asyncio.wait_for(queue.get(), 5)
            await asyncio.sleep(0.3)
            assert received.number == "OURS"
            assert queue.empty()
    finally:
        for bus in (listening, same, other, other_on_our_db):
            await bus.close()


def test_the_namespace_is_a_setting_defaulting_to_the_queue_namespace(tmp_path):
    var = {"COMPLAINTDESK_VAR": str(tmp_path)}
    assert settings.load(var).events_namespace == "complaintdesk"
    queue = var | {"COMPLAINTDESK_QUEUE_NAMESPACE": "acme"}
    assert settings.load(queue).events_namespace == "acme"
    assert settings.load(queue | {"EVENTS_NAMESPACE": "acme-live"}).events_namespace == "acme-live"
