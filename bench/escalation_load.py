"""Escalating generated orders: picks them, builds their rows (escalation_rows) and writes
everything in one transaction: COPY for the new calls, slips, clocks and events, one UPDATE ... FROM
a temporary table for the orders.

    # into a tenant bench.generate made
    .venv/bin/python -m bench.escalation_load --escalated 50000

About 15 % are repeat complaints (a later order of the same dealer, received within the repeat
window after an earlier one was handled), the rest open orders whose customers call again or whose
tier moves up. Picks are pseudo-random by seed (md5 of the id), so they spread over every dealer
and region, and orders escalated already are never picked again.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from datetime import UTC, datetime
from functools import cache

import asyncpg

from bench import escalation_rows as rows
from bench.database import DEFAULT_URL, vacuum_analyze
from server.db.session import Database
from server.services import tenancy

REPEAT_SHARE = 0.15
ORDER_COLUMNS = (
    "id",
    "number",
    "org_path",
    "customer_id",
    "vehicle_id",
    "category",
    "order_type",
    "grade",
    "tier",
    "state",
    "received_at",
    "updated_at",
    "version",
    "primary_handler_id",
    "secondary_handler_id",
    "flags",
    "demands",
    "next_deadline_at",
    "repeat_number",
)
SELECT_ORDERS = f"SELECT {', '.join(ORDER_COLUMNS)} FROM work_orders WHERE tenant_id = $1"
OPEN = SELECT_ORDERS + (
    " AND state = ANY($2) AND NOT escalated AND repeat_of_id IS NULL AND id <> ALL($3) "
    "ORDER BY md5(id::text || $4) LIMIT $5"
)
# Each sampled handled order with the first later order of its dealer received inside the window.
REPEAT_PAIRS = """
SELECT p.id, r.id FROM (
    SELECT id, tenant_id, org_path, handled_at FROM work_orders
    WHERE tenant_id = $1 AND state IN ('handled', 'closed') AND handled_at IS NOT NULL
      AND NOT repeated AND NOT escalated
    ORDER BY md5(id::text || $2) LIMIT $3
) p CROSS JOIN LATERAL (
    SELECT id FROM work_orders r
    WHERE r.tenant_id = p.tenant_id AND r.org_path = p.org_path AND r.id > p.id
      AND r.state <> 'cancelled' AND NOT r.escalated
      AND r.received_at BETWEEN p.handled_at AND p.handled_at + make_interval(days => $4)
    ORDER BY r.id LIMIT 1
) r
"""
PEOPLE = (
    "SELECT role, org_path, user_id FROM role_assignments"
    " WHERE tenant_id = $1 AND role = ANY($2) ORDER BY id"
)
UPDATE_ORDERS = (
    "UPDATE work_orders w SET "
    + ", ".join(f"{c} = e.{c}" for c in rows.ORDER_UPDATE if c != "id")
    + " FROM escalated_orders e WHERE w.tenant_id = $1 AND w.id = e.id"
)
MARK_PRIORS = (
    "UPDATE work_orders SET repeated = true WHERE tenant_id = $1 AND id = ANY($2::bigint[])"
)
REGISTRATIONS = """
UPDATE work_order_events e SET data = (e.data::jsonb || v.data::jsonb)::json
FROM unnest($2::bigint[], $3::text[]) AS v(id, data)
WHERE e.tenant_id = $1 AND e.work_order_id = v.id AND e.kind = 'registered'
"""


async def load(database: Database, tenant_id: int, count: int, seed: int) -> str:
    """Escalates `count` orders of the tenant; returns what was written, for the log."""
    async with database.engine.connect() as conn:
        driver: asyncpg.Connection = (await conn.get_raw_connection()).driver_connection
        async with (
            driver.transaction()
        ):  # SQLAlchemy would begin only with its first statement, and none goes through it
            batch, pairs = await _build(database, driver, tenant_id, count, seed)
            await _write(driver, tenant_id, batch)
    slips = batch.rows["warning_slips"]
    still_open = sum(
        1 for s in slips if s[rows.COLUMNS["warning_slips"].index("state")] == "issued"
    )
    return (
        f"{len(batch.orders):,} orders escalated ({len(pairs):,} repeat complaints), "
        f"{len(slips):,} warning slips ({still_open:,} open), "
        f"{len(batch.rows['customer_calls']):,} calls, "
        f"{len(batch.rows['work_order_events']):,} events"
    )


async def _build(
    database: Database, driver: asyncpg.Connection, tenant_id: int, count: int, seed: int
) -> tuple[rows.Batch, list[tuple[rows.Order, rows.Order]]]:
    rng = random.Random(seed)
    setting = await _setting(database, driver, tenant_id)
    batch = rows.Batch()
    pairs = await _repeats(driver, setting, round(count * REPEAT_SHARE), str(seed))
    for prior, order in pairs:
        rows.repeat(setting, batch, prior, order)
    taken = [o.id for pair in pairs for o in pair]
    opened = await driver.fetch(
        OPEN, tenant_id, list(rows.OPEN_STATES), taken, str(seed), count - len(pairs)
    )
    for record in opened:
        rows.open_order(setting, batch, rng, _order(record))
    return batch, pairs


async def _setting(database: Database, driver: asyncpg.Connection, tenant_id: int) -> rows.Setting:
    version = await driver.fetchval("SELECT policy_version FROM tenants WHERE id = $1", tenant_id)
    runtime = await tenancy.runtime(database, tenant_id, version)
    found: dict[tuple[str, str], int] = {}
    for role, path, user_id in await driver.fetch(
        PEOPLE, tenant_id, ["operator", "se", "rbo", "manager"]
    ):
        found.setdefault((role, path), user_id)  # the first granted, should a unit have several
    by_role = {
        role: {path: user for (r, path), user in found.items() if r == role}
        for role in ("operator", "se", "rbo", "manager")
    }
    people = rows.People(
        operator=min(by_role["operator"].values()),
        se=min(by_role["se"].values()),
        rbos=by_role["rbo"],
        managers=by_role["manager"],
    )
    return rows.Setting(
        tenant_id, runtime.profile, people, cache(runtime.calendar), datetime.now(UTC)
    )


async def _repeats(
    driver: asyncpg.Connection, setting: rows.Setting, wanted: int, seed: str
) -> list[tuple[rows.Order, rows.Order]]:
    """Up to `wanted` (prior, repeat) pairs: no order in two pairs, none beyond its routing
    table."""
    found = await driver.fetch(
        REPEAT_PAIRS, setting.tenant_id, seed, wanted * 2, setting.profile.repeat_days
    )
    ids = {i for pair in found for i in pair}
    orders = {
        r["id"]: _order(r)
        for r in await driver.fetch(
            SELECT_ORDERS + " AND id = ANY($2)", setting.tenant_id, list(ids)
        )
    }
    pairs: list[tuple[rows.Order, rows.Order]] = []
    used: set[int] = set()
    for prior_id, order_id in found:
        if (
            prior_id in used
            or order_id in used
            or not rows.repeats_within_table(setting.profile, orders[prior_id])
        ):
            continue
        used |= {prior_id, order_id}
        pairs.append((orders[prior_id], orders[order_id]))
        if len(pairs) == wanted:
            break
    return pairs


def _order(record: asyncpg.Record) -> rows.Order:
    return rows.Order(
        **dict(record)
    )  # SQLAlchemy's codec decodes JSON on read; writes take JSON text


async def _write(driver: asyncpg.Connection, tenant_id: int, batch: rows.Batch) -> None:
    for table, records in batch.rows.items():
        await driver.copy_records_to_table(table, records=records, columns=rows.COLUMNS[table])
    # CREATE TABLE AS keeps the column types but not the NOT NULL constraints of columns left out.
    columns = ", ".join(rows.ORDER_UPDATE)
    await driver.execute(
        f"CREATE TEMP TABLE escalated_orders ON COMMIT DROP AS SELECT {columns} FROM work_orders "
        "WITH NO DATA"
    )
    await driver.copy_records_to_table(
        "escalated_orders", records=batch.orders, columns=rows.ORDER_UPDATE
    )
    await driver.execute(UPDATE_ORDERS, tenant_id)
    await driver.execute(MARK_PRIORS, tenant_id, batch.priors)
    await driver.execute(
        REGISTRATIONS,
        tenant_id,
        [i for i, _ in batch.registrations],
        [d for _, d in batch.registrations],
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.escalation_load", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench", help="the tenant bench.generate made")
    parser.add_argument("--escalated", type=int, default=50_000, help="orders to escalate")
    parser.add_argument("--seed", type=int, default=20261202)
    return parser


async def main_async(args: argparse.Namespace) -> int:
    database = Database(args.database_url)
    try:
        tenant_id = await tenancy.tenant_id_by_slug(database, args.slug)
        if tenant_id is None:
            print(f"no tenant '{args.slug}': run python -m bench.generate first", file=sys.stderr)
            return 2
        started = time.perf_counter()
        print(
            await load(database, tenant_id, args.escalated, args.seed)
            + f", in {time.perf_counter() - started:.1f}s; vacuum analyze ..."
        )
        await vacuum_analyze(database)
        return 0
    finally:
        await database.dispose()


def main() -> int:
    return asyncio.run(main_async(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
