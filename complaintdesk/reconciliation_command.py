"""`complaintdesk reconcile --tenant acme --month 2026-03`: a month's KPI reconciliation from the
command line, with its stages as a progress bar on stderr. The same use case as the worker's.

`complaintdesk deliveries --tenant acme --quarter 2026-Q1 --file deliveries.csv`: a quarter's
vehicle deliveries per dealer (columns `dealer` and `deliveries`), every bad row reported at once
with its line and column, nothing stored then. The same use case as `importDeliveries`."""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from server import settings
from server.db.session import Database
from server.domain.errors import InvalidInputError
from server.services import assessment, reconciliation, tenancy

_WIDTH = 30


def register(sub: Any) -> None:
    """Adds the subcommand to the CLI's subparsers."""
    what = "issue a month's frozen KPI statement, or compare it again"
    parser = sub.add_parser("reconcile", help=what)
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    parser.add_argument("--month", required=True, help="YYYY-MM, in the tenant's timezone")
    parser.set_defaults(handler=run)
    what = "import a quarter's vehicle deliveries per dealer from a CSV (dealer,deliveries)"
    deliveries = sub.add_parser("deliveries", help=what)
    deliveries.add_argument("--tenant", required=True, help="the tenant's slug")
    deliveries.add_argument("--quarter", required=True, help="YYYY-Qn")
    deliveries.add_argument("--file", required=True, type=Path, help="the CSV, with a header")
    deliveries.set_defaults(handler=import_deliveries)


def run(args: argparse.Namespace) -> None:
    result = asyncio.run(_reconcile(args.tenant, args.month))
    sys.stderr.write("\n")
    if result.issued:
        settled = f"{result.adjustments} pending orders of earlier months settled"
        print(f"{result.period}: statement issued; {settled}")
    else:
        carried = f"{result.adjustments} adjustments carried into a later month"
        print(f"{result.period}: issued before; {carried}")


async def _reconcile(slug: str, month: str) -> reconciliation.Run:
    database = Database(settings.load().database_url)
    try:
        tenant_id = await tenancy.tenant_id_by_slug(database, slug)
        if tenant_id is None:
            raise SystemExit(f"no tenant '{slug}'")
        now = datetime.now(UTC)
        return await reconciliation.reconcile(database, tenant_id, month, now=now, progress=_bar)
    finally:
        await database.dispose()


def _bar(stage: str) -> None:
    done = reconciliation.STAGES.index(stage) + 1
    filled = _WIDTH * done // len(reconciliation.STAGES)
    sys.stderr.write(f"\r[{'#' * filled}{'.' * (_WIDTH - filled)}] {stage:<10}")
    sys.stderr.flush()


_COLUMNS = ("dealer", "deliveries")


def import_deliveries(args: argparse.Namespace) -> int:
    with args.file.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.DictReader(source)
        if tuple(reader.fieldnames or ()) != _COLUMNS:
            print(f"refused: line 1: the header must be {','.join(_COLUMNS)}", file=sys.stderr)
            return 2
        rows = [assessment.DeliveryRow(r["dealer"] or "", r["deliveries"] or "") for r in reader]
    try:
        stored = asyncio.run(_store(args.tenant, args.quarter, rows))
    except InvalidInputError as refused:
        for problem in refused.problems:
            print(f"refused: {_where(problem.path)}: {problem.message}", file=sys.stderr)
        return 2
    print(f"{args.quarter}: deliveries of {stored} dealers stored")
    return 0


def _where(path: tuple[str, ...]) -> str:
    """A problem's place in the file: ("rows", "0", "dealer") is line 2 (after the header)."""
    if len(path) == 3 and path[0] == "rows":
        return f"line {int(path[1]) + 2}, column {path[2]}"
    return "--" + "/".join(path)


async def _store(slug: str, quarter: str, rows: list[assessment.DeliveryRow]) -> int:
    database = Database(settings.load().database_url)
    try:
        tenant_id = await tenancy.tenant_id_by_slug(database, slug)
        if tenant_id is None:
            raise SystemExit(f"no tenant '{slug}'")
        now = datetime.now(UTC)
        return await assessment.store_deliveries(database, tenant_id, quarter, rows, now=now)
    finally:
        await database.dispose()
