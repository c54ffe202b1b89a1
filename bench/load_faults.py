"""Load with faults (issue 18, item 7): many clients on two server processes and two workers, on a
private PostgreSQL and Redis (other ports, a temporary directory: the machine's own services are
never touched), while PostgreSQL is restarted once, a worker child is killed once and Redis is
stopped for 30 s. Loopback only, bounded in time. Afterwards it counts what was lost or
duplicated (orders, history events, notifications), the 5xx answers outside the outage windows,
the requests that failed cleanly during them, the time to recover after each fault (read from
/readyz and /metrics) and p50/p95/p99 latency.

    .venv/bin/python -m bench.load_faults                   # 200 clients, 5 minutes
    .venv/bin/python -m bench.load_faults --clients 50 --seconds 90
    .venv/bin/python -m bench.load_faults --dry-run         # the plan; nothing started
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import Popen

import httpx

from bench.bodies import operation
from bench.uvicorn_process import free_port
from schema.ids import decode, encode
from server.services import demo
from server.services.demo_plan import plan

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SECRET = "load-faults-secret-with-at-least-32-bytes!"
SHARED_PHONES = [f"1370000{n:04d}" for n in range(20)]  # the same new phone from several clients


@dataclass(frozen=True)
class Plan:
    clients: int = 200
    seconds: float = 300.0
    redis_outage: float = 30.0
    # A person's pause between two requests, on average (uniform from 0 to twice it); 0: every
    # client sends its next request at once, which saturates the machine (bench/README.md)
    think: float = 0.0
    servers: int = 2
    workers: int = 2

    def faults(self) -> list[tuple[float, str]]:
        """(seconds after the start, fault): spread so each recovers before the next."""
        return [
            (0.2 * self.seconds, "restart PostgreSQL"),
            (0.4 * self.seconds, "kill a worker child"),
            (0.6 * self.seconds, f"stop Redis for {self.redis_outage:.0f} s"),
        ]


def tools() -> dict[str, str | None]:
    pg_bin = sorted(Path("/usr/lib/postgresql").glob("*/bin"))
    found = {name: shutil.which(name) for name in ("initdb", "pg_ctl", "redis-server")}
    for name in ("initdb", "pg_ctl"):
        if found[name] is None and pg_bin:
            found[name] = str(pg_bin[-1] / name)
    return found


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)  # nearest rank
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def tally(acknowledged: list[str], stored: Counter[str]) -> tuple[int, int]:
    """(lost, duplicated): acknowledged keys missing from the store, and keys stored twice."""
    lost = sum(1 for key in acknowledged if stored[key] == 0)
    return lost, sum(1 for n in stored.values() if n > 1)


class Services:
    """A private PostgreSQL (initdb into a temporary directory) and Redis, on free ports."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.found = folder, tools()
        self.pg_port, self.redis_port = free_port(), free_port()
        self.redis: Popen | None = None
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _pg(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, str(self.found["pg_ctl"]), *args], check=True)

    def start(self) -> None:
        data = self.folder / "pg"
        self.folder.chmod(0o777)
        subprocess.run(
            [
                *self.as_postgres,
                str(self.found["initdb"]),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
            ],
            check=True,
            capture_output=True,
        )
        self.start_pg()
        self.start_redis()

    def start_pg(self) -> None:
        options = f"-p {self.pg_port} -k {self.folder} -c listen_addresses=127.0.0.1"
        self._pg(
            "-D",
            str(self.folder / "pg"),
            "-o",
            options,
            "-l",
            str(self.folder / "pg.log"),
            "-w",
            "start",
        )

    def restart_pg(self) -> None:
        self._pg("-D", str(self.folder / "pg"), "-m", "fast", "-w", "stop")
        self.start_pg()

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            [
                str(self.found["redis-server"]),
                "--port",
                str(self.redis_port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.terminate()
            self.redis.wait()
            self.redis = None

    def stop(self) -> None:
        self.stop_redis()
        self._pg("-D", str(self.folder / "pg"), "-m", "immediate", "stop")

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{self.pg_port}/postgres",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "JWT_SECRET": SECRET,
            # every client comes from 127.0.0.1 with one of two tokens: the abuse limits would
            # measure themselves, not the faults
            "RATE_LIMIT_TOKEN": str(10**15),
            "RATE_LIMIT_IP": str(10**15),
            "NOTIFY_LOG": str(self.folder / "notifications.jsonl"),
            "dramatiq_prom_host": "127.0.0.1",
            "dramatiq_prom_port": str(free_port()),
        }


@dataclass
class Record:
    samples: list[tuple[float, str, int, float]] = field(default_factory=list)  # t, op, status, ms
    registered: list[str] = field(default_factory=list)  # tags of acknowledged registrations
    orders: list[str] = field(default_factory=list)  # their ids
    reviewed: list[str] = field(default_factory=list)  # orders an acknowledged review moved
    ready: list[tuple[float, bool]] = field(default_factory=list)  # /readyz of every server
    workers_back: float | None = None  # seconds until the killed child was replaced
    totals: dict[str, int] = field(default_factory=dict)


async def prepare(env: dict[str, str]) -> tuple[dict[str, str], str, str]:
    from server import settings as settings_module
    from server.db import migrate
    from server.db.session import Database
    from server.security.auth import Claims, mint

    settings = settings_module.load(env)
    database = Database(settings.database_url)
    try:
        await migrate.upgrade(database.write_engine)
        loaded = await demo.load_demo(database, orders=20, progress=lambda _s: None)
        tokens = {
            u.username: mint(settings, Claims(str(u.user_id), loaded.tenant_id, False))
            for u in loaded.users
        }
    finally:
        await database.dispose()
    return tokens, env["DATABASE_URL"], f"/{loaded.slug}{plan(loaded.profile).home_dealer}"


async def client(
    n: int,
    bases: list[str],
    tokens: dict[str, str],
    dealer: str,
    run: str,
    end: float,
    record: Record,
    *,
    think: float,
) -> None:
    rng = random.Random(n)
    async with httpx.AsyncClient(timeout=30) as http:
        count = 0
        while time.monotonic() < end:
            count += 1
            base, roll, tag, order = bases[n % len(bases)], rng.random(), "", ""
            if roll < 0.6:
                name, user = "Worklist", "care"
                variables: dict[str, object] = {"first": 20}
            elif roll < 0.85 or not record.orders:
                name, user, tag = "RegisterComplaint", "operator", f"lf-{run}-{n}-{count}"
                phone = (
                    rng.choice(SHARED_PHONES) if rng.random() < 0.3 else f"136{n:04d}{count:04d}"
                )
                variables = {
                    "input": {
                        "dealerId": dealer,
                        "customer": {"name": "王先生", "phones": [phone]},
                        "channel": "hotline_400",
                        "category": "A4a",
                        "summary": "赠品未兑现",
                        "details": tag,
                    }
                }
            else:
                name, user = "TransitionWorkOrder", "care"
                order = rng.choice(record.orders)
                variables = {"input": {"id": order, "expectedVersion": 1, "transition": "review"}}
            started = time.monotonic()
            try:
                response = await http.post(
                    f"{base}/graphql",
                    json={"query": operation(name), "operationName": name, "variables": variables},
                    headers={"Authorization": f"Bearer {tokens[user]}"},
                )
                status, body = response.status_code, response.json()
            except (httpx.HTTPError, ValueError):
                status, body = 0, {}
            record.samples.append((started, name, status, (time.monotonic() - started) * 1000))
            result = next(iter((body.get("data") or {}).values()), None) or {}
            if name == "RegisterComplaint" and result.get("__typename") == "WorkOrderPayload":
                record.registered.append(tag)
                record.orders.append(result["order"]["id"])
            if name == "TransitionWorkOrder" and result.get("__typename") == "WorkOrderPayload":
                record.reviewed.append(order)
            if status == 0 or status >= 500:
                await asyncio.sleep(0.5)  # a client backs off from a failing server
            if think:
                await asyncio.sleep(rng.uniform(0, 2 * think))


async def watch(bases: list[str], end: float, record: Record) -> None:
    async with httpx.AsyncClient(timeout=3) as http:
        while time.monotonic() < end:
            ok = True
            for base in bases:
                try:
                    ok = ok and (await http.get(f"{base}/readyz")).status_code == 200
                except httpx.HTTPError:
                    ok = False
            record.ready.append((time.monotonic(), ok))
            await asyncio.sleep(0.5)


async def workers_back(
    workers: list[Popen], count: int, killed: int, since: float, record: Record
) -> None:
    """Watches for the pool to have `count` live children again, the killed one replaced."""
    for _ in range(240):
        await asyncio.sleep(0.5)
        children = worker_children(workers)
        if len(children) >= count and killed not in children:
            record.workers_back = time.monotonic() - since
            return


def recovered_after(record: Record, since: float) -> float | None:
    """Seconds from `since` to the first ready probe at or after it."""
    return next((t - since for t, ok in record.ready if t >= since and ok), None)


def worker_children(workers: list[Popen]) -> list[int]:
    """The leaves of the worker processes' trees: Dramatiq's worker children, however many
    processes (a supervisor, Dramatiq's own) stand above them."""
    leaves = []
    pending = [worker.pid for worker in workers]
    while pending:
        pid = pending.pop()
        children = [int(c) for c in _children(pid)]
        if children:
            pending += children
        elif pid not in (w.pid for w in workers):
            leaves.append(pid)
    return sorted(leaves)


def _children(pid: int) -> list[str]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return path.read_text().split()
    except OSError:  # it has just ended
        return []


async def faults(
    plan: Plan,
    services: Services,
    workers: list[Popen],
    start: float,
    windows: list[tuple[str, float, float]],
    record: Record,
) -> None:
    watching: list[asyncio.Task[None]] = []
    for at, name in plan.faults():
        await asyncio.sleep(max(0.0, start + at - time.monotonic()))
        began = time.monotonic()
        if name.startswith("restart"):
            await asyncio.to_thread(services.restart_pg)
        elif name.startswith("kill"):
            children = worker_children(workers)
            if children:
                os.kill(children[0], signal.SIGKILL)
                watching.append(
                    asyncio.create_task(
                        workers_back(workers, len(children), children[0], began, record)
                    )
                )
        else:
            await asyncio.to_thread(services.stop_redis)
            await asyncio.sleep(plan.redis_outage)
            await asyncio.to_thread(services.start_redis)
        windows.append((name, began, time.monotonic()))
        print(
            f"  {began - start:6.1f} s  {name}: done in {time.monotonic() - began:.1f} s",
            flush=True,
        )
    await asyncio.gather(*watching)


async def counts(url: str, record: Record, log: Path) -> dict[str, tuple[int, int]]:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT details, count(*) AS n FROM work_orders"
            " WHERE details LIKE 'lf-%' GROUP BY details"
        )
        orders = tally(record.registered, Counter({r["details"]: r["n"] for r in rows}))
        rows = await conn.fetch(
            "SELECT work_order_id, count(*) AS n FROM work_order_events"
            " WHERE to_state = 'in_progress' GROUP BY work_order_id"
        )
        events = Counter({str(r["work_order_id"]): r["n"] for r in rows})
        reviewed = [str(decode("WorkOrder", order)) for order in record.reviewed]
        owed = await conn.fetchval(
            "SELECT count(*) FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL"
        )
        delivered = {
            r["key"]
            for r in await conn.fetch("SELECT key FROM outbox WHERE delivered_at IS NOT NULL")
        }
    finally:
        await conn.close()
    lines = await asyncio.to_thread(sent_lines, log)
    sent = Counter(json.loads(line)["key"] for line in lines)
    notifications = (int(owed) + len(delivered - set(sent)), sum(1 for n in sent.values() if n > 1))
    record.totals = {
        "orders": len(record.registered),
        "events": len(reviewed),
        "notifications": len(sent),
    }
    return {"orders": orders, "events": tally(reviewed, events), "notifications": notifications}


