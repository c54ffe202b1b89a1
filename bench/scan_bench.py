"""The deadline-scan benchmark (issue 5): one scan tick as the worker runs it, against PostgreSQL
with 100,000 and with 1,000,000 open orders, 1% of them due.

    .venv/bin/python -m bench.scan_bench [--runs 5] [--sizes 100000,1000000] [--regenerate]

Each size has its own database (complaintdesk_scanbench_100k, _1m), generated on first use by
`bench.generate --open --clocks` in a child process, so the load's memory stays out of this one's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

from bench import due_set
from bench.clock_rows import Clocks
from bench.scan_report import Case, Tick, goals, table
from server.db import migrate
from server.db.session import Database
from server.services import deadlines, tenancy

SLUG = "bench"
SETTLE_AHEAD = timedelta(minutes=30)
DUE_NOW = text(
    "SELECT count(DISTINCT work_order_id) FROM work_order_clocks WHERE next_check_at <= :now"
)
OPEN = text(
    "SELECT count(*) FROM work_orders "
    "WHERE tenant_id = :tenant AND state NOT IN ('closed', 'cancelled')"
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.scan_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--sizes", default="100000,1000000", help="open orders per database, comma-separated"
    )
    parser.add_argument(
        "--share", type=float, default=0.01, help="share of the open orders due in each tick"
    )
    parser.add_argument(
        "--runs", type=int, default=5, help="timed ticks per size, each on a fresh due set"
    )
    parser.add_argument("--regenerate", action="store_true", help="generate the databases again")
    parser.add_argument("--seed", type=int, default=5)
    return parser


def database_url(orders: int) -> str:
    label = (
        f"{orders // 1_000_000}m"
        if orders % 1_000_000 == 0
        else f"{orders // 1_000}k"
        if orders % 1_000 == 0
        else str(orders)
    )
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/complaintdesk_scanbench_{label}"


async def _has_tenant(url: str) -> bool:
    database = await _open_or_none(url)
    if database is None:
        return False
    try:
        return await tenancy.tenant_id_by_slug(database, SLUG) is not None
    finally:
        await database.dispose()


async def _open_or_none(url: str) -> Database | None:
    database = Database(url, pooled=False)
    try:
        async with database.engine.connect() as conn:
            await conn.execute(text("SELECT 1 FROM work_order_clocks LIMIT 1"))
    except Exception:  # no database or no schema yet: the generator creates and migrates it
        await database.dispose()
        return None
    return database


def generate(url: str, orders: int) -> None:
    command = [
        sys.executable,
        "-m",
        "bench.generate",
        "--database-url",
        url,
        "--slug",
        SLUG,
        "--orders",
        str(orders),
        "--open",
        "--clocks",
        "--reset",
    ]
    print("$", " ".join(command[1:]), flush=True)
    subprocess.run(command, check=True)


async def measure(url: str, orders: int, due: int, runs: int, seed: int) -> Case:
    # As the worker: an unpooled Database (workers/resources.py) and the actor's batch setting.
    database = Database(url, pooled=False)
    batch = int(os.environ.get("COMPLAINTDESK_SCAN_BATCH", deadlines.BATCH))
    try:
        await migrate.upgrade(database.write_engine)  # data generated before a newer migration
        tenant_id = await tenancy.tenant_id_by_slug(database, SLUG)
        assert tenant_id is not None, f"no tenant '{SLUG}' in {url}"
        tenant = await tenancy.runtime(
            database, tenant_id, 0
        )  # warm, as in a worker that has ticked before
        async with database.engine.connect() as conn:
            open_orders = (await conn.execute(OPEN, {"tenant": tenant_id})).scalar_one()
        case = Case(orders=open_orders, due=due)
        print(
            f"{open_orders:,} open orders; {runs} ticks with {due:,} due each, "
            "+ 1 under tracemalloc",
            flush=True,
        )
        for run in range(runs + 1):
            traced = run == runs
            tick = await _one_tick(
                database, tenant, due, batch, random.Random(seed * 1000 + run), traced
            )
            case.ticks.append(tick)
            print(
                f"  tick {run + 1}{' (tracemalloc)' if traced else ''}: {tick.line()}", flush=True
            )
        return case
    finally:
        await database.dispose()


async def _one_tick(
    database: Database,
    tenant: tenancy.TenantRuntime,
    due: int,
    batch: int,
    rng: random.Random,
    traced: bool,
) -> Tick:
    # Whatever falls due from earlier sets (a due-soon response clock reaches its deadline within 24
    # business minutes) is recorded first, untimed and ahead of time, so the timed tick finds this
    # run's set and nothing else. No generated deadline comes that soon (clock_rows.MARGIN).
    leftover = await deadlines.scan(database, datetime.now(UTC) + SETTLE_AHEAD, batch)
    prepared = time.perf_counter()
    made = await due_set.make(database, Clocks(tenant, datetime.now(UTC), rng), due)
    await _vacuum(database)
    async with database.engine.connect() as conn:
        found = (await conn.execute(DUE_NOW, {"now": datetime.now(UTC)})).scalar_one()
    prepared = time.perf_counter() - prepared
    if traced:
        tracemalloc.start()
    _reset_peak_rss()
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    report = await deadlines.scan(
        database, datetime.now(UTC), batch
    )  # the body of workers.actors.scan_deadlines
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] if traced else None
    tracemalloc.stop()
    return Tick(
        seconds=seconds,
        due_found=found,
        due_soon=made.due_soon,
        breached=made.breached,
        orders=report.orders,
        effects=report.effects,
        notifications=report.notifications,
        leftover=leftover.orders,
        prepared=prepared,
        rss_before_mb=before,
        tick_rss_mb=_status_mb("VmHWM"),
        maxrss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        traced_peak_mb=None if peak is None else peak / 2**20,
    )


def _reset_peak_rss() -> None:
    """Restarts the process's RSS high-water mark (Linux: VmHWM), so the peak read after the tick
    is the tick's own rather than the due set's; ru_maxrss cannot be reset."""
    with open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")


def _status_mb(field: str) -> float:
    """A size from /proc/self/status: VmRSS (resident now) or VmHWM (its high-water mark)."""
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith(f"{field}:"))
    return int(line.split()[1]) / 1024


async def _vacuum(database: Database) -> None:
    """The due set and the settling tick rewrote rows: settle visibility maps and statistics, as
    autovacuum would, and write the dirty pages out, so the timed tick does not pay for their
    writes when it needs buffers (128 MB of shared_buffers here)."""
    async with database.engine.connect() as conn:
        conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table_name in ("work_orders", "work_order_clocks"):
            await conn.execute(text(f"VACUUM ANALYZE {table_name}"))
        await conn.execute(text("CHECKPOINT"))


async def run(args: argparse.Namespace) -> int:
    sizes = [int(size) for size in args.sizes.split(",")]
    for orders in sizes:
        url = database_url(orders)
        if args.regenerate or not await _has_tenant(url):
            generate(url, orders)
    print(
        f"load average before the ticks: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    cases = []
    for orders in sizes:
        cases.append(
            await measure(
                database_url(orders), orders, round(orders * args.share), args.runs, args.seed
            )
        )
    if len(sizes) > 1:
        # Context: the largest database with the smallest one's due count, which isolates what the
        # number of open orders (rather than due orders) costs.
        small = round(min(sizes) * args.share)
        cases.append(
            await measure(database_url(max(sizes)), max(sizes), small, args.runs, args.seed + 1)
        )
    print(f"load average after the ticks: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"process peak RSS before the first tick: {baseline:.0f} MB\n")
    print(table(cases))
    print()
    print(goals(cases))
    return 0


def main() -> int:
    return asyncio.run(run(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
