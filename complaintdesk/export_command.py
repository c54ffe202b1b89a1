"""`complaintdesk board-counts --tenant acme [--fix]`: the board's kept counts against a count
of the orders (server/db/board_counts.py).

`complaintdesk export orders --tenant acme --user se [--filter JSON] --out orders.xlsx` and
`complaintdesk export analysis --tenant acme --user se --period 2026-11 --out analysis.xlsx`: the
exports the download endpoint serves, as that user sees them, with a progress bar on stderr. The
filter is the JSON of GraphQL's WorkOrderFilter (e.g. '{"states": ["in_progress"]}')."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from schema.queries import order_filter
from schema.reports import filter_from_data
from server import settings
from server.db.session import Database
from server.domain.errors import DomainError, InvalidInputError
from server.security.auth import Claims
from server.services import board, exports, organisation, queries, tenancy
from server.services.caller import tenant_caller

_WIDTH = 30


def register(sub: Any) -> None:
    """Adds the subcommand to the CLI's subparsers."""
    parser = sub.add_parser("export", help="write an Excel export as a user sees it")
    kinds = parser.add_subparsers(required=True, metavar="kind")
    orders = kinds.add_parser("orders", help="the orders a filter selects")
    orders.add_argument("--filter", default="{}", help="WorkOrderFilter as JSON")
    analysis = kinds.add_parser("analysis", help="a month's complaint analysis with charts")
    analysis.add_argument("--period", required=True, help="YYYY-MM")
    for kind in (orders, analysis):
        kind.add_argument("--tenant", required=True, help="the tenant's slug")
        kind.add_argument("--user", required=True, help="whose scope and rights apply")
        kind.add_argument("--out", required=True, type=Path, help="the .xlsx to write")
    orders.set_defaults(handler=run_orders)
    analysis.set_defaults(handler=run_analysis)
    what = "compare the board's kept counts with a count of the orders (after a bulk load: --fix)"
    counts = sub.add_parser("board-counts", help=what)
    counts.add_argument("--tenant", required=True, help="the tenant's slug")
    counts.add_argument("--fix", action="store_true", help="replace them by the count")
    counts.set_defaults(handler=run_board_counts)


def run_board_counts(args: argparse.Namespace) -> int:
    async def work() -> int:
        database = Database(settings.load().database_url)
        try:
            tenant_id = await tenancy.tenant_id_by_slug(database, args.tenant)
            if tenant_id is None:
                raise SystemExit(f"no tenant '{args.tenant}'")
            return await board.recount(database, tenant_id, fix=args.fix)
        finally:
            await database.dispose()

    differing = asyncio.run(work())
    done = "replaced by the count" if args.fix else "left as they are (--fix replaces them)"
    print(f"{differing} board counts differed from the orders; {done}")
    return 1 if differing and not args.fix else 0


def run_orders(args: argparse.Namespace) -> int:
    try:
        where = order_filter(filter_from_data(json.loads(args.filter)))
    except json.JSONDecodeError as wrong:
        print(f"refused: --filter: not JSON ({wrong})", file=sys.stderr)
        return 2
    except InvalidInputError as refused:
        return _refused(refused)
    return _run(args, lambda caller: _orders(caller, where, args.out))


def run_analysis(args: argparse.Namespace) -> int:
    return _run(args, lambda caller: exports.export_analysis(caller, args.period, None, args.out))


async def _orders(caller: Any, where: queries.OrderFilter, out: Path) -> int:
    total = sum((await queries.count_by_state(caller, where)).values())
    started = time.perf_counter()

    def bar(done: int) -> None:
        filled = _WIDTH * done // max(total, 1)
        rate = done / max(time.perf_counter() - started, 1e-6)
        sys.stderr.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {done:,}/{total:,} rows")
        sys.stderr.write(f"  {rate:,.0f} rows/s")
        sys.stderr.flush()

    written = await exports.export_orders(caller, where, out, progress=bar)
    sys.stderr.write("\n")
    return written


def _run(args: argparse.Namespace, work: Any) -> int:
    try:
        result = asyncio.run(_as_user(args.tenant, args.user, work))
    except InvalidInputError as refused:
        return _refused(refused)
    except DomainError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2
    rows = f"{result:,} orders" if isinstance(result, int) else "the analysis"
    print(f"{args.out}: {rows} written")
    return 0


def _refused(refused: InvalidInputError) -> int:
    for problem in refused.problems:
        print(f"refused: {'/'.join(problem.path)}: {problem.message}", file=sys.stderr)
    return 2


async def _as_user(slug: str, username: str, work: Any) -> Any:
    database = Database(settings.load().database_url)
    try:
        tenant_id = await tenancy.tenant_id_by_slug(database, slug)
        if tenant_id is None:
            raise SystemExit(f"no tenant '{slug}'")
        users = await organisation.user_ids(database.tenant(tenant_id))
        if username not in users:
            raise SystemExit(f"no user '{username}' in tenant '{slug}'")
        caller = await tenant_caller(database, Claims(str(users[username]), tenant_id, False))
        try:
            return await work(caller)
        finally:
            await caller.db.close()
    finally:
        await database.dispose()