def sent_lines(log: Path) -> list[str]:
    """What the log sender wrote: one JSON line per notification sent."""
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def report(
    plan: Plan,
    record: Record,
    windows: list[tuple[str, float, float]],
    lost: dict[str, tuple[int, int]],
    start: float,
) -> None:
    def in_window(t: float) -> bool:
        return any(began - 1 <= t <= ended + 30 for _n, began, ended in windows)

    ok = [ms for _t, _o, status, ms in record.samples if status == 200]
    outside_5xx = Counter(s for t, _o, s, _ms in record.samples if s >= 500 and not in_window(t))
    failed = Counter(s for t, _o, s, _ms in record.samples if s != 200 and in_window(t))
    clean = ", ".join(f"{n} × {status or 'no answer'}" for status, n in sorted(failed.items()))
    print(
        f"\n{len(record.samples)} requests from {plan.clients} clients in {plan.seconds:.0f} s;"
        f" load average {os.getloadavg()[0]:.2f}"
    )
    print(
        f"latency of answered requests: p50 {percentile(ok, 50):.0f} ms, p95"
        f" {percentile(ok, 95):.0f} ms, p99 {percentile(ok, 99):.0f} ms"
    )
    for what, (gone, twice) in lost.items():
        print(
            f"{what:<14} {record.totals.get(what, 0):6d} acknowledged or sent,"
            f" lost {gone}, duplicated {twice}"
        )
    shown = ", ".join(f"{n} × {status}" for status, n in sorted(outside_5xx.items())) or "none"
    print(f"5xx outside the outage windows: {shown}; failed during them: {clean or 'none'}")
    for name, began, ended in windows:
        seconds = record.workers_back if name.startswith("kill") else recovered_after(record, ended)
        shown = "not within the run" if seconds is None else f"{seconds:.1f} s"
        print(f"recovery after '{name}' (at {began - start:.0f} s): {shown}")


