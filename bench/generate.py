"""Benchmark data: a tenant with an org tree and people (through the services), then N orders with
customers, phones, vehicles, history and assignments (bulk COPY).

    .venv/bin/python -m bench.generate --orders 100000 [--reset]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time

from bench import bulk, rows
from bench.database import DEFAULT_URL, delete_tenant, prepare, vacuum_analyze
from bench.org import build
from server.db.session import Database
from server.profiles import bundled_profile_path, load_profile_dir
from server.services import tenancy


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench", help="tenant slug (default: bench)")
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--regions", type=int, default=20)
    parser.add_argument("--dealers", type=int, default=100, help="dealers per region")
    parser.add_argument("--days", type=int, default=365, help="the orders' registrations span this many days")
    parser.add_argument("--batch", type=int, default=10_000, help="orders per COPY transaction")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--reset", action="store_true", help="delete the tenant first if it exists")
    return parser


async def _fresh_tenant(database: Database, slug: str, reset: bool) -> bool:
    existing = await tenancy.tenant_id_by_slug(database, slug)
    if existing is None:
        return True
    if not reset:
        print(f"tenant '{slug}' exists already; run with --reset to delete and regenerate it", file=sys.stderr)
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
        print(f"tenant '{args.slug}' (id {org.tenant_id}): {args.regions} regions, {len(org.dealers)} dealers, "
              f"{2 * len(org.dealers) + args.regions + 3} users, in {time.perf_counter() - started:.1f}s")
        started = time.perf_counter()
        await bulk.load(database, rows.Setting.of(org, profile), args.orders, args.batch, args.days, args.seed)
        print(f"{args.orders:,} orders in {time.perf_counter() - started:.1f}s; vacuum analyze ...")
        await vacuum_analyze(database)
        return 0
    finally:
        await database.dispose()


def main() -> int:
    return asyncio.run(generate(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
