"""The monthly reconciliation on generated months (`bench.generate --month`), against its floor.

    .venv/bin/python -m bench.reconciliation_bench \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/complaintdesk_bench_p \\
        --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/complaintdesk_bench2m_p

For each database (one tenant 'bench', its orders in --month): the month's statement is removed if
an earlier run issued it, then `reconciliation.reconcile` issues it in a child process, as the
worker would; its time is taken inside the child around the call, its peak RSS from the child's
rusage (os.wait4: ru_maxrss, imports included). The floor follows in the same run: the same
per-dealer counts as one hand-written statement through psql (floor_statement below), wall
clock of psql, at the same instant as the reconciliation's (a clock or a first-time-resolution
window that ends between the two would move an order from pending). The statement's brand totals
must equal the floor's. The figures of the second database are compared with the first's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text
from sqlalchemy.engine import make_url

from bench.database import plain_dsn, tenant_tables
from server.db.session import Database
from server.domain.kpi import Measure, Month
from server.domain.workflow import Meaning
from server.services import reconciliation, tenancy
from server.services.tenancy import TenantRuntime

SECONDS, MEGABYTES, RATIO = 60.0, 300.0, 2.2


@dataclass(frozen=True)
class Figures:
    orders: int
    population: int
    seconds: float
    stages: dict[str, float]
    rss_mb: float
    floor_seconds: float
    agrees: bool
    load_before: str
    load_after: str


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reconciliation_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", action="append", required=True)
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--month", default="2026-11")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--now", type=datetime.fromisoformat, help=argparse.SUPPRESS)
    return parser


async def _tenant(database: Database, slug: str) -> TenantRuntime:
    tenant_id = await tenancy.tenant_id_by_slug(database, slug)
    if tenant_id is None:
        raise SystemExit(f"no tenant '{slug}' in {database.url}: run bench.generate --month")
    return await tenancy.runtime(database, tenant_id, 0)


async def _clear(database: Database, tenant_id: int) -> int:
    """The month issued by an earlier run goes (triggers off: superuser only), and the orders."""
    async with database.engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        for table in tenant_tables():
            if table.name.startswith("kpi_"):
                await conn.execute(table.delete().where(table.c.tenant_id == tenant_id))
        count = "SELECT count(*) FROM work_orders WHERE tenant_id = :t"
        return int((await conn.execute(text(count), {"t": tenant_id})).scalar_one())


async def _child(url: str, slug: str, month: str, now: datetime) -> None:
    database = Database(url)
    try:
        tenant = await _tenant(database, slug)
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def mark(stage: str) -> None:
            stages[stage] = time.perf_counter() - started

        run = await reconciliation.reconcile(
            database, tenant.tenant_id, month, now=now, progress=mark
        )
        seconds = time.perf_counter() - started
        async with database.engine.connect() as conn:
            population = (
                await conn.execute(
                    text("SELECT count(*) FROM kpi_order_outcomes WHERE statement_id = :s"),
                    {"s": run.statement_id},
                )
            ).scalar_one()
        print(json.dumps({"seconds": seconds, "stages": stages, "outcomes": population}))
    finally:
        await database.dispose()


def floor_statement(tenant: TenantRuntime, month: str, now: datetime) -> str:
    """Per dealer and KPI: population, timely, not timely, pending, as one statement, with the
    service's rules (population, clock outcome with breaches, first-time-resolution window)."""
    profile = tenant.profile
    rules = profile.kpi_rules
    assert rules is not None
    zone = profile.timezone
    period = Month.parse(month)
    types = ", ".join(f"'{c}'" for c, t in profile.order_types.items() if t.nature in rules.natures)
    cancelled = ", ".join(
        f"'{s.name}'" for s in profile.workflow.states if s.meaning is Meaning.CANCELLED
    )
    moment = f"'{now.isoformat()}'::timestamptz"
    clocks = {kpi.clock: kpi.code for kpi in rules.kpis if kpi.measure is Measure.CLOCK}
    ftr = [kpi.code for kpi in rules.kpis if kpi.measure is Measure.FIRST_TIME_RESOLUTION]
    kpi_of = " ".join(f"WHEN '{clock}' THEN '{code}'" for clock, code in clocks.items())
    names = ", ".join(f"'{clock}'" for clock in clocks)
    days = profile.first_time_resolution_days
    first_time = (
        f"""
        UNION ALL
        SELECT p.org_unit_id, '{ftr[0]}',
            CASE WHEN p.closed_at IS NULL THEN 'pending'
                 WHEN r.order_id IS NOT NULL THEN 'not_timely'
                 WHEN p.closed_at + interval '{days} days' > {moment} THEN 'pending'
                 ELSE 'timely' END
        FROM population p LEFT JOIN (
            SELECT r.repeat_of_id AS order_id FROM work_orders r
            JOIN work_orders o ON o.id = r.repeat_of_id
            WHERE r.tenant_id = {tenant.tenant_id} AND r.repeat_of_id IS NOT NULL
              AND r.state NOT IN ({cancelled}) AND o.tenant_id = {tenant.tenant_id}
              AND r.received_at <= o.closed_at + interval '{days} days'
            GROUP BY r.repeat_of_id
        ) r ON r.order_id = p.id"""
        if ftr
        else ""
    )
    return f"""
    WITH population AS MATERIALIZED (
        SELECT id, org_unit_id, closed_at FROM work_orders
        WHERE tenant_id = {tenant.tenant_id}
          AND registered_at >= '{period.start(zone).isoformat()}'
          AND registered_at < '{period.end(zone).isoformat()}'
          AND order_type IN ({types}) AND state NOT IN ({cancelled})
    ), breaches AS (
        SELECT work_order_id, clock, min(due_at) AS due_at FROM sla_effects
        WHERE tenant_id = {tenant.tenant_id} AND kind = 'breached' GROUP BY 1, 2
    ), clocked AS (
        SELECT p.org_unit_id, CASE c.name {kpi_of} END AS kpi, c.stopped_at,
            CASE WHEN b.due_at IS NOT NULL AND (c.due_at IS NULL OR b.due_at < c.due_at)
                 THEN b.due_at ELSE c.due_at END AS due,
            c.budget IS NOT NULL AND c.used > c.budget AS overspent
        FROM population p
        JOIN work_order_clocks c ON c.tenant_id = {tenant.tenant_id} AND c.work_order_id = p.id
          AND c.name IN ({names})
        LEFT JOIN breaches b ON b.work_order_id = p.id AND b.clock = c.name
    ), outcomes AS (
        SELECT org_unit_id, kpi,
            CASE WHEN stopped_at IS NOT NULL AND (stopped_at > due OR overspent) THEN 'not_timely'
                 WHEN stopped_at IS NOT NULL THEN 'timely'
                 WHEN due <= {moment} OR overspent THEN 'not_timely'
                 ELSE 'pending' END AS outcome
        FROM clocked{first_time}
    )
    SELECT kpi, count(DISTINCT org_unit_id) AS dealers, sum(population) AS population,
        sum(timely) AS timely, sum(not_timely) AS not_timely, sum(pending) AS pending
    FROM (
        SELECT org_unit_id, kpi, count(*) AS population,
            count(*) FILTER (WHERE outcome = 'timely') AS timely,
            count(*) FILTER (WHERE outcome = 'not_timely') AS not_timely,
            count(*) FILTER (WHERE outcome = 'pending') AS pending
        FROM outcomes GROUP BY org_unit_id, kpi
    ) per_dealer
    GROUP BY kpi ORDER BY kpi
    """