def launch(
    plan: Plan, env: dict[str, str], ports: list[int], log: Path, processes: list[Popen]
) -> list[Popen]:
    """The servers, the workers and the scheduler, added to `processes`; returns the workers."""

    def start(*command: str) -> Popen:
        with log.open("ab") as errors:
            process = subprocess.Popen(
                command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=errors
            )
        processes.append(process)
        return process

    uvicorn = str(BIN / "uvicorn")
    for port in ports:
        start(
            uvicorn,
            "--factory",
            "complaintdesk.app:create_app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        )
    cli = str(BIN / "complaintdesk")
    workers = [start(cli, "worker", "--processes", "1") for _ in range(plan.workers)]
    start(cli, "scheduler")
    return workers


async def run(plan: Plan) -> None:
    folder = Path(tempfile.mkdtemp(prefix="load-faults-"))
    services = Services(folder)
    services.start()
    processes: list[Popen] = []
    try:
        env = services.env()
        tokens, url, home = await prepare(env)
        ports = [free_port() for _ in range(plan.servers)]
        workers = launch(plan, env, ports, folder / "processes.log", processes)
        bases = [f"http://127.0.0.1:{p}" for p in ports]
        async with httpx.AsyncClient() as http:
            for base in bases:
                for _ in range(60):
                    try:
                        if (await http.get(f"{base}/readyz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.5)
        dealer = await dealer_id(url, home)
        record, run_id = Record(), uuid.uuid4().hex[:6]
        windows: list[tuple[str, float, float]] = []
        start = time.monotonic()
        end = start + plan.seconds
        print(f"running {plan.clients} clients for {plan.seconds:.0f} s on {bases}", flush=True)
        await asyncio.gather(
            *(
                client(n, bases, tokens, dealer, run_id, end, record, think=plan.think)
                for n in range(plan.clients)
            ),
            watch(bases, end + 30, record),
            faults(plan, services, workers, start, windows, record),
        )
        await asyncio.sleep(30)  # the outbox drains: the scheduler ticks every minute
        report(
            plan, record, windows, await counts(url, record, folder / "notifications.jsonl"), start
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        services.stop()
        shutil.rmtree(folder, ignore_errors=True)


async def dealer_id(url: str, path: str) -> str:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        unit = await conn.fetchval("SELECT id FROM org_units WHERE path = $1", path)
    finally:
        await conn.close()
    return str(encode("OrgUnit", unit))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load with faults (issue 18, item 7).")
    parser.add_argument("--clients", type=int, default=Plan.clients)
    parser.add_argument("--seconds", type=float, default=Plan.seconds)
    parser.add_argument("--redis-outage", type=float, default=Plan.redis_outage)
    parser.add_argument(
        "--think", type=float, default=Plan.think, help="mean seconds between a client's requests"
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan; start nothing")
    args = parser.parse_args(argv)
    plan = Plan(args.clients, args.seconds, args.redis_outage, args.think)
    found = tools()
    print(
        f"{plan.clients} clients, {plan.seconds:.0f} s, {plan.servers} servers,"
        f" {plan.workers} workers, private PostgreSQL and Redis on loopback,"
        f" {plan.think:g} s between a client's requests on average"
    )
    for at, name in plan.faults():
        print(f"  at {at:5.0f} s: {name}")
    missing = [name for name, path in found.items() if path is None]
    if missing:
        print(f"missing: {', '.join(missing)}")
        return 2
    if args.dry_run:
        print("dry run: nothing started")
        return 0
    asyncio.run(run(plan))
    return 0


if __name__ == "__main__":
    sys.exit(main())
