"""`complaintdesk reconcile --tenant skoda --month 2026-03`: a month's KPI reconciliation from the
command line, with its stages as a progress bar on stderr. The same use case as the worker's."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import Any

from server import settings
from server.db.session import Database
from server.services import reconciliation, tenancy

_WIDTH = 30


def register(sub: Any) -> None:
    """Adds the subcommand to the CLI's subparsers."""
    what = "issue a month's frozen KPI statement, or compare it again"
    parser = sub.add_parser("reconcile", help=what)
    parser.add_argument("--tenant", required=True, help="the tenant's slug")
    parser.add_argument("--month", required=True, help="YYYY-MM, in the tenant's timezone")
    parser.set_defaults(handler=run)


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
