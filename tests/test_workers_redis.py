"""Worker processes on real Redis and PostgreSQL: two at once, one killed mid-scan, Redis down."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import DB_SUFFIX, as_login_role, fresh_pg_database, need_service
from sqlalchemy import func, select
from support import make_world, register

from schema.ids import decode
from server.db import migrate
from server.db.models import OutboxMessage, SlaEffect
from server.db.session import Database

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_DB = f"complaintdesk_workers_test{DB_SUFFIX}"
PAST = datetime(2025, 9, 30, 2, 0, tzinfo=UTC)  # orders received then have both clocks breached


@pytest.fixture
async def pg(tmp_path):
    need_service("PostgreSQL", "127.0.0.1", 5432)
    need_service("Redis", "127.0.0.1", 6379)
    owner = Database(await fresh_pg_database(PG_DB))
    await migrate.upgrade(owner.engine)
    await owner.dispose()
    database = Database(as_login_role(owner.url))  # the workers log in as production's do
    yield database
    await database.dispose()


def environment(
    database: Database, log: Path, redis_url: str = "redis://127.0.0.1:6379/0"
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database.url,
        REDIS_URL=redis_url,
        COMPLAINTDESK_QUEUE_NAMESPACE=f"cd-test-{uuid.uuid4().hex[:8]}",
        NOTIFY_LOG=str(log),
    )
    return env


def start_worker(env: dict[str, str], tmp_path: Path) -> subprocess.Popen[bytes]:
    with (tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log").open(
        "wb"
    ) as out:  # the child keeps its own copy
        return subprocess.Popen(
            [str(BIN / "complaintdesk"), "worker", "--processes", "1", "--threads", "2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def send(env: dict[str, str], *actors: str) -> None:
    code = "import workers.actors as a\n" + "".join(f"a.{name}.send()\n" for name in actors)
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Graceful: dramatiq's main process passes SIGTERM on to its worker processes itself."""
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=60)


def kill(proc: subprocess.Popen[bytes]) -> None:
    """The worker and its children die at once, mid-message."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)


async def table_count(database: Database, model, *where) -> int:
    async with database.platform() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def wait_for(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.2)
    raise AssertionError("timed out waiting")


async def due_orders(database: Database, count: int) -> None:
    world = await make_world(database)
    world.clock.now = PAST
    for n in range(count):
        await register(world, customer={"name": f"客户{n}", "phones": [f"139{n:08d}"]})


def delivered_keys(log: Path) -> list[str]:
    return (
        [json.loads(line)["key"] for line in log.read_text(encoding="utf-8").splitlines()]
        if log.exists()
        else []
    )


async def test_two_workers_scanning_the_same_due_orders_record_and_send_each_once(pg, tmp_path):
    await due_orders(pg, 30)
    env = environment(pg, tmp_path / "sent.jsonl")
    workers = [start_worker(env, tmp_path), start_worker(env, tmp_path)]
    try:
        send(env, *["scan_deadlines"] * 6)
        await wait_for(lambda: _equals(table_count(pg, SlaEffect), 60))
        send(env, *["flush_outbox"] * 4)
        await wait_for(
            lambda: _equals(
                table_count(pg, OutboxMessage, OutboxMessage.delivered_at.is_not(None)), 120
            )
        )
    finally:
        for proc in workers:
            stop(proc)
    keys = delivered_keys(tmp_path / "sent.jsonl")
    assert len(keys) == len(set(keys)) == 120  # 30 orders x 2 clocks x 2 managers
    assert await table_count(pg, SlaEffect) == 60


async def test_a_worker_killed_mid_scan_leaves_nothing_half_done(pg, tmp_path):
    await due_orders(pg, 400)
    env = environment(pg, tmp_path / "sent.jsonl") | {
        "COMPLAINTDESK_SCAN_BATCH": "10"
    }  # 40 transactions
    worker = start_worker(env, tmp_path)
    send(env, "scan_deadlines")
    await wait_for(lambda: _more_than(table_count(pg, SlaEffect), 0))
    kill(worker)
    partial = await table_count(pg, SlaEffect)
    assert partial < 800  # killed before the scan finished
    worker = start_worker(env, tmp_path)
    try:
        send(env, "scan_deadlines", "scan_deadlines")
        await wait_for(lambda: _equals(table_count(pg, SlaEffect), 800), seconds=120)
        send(env, "flush_outbox")
        await wait_for(
            lambda: _equals(
                table_count(pg, OutboxMessage, OutboxMessage.delivered_at.is_not(None)), 1600
            ),
            120,
        )
    finally:
        stop(worker)
    keys = delivered_keys(tmp_path / "sent.jsonl")
    assert len(keys) == len(set(keys)) == 1600


async def test_with_redis_down_the_api_works_and_the_outbox_delivers_when_it_is_back(pg, tmp_path):
    port = _free_port()
    redis = _private_redis(port)
    env = environment(pg, tmp_path / "sent.jsonl", f"redis://127.0.0.1:{port}/0")
    redis.terminate()
    redis.wait(timeout=10)
    world = await make_world(pg)
    order = await register(world)
    assigned = await world.gql(
        "manager_a",
        "AssignWorkOrder",
        input={
            "id": order["id"],
            "expectedVersion": 1,
            "primaryHandlerId": world.user_gid("care_a"),
        },
    )
    assert assigned["assignWorkOrder"]["__typename"] == "WorkOrderPayload"
    waiting = OutboxMessage.topic == "workorder.assigned"
    assert await table_count(pg, OutboxMessage, waiting, OutboxMessage.delivered_at.is_(None)) == 1
    tick = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", "from workers.scheduler import tick; tick('every-minute')"],
        cwd=ROOT,
        env=env,
    )
    assert tick.returncode == 0  # the scheduler logs the broker error and carries on
    redis = _private_redis(port)
    worker = start_worker(env, tmp_path)
    try:
        send(env, "flush_outbox")
        await wait_for(
            lambda: _equals(
                table_count(pg, OutboxMessage, waiting, OutboxMessage.delivered_at.is_not(None)), 1
            )
        )
    finally:
        stop(worker)
        redis.terminate()
        redis.wait(timeout=10)
    assert [k for k in delivered_keys(tmp_path / "sent.jsonl") if k.startswith("assigned:")] == [
        f"assigned:{_order_key(order['id'])}:v2:to:{world.users['care_a']}"
    ]


def _order_key(global_id: str) -> int:
    key = decode("WorkOrder", global_id)
    assert key is not None
    return key


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _private_redis(port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        if (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True
            ).stdout.strip()
            == b"PONG"
        ):
            return proc
        time.sleep(0.05)
    raise AssertionError("private redis-server did not start")


async def _equals(count, expected: int) -> bool:
    return await count == expected


async def _more_than(count, floor: int) -> bool:
    return await count > floor


async def test_a_worker_process_logs_json_lines_as_the_servers_do(pg, tmp_path):
    await due_orders(pg, 3)
    env = environment(pg, tmp_path / "sent.jsonl")
    worker = start_worker(env, tmp_path)
    try:
        send(env, "scan_deadlines")
        await wait_for(lambda: _equals(table_count(pg, SlaEffect), 6))
    finally:
        stop(worker)
    (log,) = tmp_path.glob("worker-*.log")
    text = log.read_text(encoding="utf-8")
    scans = [line for line in text.splitlines() if "deadline scan" in line]
    assert scans, text
    entry = json.loads(scans[0])  # a JSON line, not Dramatiq's text format
    assert (entry["logger"], entry["level"]) == ("complaintdesk.workers", "INFO")
    assert entry["message"].startswith("deadline scan: 3 orders")
    assert "139000000" not in text