async def _brand_lines(database: Database, tenant_id: int, month: str) -> str:
    """The issued statement's totals per KPI at the brand, to compare with the floor's."""
    query = text(
        "SELECT l.kpi, l.population, l.timely, l.not_timely, l.pending "
        "FROM kpi_statement_lines l JOIN kpi_statements s ON s.id = l.statement_id "
        "WHERE s.tenant_id = :t AND s.period = :p AND l.level = 'brand' ORDER BY l.kpi"
    )
    async with database.engine.connect() as conn:
        found = (await conn.execute(query, {"t": tenant_id, "p": month})).all()
    return "\n".join("|".join(str(v) for v in row) for row in found)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


async def _prepare(url: str, slug: str) -> tuple[TenantRuntime, int]:
    database = Database(url)
    try:
        tenant = await _tenant(database, slug)
        return tenant, await _clear(database, tenant.tenant_id)
    finally:
        await database.dispose()


async def _statement_totals(url: str, tenant_id: int, month: str) -> str:
    database = Database(url)
    try:
        return await _brand_lines(database, tenant_id, month)
    finally:
        await database.dispose()


def _measure(url: str, slug: str, month: str) -> Figures:
    tenant, orders = asyncio.run(_prepare(url, slug))
    load_before = _load()
    now = datetime.now(UTC)
    command = [
        sys.executable,
        "-m",
        "bench.reconciliation_bench",
        "--child",
        "--now",
        now.isoformat(),
    ]
    child = subprocess.Popen(
        [*command, "--database-url", url, "--slug", slug, "--month", month],
        stdout=subprocess.PIPE,
    )
    assert child.stdout is not None
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the reconciliation failed ({status})")
    result = json.loads(out)
    floor_sql = floor_statement(tenant, month, now)
    started = time.perf_counter()
    floor = subprocess.run(
        ["psql", plain_dsn(url), "-X", "-A", "-t", "-q", "-c", floor_sql],
        check=True,
        capture_output=True,
        text=True,
    )
    floor_seconds = time.perf_counter() - started
    load_after = _load()
    totals = asyncio.run(_statement_totals(url, tenant.tenant_id, month))
    print("  statement (brand): kpi|population|timely|not_timely|pending")
    print("    " + totals.replace("\n", "\n    "))
    print("  floor: kpi|dealers|population|timely|not_timely|pending")
    print("    " + floor.stdout.strip().replace("\n", "\n    "))
    without_dealers = [
        "|".join(row.split("|")[:1] + row.split("|")[2:]) for row in floor.stdout.split()
    ]
    return Figures(
        orders=orders,
        population=int(result["outcomes"]),
        seconds=float(result["seconds"]),
        stages={k: float(v) for k, v in result["stages"].items()},
        rss_mb=usage.ru_maxrss / 1024,
        floor_seconds=floor_seconds,
        agrees=totals.split() == without_dealers,
        load_before=load_before,
        load_after=load_after,
    )


