"""`complaintdesk tenant import PROFILE --slug … --name … --org org.csv --users users.csv`: the same
use case as onboardTenant, every problem reported at once with its file, row and column, and its
stages (validation, then org units, users and grants created) as progress bars on stderr."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TextIO

from server import settings
from server.db.session import Database
from server.domain.errors import InvalidInputError
from server.profiles import read_profile_dir
from server.services import onboarding
from server.services.platform import PlatformCaller

_WIDTH = 30


class Bar:
    """One line per stage, redrawn in place as it advances and ended when the stage is done."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.open = False  # a stage's line is drawn and not ended yet

    def __call__(self, stage: str, done: int, total: int) -> None:
        filled = _WIDTH * done // total if total else _WIDTH
        self.out.write(
            f"\r{stage:<10} [{'#' * filled}{'.' * (_WIDTH - filled)}] {done:,}/{total:,}"
        )
        self.open = done < total
        if not self.open:
            self.out.write("\n")
        self.out.flush()

    def close(self) -> None:
        """Ends a line left open (a refusal stops a stage midway)."""
        if self.open:
            self.out.write("\n")
            self.open = False


def onboard(args: argparse.Namespace) -> None:
    if not (args.org and args.users):
        raise SystemExit("give both --org and --users (templates: policies/onboarding/)")
    request = onboarding.Request(
        slug=args.slug,
        name=args.name,
        org_csv=args.org.read_bytes(),
        users_csv=args.users.read_bytes(),
        profile_documents=read_profile_dir(args.profile),
    )
    bar = Bar(sys.stderr)
    files = {"orgCsv": str(args.org), "usersCsv": str(args.users)}
    try:
        summary = asyncio.run(_onboard(request, bar))
    except InvalidInputError as exc:
        bar.close()
        lines = [f"{files.get(p.path[0], p.path[0])}: {p.message}" for p in exc.problems]
        raise SystemExit("nothing was created:\n" + "\n".join(lines)) from None
    print(
        f"tenant '{args.slug}' onboarded: {summary.org_units} org units"
        f" ({summary.dealers} dealers), {summary.users} users"
    )


async def _onboard(request: onboarding.Request, bar: Bar) -> onboarding.Summary:
    database = Database(settings.load().database_url)
    try:
        return await onboarding.onboard(PlatformCaller("cli", database), request, bar)
    finally:
        await database.dispose()
