"""Loading batches with COPY (asyncpg's copy_records_to_table), one transaction per batch.

COPY is used instead of executemany INSERTs because it is several times faster (see README),
which keeps a 1,000,000-order load at a few minutes.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import text

from bench import clock_rows, rows
from bench.progress import Progress
from server.db.session import Database

# A day's sequence never goes backwards, even if --reset left an older, higher value behind.
SEQUENCES = text(
    "INSERT INTO number_sequences (tenant_id, day, value) VALUES (:tenant_id, :day, :value) "
    "ON CONFLICT (day, tenant_id) "
    "DO UPDATE SET value = GREATEST(number_sequences.value, EXCLUDED.value)"
)


async def load(
    database: Database,
    setting: rows.Setting,
    total: int,
    batch_size: int,
    timeline: rows.Timeline,
    seed: int,
    clocks: clock_rows.Clocks | None = None,
) -> None:
    rng = random.Random(seed)
    progress = Progress(total)
    for first in range(0, total, batch_size):
        count = min(batch_size, total - first)
        async with database.engine.begin() as conn:
            ids = await _reserve(conn, count)
            batch = rows.build(setting, timeline, rng, first, ids)
            if clocks is not None:
                clock_rows.add(batch, clocks)
            await _copy(conn, batch)
            await conn.execute(SEQUENCES, _sequence_rows(setting, batch))
        progress.advance(count)


async def _reserve(conn: Any, count: int) -> rows.Ids:
    async def block(table: str) -> list[int]:
        query = text(
            f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"
        )
        return sorted((await conn.execute(query, {"n": count})).scalars())

    return rows.Ids(await block("customers"), await block("vehicles"), await block("work_orders"))


async def _copy(conn: Any, batch: rows.Batch) -> None:
    driver = (
        await conn.get_raw_connection()
    ).driver_connection  # the asyncpg connection, inside our transaction
    for table, records in batch.rows.items():  # COLUMNS lists parents before children
        if records:
            await driver.copy_records_to_table(table, records=records, columns=rows.COLUMNS[table])


def _sequence_rows(setting: rows.Setting, batch: rows.Batch) -> list[dict[str, object]]:
    tenant_id = setting.org.tenant_id
    return [
        {"tenant_id": tenant_id, "day": day, "value": value}
        for day, value in batch.last_numbers.items()
    ]
