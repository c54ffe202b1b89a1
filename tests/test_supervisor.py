"""`complaintdesk worker` and `complaintdesk scheduler` start their work again after a process of it
is killed (complaintdesk/supervise.py, docs/operations.md)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import need_service
from test_workers_redis import (
    BIN,
    ROOT,
    _equals,
    due_orders,
    environment,
    pg,  # noqa: F401  (the fixture, for the worker's test)
    send,
    start_worker,
    stop,
    table_count,
    wait_for,
)

from server.db.models import OutboxMessage, SlaEffect


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def wait_for_children(pid: int, seconds: float = 60, *, other_than: int | None = None) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = [p for p in children(pid) if p != other_than]
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"no child of {pid} within {seconds} s")


def test_the_scheduler_starts_again_after_its_process_is_killed(tmp_path: Path):
    env = dict(os.environ)
    env.pop("REDIS_URL", None)
    env.update(
        DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        COMPLAINTDESK_VAR=str(tmp_path),
    )
    with (tmp_path / "scheduler.log").open("wb") as out:
        supervisor = subprocess.Popen(
            [str(BIN / "complaintdesk"), "scheduler"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    try:
        (first,) = wait_for_children(supervisor.pid)
        os.kill(first, signal.SIGKILL)
        (second,) = wait_for_children(supervisor.pid, other_than=first)
        assert second != first and supervisor.poll() is None
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    assert children(supervisor.pid) == []
    assert "starting it again" in (tmp_path / "scheduler.log").read_text()


@pytest.mark.redis
async def test_the_worker_pool_starts_again_after_one_worker_process_is_killed(pg, tmp_path):  # noqa: F811
    need_service("Redis", "127.0.0.1", 6379)
    await due_orders(pg, 5)
    env = environment(pg, tmp_path / "sent.jsonl")
    supervisor = start_worker(env, tmp_path)
    try:
        (pool,) = wait_for_children(supervisor.pid)
        worker = wait_for_children(pool)[0]
        os.kill(worker, signal.SIGKILL)  # what the kernel's OOM killer does
        (restarted,) = wait_for_children(supervisor.pid, 120, other_than=pool)
        assert restarted != pool and supervisor.poll() is None
        wait_for_children(restarted)
        send(env, "scan_deadlines")
        await wait_for(lambda: _equals(table_count(pg, SlaEffect), 10), seconds=120)
        send(env, "flush_outbox")
        delivered = OutboxMessage.delivered_at.is_not(None)
        await wait_for(lambda: _equals(table_count(pg, OutboxMessage, delivered), 20), 120)
    finally:
        stop(supervisor)
