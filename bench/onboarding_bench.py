"""Onboarding a large OEM from its two CSV files, through the service onboardTenant and
`complaintdesk tenant import` call (`onboarding.onboard`), on PostgreSQL.

    .venv/bin/python -m bench.onboarding_bench            # 2,000 dealers, 5,000 users, 3 runs

The CSV files are written first (--keep DIR keeps them): 20 regions and 2,000 dealers under them
(every dealer with its own working hours, every tenth with an after-sales department) and 5,000
users, each with one grant (care specialists and managers at dealers, RBOs at regions, operators,
SEs and tenant admins at the root); a few users hold a second grant, as the format allows. Each
run onboards a new tenant in a child process, as the CLI would: the time is taken in the child
around the call (CSV reading and validation included), its stages are the service's progress
callbacks, and the peak RSS is the child's `ru_maxrss` from `os.wait4` (interpreter and imports
included). Then the child loads the new tenant's runtime once (profile, org tree and policy: what
its first request pays), timed apart. The bench's tenants are removed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bench.database import delete_tenant, prepare
from server.db.models import Tenant
from server.db.session import Database
from server.profiles import bundled_profile_path, read_profile_dir
from server.services import onboarding, tenancy
from server.services.platform import PlatformCaller

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/complaintdesk_onboard_bench"
SECONDS = 30.0
SLUG = "onboard-bench"
REGIONS = 20
# One grant per user, by share of the users: (role, where) with where one of root, region, dealer.
ROLES = (("care_specialist", "dealer", 40), ("manager", "dealer", 40), ("rbo", "region", 8))
ROOT_ROLES = ("operator", "se", "tenant_admin")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.onboarding_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--dealers", type=int, default=2000)
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", default="skoda", help="a bundled profile")
    parser.add_argument("--keep", type=Path, help="write the CSV files here and keep them")
    parser.add_argument("--child", nargs=2, metavar=("ORG", "USERS"), help=argparse.SUPPRESS)
    return parser


def org_csv(dealers: int) -> str:
    lines = ["code,parent,kind,name,timezone,working_hours,working_weekdays"]
    lines += [f"r{r:02d},,region,大区 {r:02d},,," for r in range(REGIONS)]
    for d in range(dealers):
        code = f"dlr-{d:04d}"
        lines.append(
            f"{code},r{d % REGIONS:02d},dealer,经销商 {d:04d},Asia/Shanghai,"
            "08:30-12:00 13:30-18:00,0 1 2 3 4 5"
        )
        if d % 10 == 0:
            lines.append(f"{code}-as,{code},department,售后部 {d:04d},,,")
    return "\n".join(lines) + "\n"


def users_csv(users: int, dealers: int) -> str:
    lines = ["login,name,email,role,org_unit"]
    plan = [(role, where) for role, where, share in ROLES for _ in range(share)]
    plan += [(role, "root") for role in ROOT_ROLES for _ in range(4)]
    for u in range(users):
        role, where = plan[u % len(plan)]
        unit = {"root": "", "region": f"r{u % REGIONS:02d}", "dealer": f"dlr-{u % dealers:04d}"}
        lines.append(f"u{u:05d},用户 {u:05d},u{u:05d}@example.com,{role},{unit[where]}")
        if u % 50 == 0 and role == "manager":  # a second grant: the same login on a later row
            lines.append(f"u{u:05d},用户 {u:05d},,gm,{unit[where]}")
    return "\n".join(lines) + "\n"


def _request(org: Path, users: Path, profile: str) -> onboarding.Request:
    """What `complaintdesk tenant import` sends the service: the files' bytes and the profile."""
    return onboarding.Request(
        slug=SLUG,
        name="Onboarding bench",
        org_csv=org.read_bytes(),
        users_csv=users.read_bytes(),
        profile_documents=read_profile_dir(bundled_profile_path(profile)),
    )


