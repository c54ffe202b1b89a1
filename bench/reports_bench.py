"""The reports benchmark (issue 17), in-process on the product's code paths, against a tenant of
`bench.generate --orders 1000000 --clocks`:

- the widened board, the contract's BoardFigures operation executed by the schema (counts, clock
  status, overdue page, 30-day trend), as the brand's SE and as one dealer's manager: p50/p95 over
  --runs requests, goal p95 ≤ 150 ms (SE) and ≤ 50 ms (dealer);
- the monthly analysis of the brand for the last full month: best and worst of 3, goal ≤ 5 s;
- the order export of 200,000 filtered orders (registered in the latest --export-days, about 73
  days of 365), in a child process that reports its own peak RSS (VmHWM): rows/s and peak RSS, goal
  ≥ 20,000 rows/s and ≤ 150 MB, with the exporting process's CPU time.

    .venv/bin/python -m bench.reports_bench [--database-url URL] [--runs 40]

The machine's load average is printed beside every figure (bench/README.md, reports).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

from bench import bodies
from bench.database import DEFAULT_URL
from complaintdesk import heap
from schema.app import schema
from schema.context import Context
from server.db import migrate
from server.db.session import Database
from server.security.auth import Claims
from server.services import analysis, board, exports, queries, tenancy
from server.services.caller import Caller, tenant_caller

GOALS = {"board-se": 150.0, "board-dealer": 50.0, "analysis": 5.0, "rows/s": 20_000, "rss": 150}


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--runs", type=int, default=40, help="board requests per scope")
    parser.add_argument("--export-days", type=int, default=73)
    parser.add_argument("--only", default="board,analysis,export")
    parser.add_argument("--export-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_child:
        asyncio.run(_export_child(args))
        return
    asyncio.run(_run(args))


async def _people(database: Database, slug: str) -> tuple[int, int, int]:
    tenant_id = await tenancy.tenant_id_by_slug(database, slug)
    if tenant_id is None:
        raise SystemExit(f"no tenant '{slug}': run bench.generate first")
    query = text(
        "SELECT r.role, r.user_id FROM role_assignments r JOIN org_units u ON u.id = r.org_unit_id"
        " WHERE r.tenant_id = :t AND r.role IN ('se', 'manager') ORDER BY u.path LIMIT 2000"
    )
    async with database.engine.connect() as conn:
        found = (await conn.execute(query, {"t": tenant_id})).all()
    se = next(user for role, user in found if role == "se")
    manager = next(user for role, user in found if role == "manager")
    return tenant_id, se, manager


async def _caller(database: Database, tenant_id: int, user: int) -> Caller:
    return await tenant_caller(database, Claims(str(user), tenant_id, False))


async def _run(args: argparse.Namespace) -> None:
    database = Database(args.database_url)
    await migrate.upgrade(database.write_engine)
    tenant_id, se, manager = await _people(database, args.slug)
    # bench.generate loads by COPY, past the ORM flush that keeps the board's counts.
    started = time.perf_counter()
    differing = await board.recount(database, tenant_id, fix=True)
    autocommit = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with autocommit.connect() as conn:
        await conn.execute(text("VACUUM ANALYZE board_counts, trend_hours"))
    took = time.perf_counter() - started
    print(f"board counts recounted: {differing} differed, {took:.1f} s; {load()}")
    only = set(args.only.split(","))
    try:
        if "board" in only:
            for label, user, goal in (("SE", se, "board-se"), ("dealer", manager, "board-dealer")):
                await _board(database, tenant_id, user, label, GOALS[goal], args.runs)
        if "analysis" in only:
            await _analysis(database, tenant_id, se)
    finally:
        await database.dispose()
    if "export" in only:
        _export(args)


async def _board(
    database: Database, tenant_id: int, user: int, label: str, goal: float, runs: int
) -> None:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    variables = {"from": str(today - timedelta(days=29)), "to": str(today)}
    times, cpus = [], []
    for n in range(runs + 3):
        caller = await _caller(database, tenant_id, user)
        started, cpu = time.perf_counter(), time.process_time()
        result = await schema.execute(
            bodies.operation("BoardFigures"),
            variable_values=variables,
            context_value=Context(caller, "bench"),
        )
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
        await caller.db.close()
        if result.errors:
            raise RuntimeError(result.errors)
        if n >= 3:  # the first requests load the tenant's runtime and warm the caches
            times.append(elapsed)
            cpus.append(cpu)
    times.sort()
    p95 = times[max(0, -(-len(times) * 95 // 100) - 1)]
    board = result.data["board"] if result.data else {}
    print(
        f"board, {label}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms "
        f"(goal ≤ {goal:.0f} ms), best {times[0]:.1f}, worst {times[-1]:.1f}; "
        f"{board.get('open')} open orders; Python CPU per request {statistics.median(cpus):.1f} ms"
        f" (median); {load()}"
    )


async def _analysis(database: Database, tenant_id: int, se: int) -> None:
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    month = f"{now.replace(day=1) - timedelta(days=1):%Y-%m}"
    seconds = []
    for _ in range(3):
        caller = await _caller(database, tenant_id, se)
        started = time.perf_counter()
        figures = await analysis.complaint_analysis(caller, month)
        seconds.append(time.perf_counter() - started)
        await caller.db.close()
    print(
        f"analysis, brand, {month}: best {min(seconds):.2f} s, worst {max(seconds):.2f} s "
        f"(goal ≤ {GOALS['analysis']:.0f} s); {figures['total']:,} orders; {load()}"
    )


def _export(args: argparse.Namespace) -> None:
    command = [sys.executable, "-m", "bench.reports_bench", "--export-child"]
    command += ["--database-url", args.database_url, "--slug", args.slug]
    command += ["--export-days", str(args.export_days)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    rss = figures["rss_kb"] / 1024
    print(
        f"export: {figures['rows']:,} rows in {figures['seconds']:.1f} s = "
        f"{figures['rows'] / figures['seconds']:,.0f} rows/s (goal ≥ {GOALS['rows/s']:,}), "
        f"peak RSS {rss:.0f} MB (goal ≤ {GOALS['rss']} MB), "
        f"{figures['bytes'] / 1e6:.1f} MB workbook; the exporting process's own CPU "
        f"{figures['cpu']:.1f} s = {figures['rows'] / figures['cpu']:,.0f} rows per CPU-second "
        f"(what a free core would reach, the database's share aside); {load()}"
    )


async def _export_child(args: argparse.Namespace) -> None:
    database = Database(args.database_url)
    tenant_id, se, _ = await _people(database, args.slug)
    caller = await _caller(database, tenant_id, se)
    heap.settle()  # as the serving process, whose download endpoint writes the same workbook
    now = datetime.now(UTC)
    where = queries.OrderFilter(registered_from=now - timedelta(days=args.export_days))
    with tempfile.TemporaryDirectory(prefix="reports-bench-") as folder:
        path = Path(folder) / "orders.xlsx"
        started, cpu = time.perf_counter(), time.process_time()
        rows = await exports.export_orders(caller, where, path)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        size = path.stat().st_size
    await caller.db.close()
    await database.dispose()
    rss = _peak_rss_kb()
    print(json.dumps({"rows": rows, "seconds": seconds, "cpu": cpu, "bytes": size, "rss_kb": rss}))


def _peak_rss_kb() -> int:
    """This process's peak RSS since exec (VmHWM): getrusage's maxrss keeps the high-water mark of
    the parent the process was forked from."""
    status = Path("/proc/self/status").read_text().splitlines()
    return int(next(line for line in status if line.startswith("VmHWM:")).split()[1])


if __name__ == "__main__":
    main()
