"""Benchmark data: a tenant with an org tree and people (through the services), then N orders with
customers, phones, vehicles, history and assignments (bulk COPY).

    .venv/bin/python -m bench.generate --orders 100000 [--reset]
    .venv/bin/python -m bench.generate --orders 1000000 --month 2026-11 --reset  # reconciliation
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime

from bench import bulk, clock_rows, escalation_load, month_rows, rows
from bench.database import DEFAULT_URL, delete_tenant, prepare, vacuum_analyze
from bench.org import build
from server.db.session import Database
from server.domain.kpi import Month
from server.profiles import bundled_profile_path, load_profile_dir
from server.services import tenancy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench", help="tenant slug (default: bench)")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--dealers", type=int, default=100, help="dealers per region")
    parser.add_argument(
        "--days", type=int, default=365, help="the orders' registrations span this many days"
    )
    parser.add_argument("--batch", type=int, default=10_000, help="orders per COPY transaction")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--reset", action="store_true", help="delete the tenant first if it exists")
    parser.add_argument(
        "--escalated",
        type=int,
        default=0,
        help="then escalate this many orders (bench/escalation_load.py)",
    )
    parser.add_argument(
        "--open", action="store_true", help="every order stays open (no cancelled or closed ones)"
    )
    parser.add_argument(
        "--clocks",
        action="store_true",
        help="write the orders' SLA clocks and next deadline (bench/clock_rows.py)",
    )
    parser.add_argument(
        "--month",
        help="every order registered in this month (YYYY-MM, over by now), then its settled "
        "clocks, breaches and repeats (bench/month_rows.py): the reconciliation's data",
    )
    return parser


async def _fresh_tenant(database: Database, slug: str, reset: bool) -> bool:
    existing = await tenancy.tenant_id_by_slug(database, slug)
    if existing is None:
        return True
    if not reset:
        print(
            f"tenant '{slug}' exists already; run with --reset to delete and regenerate it",
            file=sys.stderr,
        )
        return False
    started = time.perf_counter()
    await delete_tenant(database, existing)
    print(f"deleted tenant '{slug}' (id {existing}) in {time.perf_counter() - started:.1f}s")
    return True


async def generate(args: argparse.Namespace) -> int:
    database = await prepare(args.database_url)
    try:
        if not await _fresh_tenant(database, args.slug, args.reset):
            return 2
        profile = load_profile_dir(bundled_profile_path("skoda"))
        started = time.perf_counter()
        org = await build(database, args.slug, profile, args.regions, args.dealers)
        print(
            f"tenant '{args.slug}' (id {org.tenant_id}): {args.regions} regions, "
            f"{len(org.dealers)} dealers, {2 * len(org.dealers) + args.regions + 3} users, "
            f"in {time.perf_counter() - started:.1f}s"
        )
        started = time.perf_counter()
        setting = rows.Setting.of(org, profile, rows.OPEN_PATHS if args.open else rows.PATHS)
        clocks = await _clocks(database, org.tenant_id, args.seed) if args.clocks else None
        timeline = _timeline(args, profile.timezone)
        await bulk.load(database, setting, args.orders, args.batch, timeline, args.seed, clocks)
        print(f"{args.orders:,} orders in {time.perf_counter() - started:.1f}s")
        if args.month:
            started = time.perf_counter()
            month = Month.parse(args.month)
            start = month.start(profile.timezone)
            written = await month_rows.write(database, org.tenant_id, start)
            listed = ", ".join(f"{count:,} {name}" for name, count in written.items())
            print(f"{listed}, in {time.perf_counter() - started:.1f}s")
        if args.escalated:
            started = time.perf_counter()
            loaded = await escalation_load.load(database, org.tenant_id, args.escalated, args.seed)
            print(f"{loaded}, in {time.perf_counter() - started:.1f}s")
        print("vacuum analyze ...")
        await vacuum_analyze(database)
        return 0
    finally:
        await database.dispose()


def _timeline(args: argparse.Namespace, zone: str) -> rows.Timeline:
    if args.month is None:
        return rows.Timeline.ending_yesterday(datetime.now(UTC), args.orders, args.days)
    month = Month.parse(args.month)
    return rows.Timeline.between(month.start(zone), month.end(zone), args.orders)


async def _clocks(database: Database, tenant_id: int, seed: int) -> clock_rows.Clocks:
    # Its own random stream: the orders are the same with or without --clocks.
    return clock_rows.Clocks(
        await tenancy.runtime(database, tenant_id, 0), datetime.now(UTC), random.Random(seed + 1)
    )


def main() -> int:
    return asyncio.run(generate(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