async def _child(url: str, request: onboarding.Request) -> None:
    database = Database(url)
    try:
        stages: dict[str, float] = {}
        started = time.perf_counter()

        def mark(stage: str, done: int, total: int) -> None:
            if done == total:
                stages[stage] = time.perf_counter() - started

        summary = await onboarding.onboard(PlatformCaller("bench", database), request, mark)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        await tenancy.runtime(database, summary.tenant.id, summary.tenant.policy_version)
        runtime = time.perf_counter() - started
        figures = {
            "seconds": seconds,
            "stages": stages,
            "runtime": runtime,
            "units": summary.org_units,
            "dealers": summary.dealers,
            "users": summary.users,
        }
        print(json.dumps(figures))
    finally:
        await database.dispose()


async def _remove(url: str) -> None:
    database = await prepare(url)
    try:
        async with database.platform() as session:
            found = await session.scalar(select(Tenant.id).where(Tenant.slug == SLUG))
        if found is not None:
            await delete_tenant(database, found)
    finally:
        await database.dispose()


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


@dataclass(frozen=True)
class Figures:
    seconds: float
    stages: dict[str, float]  # each stage's end, seconds from the start
    runtime: float
    rss_mb: float
    load: str
    created: tuple[int, int, int]  # org units (the root included), dealers, users


def _run(args: argparse.Namespace, org: Path, users: Path) -> Figures:
    asyncio.run(_remove(args.database_url))
    load = _load()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.onboarding_bench", "--database-url", args.database_url,
         "--profile", args.profile, "--child", str(org), str(users)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        raise SystemExit(f"the onboarding child failed (status {status})")
    found = json.loads(output.strip().splitlines()[-1])
    after = _load()
    asyncio.run(_remove(args.database_url))
    rss_mb = usage.ru_maxrss / 1024  # kilobytes on Linux
    created = (found["units"], found["dealers"], found["users"])
    return Figures(
        found["seconds"], found["stages"], found["runtime"], rss_mb, f"{load} -> {after}", created
    )


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    if args.child:
        org, users = (Path(p) for p in args.child)
        asyncio.run(_child(args.database_url, _request(org, users, args.profile)))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="onboard-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    org, users = folder / "org.csv", folder / "users.csv"
    org.write_text(org_csv(args.dealers), encoding="utf-8")
    users.write_text(users_csv(args.users, args.dealers), encoding="utf-8")
    print(
        f"{args.dealers:,} dealers in {REGIONS} regions, {args.users:,} users; "
        f"{org.stat().st_size:,} + {users.stat().st_size:,} bytes of CSV in {folder}; "
        f"database {args.database_url.rsplit('/', 1)[-1]}"
    )
    print(f"{'run':>3} {'seconds':>8} {'peak RSS MB':>12} {'runtime s':>10}  stages (end s)  load")
    results = []
    for run in range(1, args.runs + 1):
        figures = _run(args, org, users)
        if figures.created[1:] != (args.dealers, args.users):
            raise SystemExit(f"created {figures.created}: not the dealers and users of the files")
        results.append(figures)
        stages = " ".join(f"{k}@{v:.1f}" for k, v in figures.stages.items())
        print(
            f"{run:>3} {figures.seconds:>8.2f} {figures.rss_mb:>12.0f} "
            f"{figures.runtime:>10.2f}  {stages}  {figures.load}",
            flush=True,
        )
    times = [f.seconds for f in results]
    best, worst = min(times), max(times)
    verdict = "PASS" if worst <= SECONDS else "BELOW"
    units, dealers, people = results[-1].created
    print(f"\neach run created {units:,} org units ({dealers:,} dealers) and {people:,} users")
    print(f"goal: onboarding <= {SECONDS:.0f} s; best {best:.2f} s, worst {worst:.2f} s: {verdict}")
    if args.keep is None:
        for path in (org, users):
            path.unlink()
        folder.rmdir()


if __name__ == "__main__":
    main()
