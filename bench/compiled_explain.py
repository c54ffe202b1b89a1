"""The plans of the compiled Worklist statement (schema/compiled.py) as the bench SE's first page of
50 sends it, four ways: under row-level security (the tenant role, as the product runs it) and
without it (the superuser, which bypasses the policies), each as a custom plan (planned with the
parameters' values) and as a generic one (what a prepared statement settles on after five runs).

    .venv/bin/python -m bench.compiled_explain [--database-url URL] [--first 50]

Each plan is EXPLAIN (ANALYZE, BUFFERS) of the statement with the values bound, in a transaction
bound to the tenant exactly as the product's sessions are; the timing line of each is repeated at
the end.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import datetime
from typing import Any

from sqlalchemy import text

from bench.database import DEFAULT_URL
from schema.app import schema
from schema.compiled import CompiledOperations
from schema.persisted import PersistedOperations
from server.db import binding
from server.db.session import Database
from server.security.auth import Claims
from server.services import queries, tenancy
from server.services.caller import tenant_caller
from server.services.compiled_reads import bound


async def _plans(args: argparse.Namespace) -> list[tuple[str, list[str]]]:
    database = Database(args.database_url)
    tenant_id = await tenancy.tenant_id_by_slug(database, "bench")
    assert tenant_id is not None, "run python -m bench.generate first"
    async with database.engine.connect() as conn:
        query = text("SELECT id FROM users WHERE tenant_id = :t AND username = 'se'")
        se = int((await conn.execute(query, {"t": tenant_id})).scalar_one())
    caller = await tenant_caller(database, Claims(str(se), tenant_id, False))
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    worklist = next(o for o in compiled.by_document.values() if o.name == "Worklist")
    found = []
    for rls in (True, False):
        for mode in ("force_custom_plan", "force_generic_plan"):
            async with caller.db.read() as session:
                page = await queries.order_page(
                    session, caller, queries.OrderFilter(), args.first, None
                )
                statement = worklist.built.statement(page)
                conn = await session.connection()
                if not rls:  # back from the tenant role the binding switched to
                    await conn.execute(text("RESET ROLE"))
                await conn.execute(text(f"SET LOCAL plan_cache_mode = {mode}"))
                lines = await _explain(conn, statement, bound(caller) | {"first": args.first})
            await caller.db.close()  # the transaction ends: the role and the mode with it
            who = f"with RLS ({binding.TENANT_ROLE})" if rls else "without RLS (superuser)"
            label = f"{who}, {mode}"
            found.append((label, lines))
    async with caller.db.read() as session:
        page = await queries.order_page(session, caller, queries.OrderFilter(), args.first, None)
        conn = await session.connection()
        params = bound(caller) | {"first": args.first}
        choice = await _auto_choice(conn, worklist.built.statement(page), params)
    found.append(("with RLS, plan_cache_mode = auto (the default), 12 executions", choice))
    await caller.db.close()
    await database.dispose()
    return found


async def _auto_choice(conn: Any, statement: Any, params: dict[str, Any]) -> list[str]:
    """What PostgreSQL's plan cache chooses by itself: after five custom plans it keeps the
    generic one only if that is estimated no dearer."""
    sql, arguments = _prepared(conn, statement, params)
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(f"PREPARE compiled_worklist AS {sql}")
    lines = []
    try:
        for run in range(1, 13):
            started = time.perf_counter()
            await raw.fetch(f"EXECUTE compiled_worklist({arguments})")
            lines.append(f"run {run}: {(time.perf_counter() - started) * 1000:.1f} ms")
        counts = await raw.fetchrow(
            "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
            "WHERE name = 'compiled_worklist'"
        )
        lines.append(f"Execution Time: plans chosen: {dict(counts)}")
    finally:
        await raw.execute("DEALLOCATE compiled_worklist")
    return lines


def _prepared(conn: Any, statement: Any, params: dict[str, Any]) -> tuple[str, str]:
    """The statement's SQL ($n placeholders) and its values as SQL literals."""
    compiled = statement.compile(dialect=conn.dialect)
    values = compiled.construct_params(params)
    return compiled.string, ", ".join(_literal(values[name]) for name in compiled.positiontup)


async def _explain(conn: Any, statement: Any, params: dict[str, Any]) -> list[str]:
    """EXPLAIN EXECUTE of the statement prepared on the session's own connection, so that
    plan_cache_mode decides between the custom and the generic plan."""
    sql, arguments = _prepared(conn, statement, params)
    raw = (await conn.get_raw_connection()).driver_connection
    await raw.execute(f"PREPARE compiled_worklist AS {sql}")
    try:
        rows = await raw.fetch(f"EXPLAIN (ANALYZE, BUFFERS) EXECUTE compiled_worklist({arguments})")
    finally:
        await raw.execute("DEALLOCATE compiled_worklist")
    return [row[0] for row in rows]


def _literal(value: Any) -> str:
    """A bound value as an SQL literal (only the kinds the statement binds)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return f"ARRAY[{', '.join(_literal(v) for v in value)}]::text[]"
    if isinstance(value, datetime):
        return f"{_literal(value.isoformat())}::timestamptz"
    quoted = str(value).replace("'", "''")
    return f"'{quoted}'"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--first", type=int, default=50)
    plans = asyncio.run(_plans(parser.parse_args()))
    for label, lines in plans:
        print(f"\n== {label}\n" + "\n".join(lines))
    print()
    for label, lines in plans:
        print(f"{label}: {next(line for line in lines if line.startswith('Execution Time'))}")


if __name__ == "__main__":
    main()