def _report(measured: list[Figures]) -> None:
    print()
    print(
        f"{'orders':>10} {'outcomes':>10} {'reconcile s':>12} {'stages (start s)':>34} "
        f"{'peak RSS MB':>12} {'floor s':>8}  load before -> after"
    )
    for f in measured:
        stages = " ".join(f"{k}@{v:.1f}" for k, v in f.stages.items())
        print(
            f"{f.orders:>10,} {f.population:>10,} {f.seconds:>12.1f} {stages:>34} "
            f"{f.rss_mb:>12.0f} {f.floor_seconds:>8.1f}  {f.load_before} -> {f.load_after}"
        )
    print()
    print(f"{'goal':<46} {'value':>10} {'goal':>10}  verdict")
    first = measured[0]
    rows = [
        (
            f"reconciliation at {first.orders:,} orders",
            f"{first.seconds:.1f}s",
            SECONDS,
            first.seconds,
        ),
        (f"peak worker RSS at {first.orders:,}", f"{first.rss_mb:.0f} MB", MEGABYTES, first.rss_mb),
    ]
    if len(measured) > 1:
        second = measured[1]
        ratio = second.seconds / first.seconds
        rows.append(
            (f"{second.orders:,} / {first.orders:,} orders, time", f"{ratio:.2f}x", RATIO, ratio)
        )
        rows.append(
            (
                f"peak worker RSS at {second.orders:,}",
                f"{second.rss_mb:.0f} MB",
                MEGABYTES,
                second.rss_mb,
            )
        )
    for name, shown, goal, value in rows:
        verdict = "PASS" if value <= goal else "BELOW"
        print(f"{name:<46} {shown:>10} {'<= ' + format(goal, 'g'):>10}  {verdict}")
    for f in measured:
        verdict = "PASS" if f.agrees else "DIFFER"
        print(
            f"{'brand totals = floor at ' + format(f.orders, ','):<46} {'':>10} {'':>10}  {verdict}"
        )
    for f in measured:
        print(
            f"{'reconciliation / floor at ' + format(f.orders, ','):<46} "
            f"{f.seconds / f.floor_seconds:>9.1f}x {'-':>10}  (context)"
        )


def main() -> int:
    args = _parser().parse_args()
    if args.child:
        asyncio.run(_child(args.database_url[0], args.slug, args.month, args.now))
        return 0
    measured = []
    for url in args.database_url:
        print(f"{make_url(url).database}:")
        measured.append(_measure(url, args.slug, args.month))
    _report(measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
