"""Dead letters: the outbox retries as its policy says, then gives up and keeps the message dead;
the purge keeps it; the tenant admin (GraphQL) or the platform operator (CLI) sends it again."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from support import World, make_world

from complaintdesk import cli
from schema.ids import encode
from server.adapters.notifications import Notification
from server.db.models import OutboxMessage
from server.domain.retry import RetryPolicy
from server.services import outbox

POLICY = RetryPolicy(
    base_delay=timedelta(seconds=10), factor=3, cap=timedelta(seconds=100), max_attempts=4
)
NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class Failing:
    def __init__(self) -> None:
        self.calls = 0

    async def send(self, note: Notification) -> None:
        self.calls += 1
        raise ConnectionError("smtp.example refused the connection")


class Recording:
    def __init__(self) -> None:
        self.keys: list[str] = []

    async def send(self, note: Notification) -> None:
        self.keys.append(note.key)


async def add(world: World, key: str, **columns: Any) -> int:
    async with world.database.writer(world.tenant_id) as session, session.begin():
        message = OutboxMessage(
            key=key,
            topic="sla.breached",
            subject=key,
            body={},
            created_at=NOW - timedelta(days=1),
            attempts=0,
            next_attempt_at=NOW - timedelta(days=1),
            recipient_id=world.users["manager_a"],
        )
        for name, value in columns.items():
            setattr(message, name, value)
        session.add(message)
        await session.flush()
        return message.id


async def state(world: World, message_id: int) -> tuple[Any, ...]:
    async with world.database.reader(world.tenant_id) as session:
        m = await session.get_one(OutboxMessage, message_id)
        return m.attempts, m.next_attempt_at, m.delivered_at, m.dead_at


async def dead_world(database) -> tuple[World, dict[str, int]]:
    """A tenant with two dead messages, one still owed and one delivered."""
    world = await make_world(database)
    ids = {
        "dead-1": await add(
            world, "dead-1", attempts=4, dead_at=NOW - timedelta(hours=2), last_error="Refused"
        ),
        "dead-2": await add(
            world, "dead-2", attempts=4, dead_at=NOW - timedelta(hours=1), last_error="Refused"
        ),
        "owed": await add(world, "owed", attempts=1),
        "delivered": await add(world, "delivered", delivered_at=NOW - timedelta(hours=3)),
    }
    return world, ids


async def due_ids(database, at: datetime) -> set[int]:
    return {message_id async for page in outbox.due(database, at) for _, message_id in page}


async def test_failures_wait_as_the_policy_says_then_the_message_is_dead_and_never_picked_again(
    database,
):
    world = await make_world(database)
    message_id = await add(world, "flaky")
    failing = Failing()
    for failures, wait in enumerate((30, 90, 100), start=1):
        assert not await outbox.deliver(
            database, world.tenant_id, message_id, sender=failing, now=NOW, policy=POLICY
        )
        assert await state(world, message_id) == (
            failures,
            NOW + timedelta(seconds=wait),
            None,
            None,
        )
    assert not await outbox.deliver(
        database, world.tenant_id, message_id, sender=failing, now=NOW, policy=POLICY
    )
    assert await state(world, message_id) == (
        4,
        NOW + timedelta(seconds=100),
        None,
        NOW,
    )  # dead now
    assert message_id not in await due_ids(database, NOW + timedelta(days=365))
    working = Recording()
    assert not await outbox.deliver(
        database, world.tenant_id, message_id, sender=working, now=NOW, policy=POLICY
    )
    assert working.keys == [] and failing.calls == 4
    assert await state(world, message_id) == (4, NOW + timedelta(seconds=100), None, NOW)


async def test_the_purge_keeps_dead_messages_whatever_their_age(database):
    world = await make_world(database)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    dead = await add(world, "dead-long-ago", attempts=24, dead_at=long_ago, created_at=long_ago)
    delivered = await add(world, "delivered-long-ago", delivered_at=long_ago, created_at=long_ago)
    await outbox.purge(database, datetime.now(UTC) - timedelta(days=30))
    async with database.reader(world.tenant_id) as session:
        kept = set(
            await session.scalars(
                select(OutboxMessage.id).where(OutboxMessage.id.in_([dead, delivered]))
            )
        )
    assert kept == {dead}


async def test_the_tenant_admin_lists_the_dead_messages_of_their_tenant_page_by_page(database):
    world, ids = await dead_world(database)
    await dead_world(database)  # another tenant's dead messages, which must not be listed
    first = (await world.gql("admin", "DeadOutboxMessages", first=1))["deadOutboxMessages"]
    assert first["__typename"] == "OutboxMessageConnection"
    (newest,) = first["nodes"]
    assert newest["id"] == encode("OutboxMessage", ids["dead-2"]) and newest["subject"] == "dead-2"
    assert newest["attempts"] == 4 and newest["lastError"] == "Refused"
    assert newest["recipient"]["displayName"] == "Manager A"
    assert first["pageInfo"]["hasNextPage"]
    rest = await world.gql(
        "admin", "DeadOutboxMessages", first=5, after=first["pageInfo"]["endCursor"]
    )
    assert [n["subject"] for n in rest["deadOutboxMessages"]["nodes"]] == ["dead-1"]
    assert not rest["deadOutboxMessages"]["pageInfo"]["hasNextPage"]
    refused = (await world.gql("admin", "DeadOutboxMessages", first=0))["deadOutboxMessages"]
    assert refused["__typename"] == "ValidationError" and refused["fields"][0]["path"] == ["first"]


async def test_a_retried_message_is_delivered_again(database):
    world, ids = await dead_world(database)
    world.clock.now = NOW
    result = await world.gql(
        "admin", "RetryOutboxMessages", input={"id": encode("OutboxMessage", ids["dead-1"])}
    )
    assert result["retryOutboxMessages"] == {
        "__typename": "RetryOutboxMessagesPayload",
        "retried": 1,
    }
    assert await state(world, ids["dead-1"]) == (0, NOW, None, None)  # the policy starts afresh
    assert (await state(world, ids["dead-2"]))[3] is not None  # the other one is still dead
    assert ids["dead-1"] in await due_ids(database, NOW)
    sent = Recording()
    assert await outbox.deliver(
        database, world.tenant_id, ids["dead-1"], sender=sent, now=NOW, policy=POLICY
    )
    assert sent.keys == ["dead-1"] and (await state(world, ids["dead-1"]))[2] == NOW
    every = await world.gql("admin", "RetryOutboxMessages", input={"all": True})
    assert every["retryOutboxMessages"]["retried"] == 1
    listed = await world.gql("admin", "DeadOutboxMessages")
    assert listed["deadOutboxMessages"]["nodes"] == []


@pytest.mark.parametrize("username", ["se", "operator", "manager_a"])
async def test_anyone_but_the_tenant_admin_is_not_permitted_and_changes_nothing(database, username):
    world, ids = await dead_world(database)
    before = [await state(world, i) for i in ids.values()]
    listed = (await world.gql(username, "DeadOutboxMessages"))["deadOutboxMessages"]
    assert listed == {
        "__typename": "NotPermitted",
        "message": listed["message"],
        "permission": "outbox.manage",
    }
    for retry in ({"id": encode("OutboxMessage", ids["dead-1"])}, {"all": True}):
        result = (await world.gql(username, "RetryOutboxMessages", input=retry))[
            "retryOutboxMessages"
        ]
        assert result["__typename"] == "NotPermitted" and result["permission"] == "outbox.manage"
    assert [await state(world, i) for i in ids.values()] == before


async def test_another_tenants_message_or_one_not_dead_is_not_found_and_changes_nothing(database):
    world, ids = await dead_world(database)
    other, theirs = await dead_world(database)
    before = [await state(other, i) for i in theirs.values()] + [
        await state(world, i) for i in ids.values()
    ]
    for target in (theirs["dead-1"], ids["owed"], ids["delivered"], 10**9):
        sent = encode("OutboxMessage", target)
        result = (await world.gql("admin", "RetryOutboxMessages", input={"id": sent}))[
            "retryOutboxMessages"
        ]
        assert result == {"__typename": "NotFound", "message": result["message"], "id": sent}
    wrong_type = encode("WorkOrder", ids["dead-1"])
    result = (await world.gql("admin", "RetryOutboxMessages", input={"id": wrong_type}))[
        "retryOutboxMessages"
    ]
    assert result["__typename"] == "NotFound"
    for refused, path in (
        ({}, ["id"]),
        ({"id": encode("OutboxMessage", ids["dead-1"]), "all": True}, ["all"]),
    ):
        result = (await world.gql("admin", "RetryOutboxMessages", input=refused))[
            "retryOutboxMessages"
        ]
        assert result["__typename"] == "ValidationError" and result["fields"][0]["path"] == path
    assert [await state(other, i) for i in theirs.values()] + [
        await state(world, i) for i in ids.values()
    ] == before


async def run_cli(monkeypatch, capsys, tmp_path, database, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", database.url)
    monkeypatch.setenv("COMPLAINTDESK_VAR", str(tmp_path))
    capsys.readouterr()
    try:
        code = await asyncio.to_thread(
            cli.main, list(argv)
        )  # a thread of its own: main runs its own loop
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().out


async def test_the_command_line_lists_and_retries_a_tenants_dead_messages(
    database, monkeypatch, capsys, tmp_path
):
    world, ids = await dead_world(database)
    other, theirs = await dead_world(database)
    code, out = await run_cli(
        monkeypatch, capsys, tmp_path, database, "outbox", "dead", "--tenant", world.slug
    )
    rows = [line.split("\t") for line in out.splitlines() if "\t" in line]
    assert code == 0 and [(int(r[0]), r[4]) for r in rows] == [
        (ids["dead-2"], "dead-2"),
        (ids["dead-1"], "dead-1"),
    ]
    assert f"2 dead notifications in tenant '{world.slug}'" in out
    code, _ = await run_cli(
        monkeypatch,
        capsys,
        tmp_path,
        database,
        "outbox",
        "retry",
        "--tenant",
        world.slug,
        "--id",
        str(theirs["dead-1"]),
    )
    assert (
        code == 2 and (await state(other, theirs["dead-1"]))[3] is not None
    )  # refused: not this tenant's
    code, out = await run_cli(
        monkeypatch,
        capsys,
        tmp_path,
        database,
        "outbox",
        "retry",
        "--tenant",
        world.slug,
        "--id",
        str(ids["dead-1"]),
    )
    assert (
        code == 0
        and out.startswith("1 dead notifications")
        and (await state(world, ids["dead-1"]))[3] is None
    )
    code, _ = await run_cli(
        monkeypatch, capsys, tmp_path, database, "outbox", "retry", "--tenant", world.slug
    )
    assert (
        code == 2 and (await state(world, ids["dead-2"]))[3] is not None
    )  # neither --id nor --all
    code, out = await run_cli(
        monkeypatch, capsys, tmp_path, database, "outbox", "retry", "--tenant", world.slug, "--all"
    )
    assert (
        code == 0
        and out.startswith("1 dead notifications")
        and (await state(world, ids["dead-2"]))[3] is None
    )
    assert (await state(other, theirs["dead-2"]))[3] is not None
