"""complaintdesk: run | migrate | demo | token | tenant | calendar | outbox | worker | scheduler |
export-schema."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import yaml

from complaintdesk import export_command, onboarding_command, reconciliation_command
from complaintdesk.observability import json_logs
from complaintdesk.supervise import supervise
from server import settings as settings_module
from server.adapters.events import Bus, bus_for
from server.adapters.holiday_source import statutory_days
from server.db import migrate
from server.db.session import Database
from server.domain.calendar import DayRules
from server.domain.errors import DomainError
from server.profiles import ProfileInvalidError, load_profile_dir
from server.security.auth import Claims, mint
from server.services import (
    calendar_years,
    dead_letters,
    demo,
    demo_plan,
    organisation,
    tenancy,
)

T = TypeVar("T")

CONTRACT = Path(__file__).resolve().parents[1] / "frontend-contract" / "schema.graphql"
UNSUPERVISED = (
    "run the work in this process, without the supervisor that restarts it when it dies "
    "(for a supervisor of your own)"
)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (DomainError, ProfileInvalidError) as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="complaintdesk", description=__doc__)
    sub = parser.add_subparsers(required=True, metavar="command")
    run = sub.add_parser(
        "run", help="migrate, load the demo tenant, print demo tokens and serve GraphQL"
    )
    run.add_argument("--host", default="127.0.0.1")
    run.add_argument("--port", type=int, default=8000)
    run.set_defaults(handler=_run)
    sub.add_parser("migrate", help="bring the database schema up to date").set_defaults(
        handler=_migrate
    )
    dem = sub.add_parser("demo", help="load a profile's demo tenant (skipped when it exists)")
    dem.add_argument(
        "--profile",
        choices=demo_plan.demo_profiles(),
        help="a bundled profile that ships a demo (default: the default demo)",
    )
    dem.add_argument("--orders", type=int, default=None, help="instead of the demo's count")
    dem.set_defaults(handler=_demo)
    tok = sub.add_parser(
        "token", help="mint a bearer token for a user of a tenant, or for the platform admin"
    )
    tok.add_argument("--tenant", help="tenant slug")
    tok.add_argument("--user", help="username in that tenant")
    tok.add_argument("--platform", metavar="NAME", help="a platform-admin token instead")
    tok.add_argument("--hours", type=int, default=None)
    tok.set_defaults(handler=_token)
    ten = sub.add_parser(
        "tenant", help="onboard a tenant from a profile folder, or check a profile"
    )
    ten.add_argument("action", choices=["import", "check"])
    ten.add_argument("profile", type=Path, help="folder of profile YAML documents")
    ten.add_argument("--slug")
    ten.add_argument("--name")
    ten.add_argument("--org", type=Path, help="org CSV (template: policies/onboarding/org.csv)")
    ten.add_argument("--users", type=Path, help="users CSV (policies/onboarding/users.csv)")
    ten.set_defaults(handler=_tenant)
    wrk = sub.add_parser("worker", help="run Dramatiq worker processes on Redis (REDIS_URL)")
    wrk.add_argument("--processes", type=int, default=2)
    wrk.add_argument("--threads", type=int, default=4)
    wrk.add_argument("--no-supervise", action="store_true", help=UNSUPERVISED)
    wrk.set_defaults(handler=_worker)
    sch = sub.add_parser(
        "scheduler",
        help=(
            "send the periodic ticks (deadline scan, outbox delivery, daily outbox purge) "
            "to the workers"
        ),
    )
    sch.add_argument("--no-supervise", action="store_true", help=UNSUPERVISED)
    sch.set_defaults(handler=_scheduler)
    cal = sub.add_parser(
        "calendar", help="load a year's statutory holidays and make-up working days for a tenant"
    )
    cal.add_argument("--tenant", required=True, help="tenant slug")
    cal.add_argument("--year", type=int, required=True)
    cal.add_argument(
        "--file",
        type=Path,
        help="YAML with holidays: [dates] and workdays: [dates]; default: the holiday library",
    )
    cal.set_defaults(handler=_calendar)
    out = sub.add_parser("outbox", help="list a tenant's dead notifications, or send them again")
    actions = out.add_subparsers(required=True, metavar="action")
    dead = actions.add_parser("dead", help="list the notifications whose every attempt failed")
    dead.add_argument("--tenant", required=True, help="tenant slug")
    dead.set_defaults(handler=_outbox_dead)
    retry = actions.add_parser("retry", help="send dead notifications back to delivery")
    retry.add_argument("--tenant", required=True, help="tenant slug")
    which = retry.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", type=int, help="one message, by the id `outbox dead` lists")
    which.add_argument("--all", action="store_true", help="every dead message of the tenant")
    retry.set_defaults(handler=_outbox_retry)
    reconciliation_command.register(sub)
    export_command.register(sub)
    exp = sub.add_parser(
        "export-schema", help="write the GraphQL SDL (default: frontend-contract/schema.graphql)"
    )
    exp.add_argument("--output", type=Path, default=CONTRACT)
    exp.set_defaults(handler=_export_schema)
    return parser


async def _with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    database = Database(settings_module.load().database_url)
    try:
        return await work(database)
    finally:
        await database.dispose()


def _migrate(_args: argparse.Namespace) -> None:
    asyncio.run(_upgrade(settings_module.load()))
    print("database schema is up to date")


async def _upgrade(settings: settings_module.Settings) -> None:
    """Migrations run as the schema's owner (MIGRATION_DATABASE_URL), not as the application."""
    owner = Database(settings.migration_url)
    try:
        await migrate.upgrade(owner.write_engine)
    finally:
        await owner.dispose()


def _demo(args: argparse.Namespace) -> None:
    asyncio.run(
        _with_database(lambda database: demo.load_demo(database, args.orders, profile=args.profile))
    )


def _token(args: argparse.Namespace) -> None:
    settings = settings_module.load()
    lifetime = timedelta(hours=args.hours) if args.hours else None
    if args.platform:
        print(mint(settings, Claims(args.platform, None, True), lifetime))
        return
    if not (args.tenant and args.user):
        raise SystemExit("give --tenant and --user, or --platform NAME")

    async def work(database: Database) -> str:
        tenant_id = await tenancy.tenant_id_by_slug(database, args.tenant)
        if tenant_id is None:
            raise SystemExit(f"no tenant '{args.tenant}'")
        users = await organisation.user_ids(database.tenant(tenant_id))
        if args.user not in users:
            raise SystemExit(_no_such_user(args.user, args.tenant, sorted(users)))
        user_id = users[args.user]
        return mint(settings, Claims(str(user_id), tenant_id, False), lifetime)

    print(asyncio.run(_with_database(work)))


def _no_such_user(user: str, tenant: str, known: list[str]) -> str:
    if not known:
        return (
            f"tenant '{tenant}' has no users yet: `complaintdesk tenant import` without --org"
            " and --users creates the tenant and its root unit only. Onboard with both CSV files,"
            " or load a demo (`complaintdesk demo --profile NAME`; see README.md, 'Onboarding"
            " an OEM')."
        )
    shown = ", ".join(known[:20]) + (f" and {len(known) - 20} more" if len(known) > 20 else "")
    return f"no user '{user}' in tenant '{tenant}'; its users are: {shown}"


def _tenant(args: argparse.Namespace) -> None:
    profile = load_profile_dir(args.profile)
    if args.action == "check":
        print(f"profile '{profile.name}' version {profile.version}: valid")
        return
    if not (args.slug and args.name):
        raise SystemExit("give --slug and --name for the new tenant")
    if args.org or args.users:
        onboarding_command.onboard(args)
        return
    tenant_id = asyncio.run(
        _with_database(
            lambda database: tenancy.create_tenant(database, args.slug, args.name, profile)
        )
    )
    print(
        f"tenant '{args.slug}' created (id {tenant_id}) "
        f"from profile '{profile.name}' {profile.version}"
    )


def _export_schema(args: argparse.Namespace) -> None:
    from schema.app import schema

    args.output.write_text(schema.as_str() + "\n", encoding="utf-8")
    print(f"wrote {args.output}")


def _worker(args: argparse.Namespace) -> int:
    if not settings_module.load().redis_url:
        raise SystemExit(
            "complaintdesk worker needs REDIS_URL; without it `complaintdesk run` runs the worker "
            "in-process"
        )
    pool = ["workers.actors", "--processes", str(args.processes), "--threads", str(args.threads)]
    if not args.no_supervise:
        return supervise([sys.executable, "-m", "dramatiq", *pool], "complaintdesk worker")
    from dramatiq.cli import main as dramatiq_main

    sys.argv = ["dramatiq", *pool]
    return int(dramatiq_main() or 0)


def _scheduler(args: argparse.Namespace) -> int:
    if not args.no_supervise:
        child = [sys.executable, "-m", "complaintdesk.cli", "scheduler", "--no-supervise"]
        return supervise(child, "complaintdesk scheduler")
    from workers.scheduler import build

    json_logs(settings_module.load())
    print("scheduler: ticks every minute (deadline scan, outbox); Ctrl-C stops", flush=True)
    build(blocking=True).start()
    return 0


def _calendar(args: argparse.Namespace) -> None:
    rules = _year_rules(args.year, args.file)

    async def work(database: Database) -> int:
        tenant_id = await tenancy.tenant_id_by_slug(database, args.tenant)
        if tenant_id is None:
            raise SystemExit(f"no tenant '{args.tenant}'")
        return await calendar_years.load_years(
            database, tenant_id, rules, "file" if args.file else "library"
        )

    computed = asyncio.run(_with_database(work))
    print(
        f"{args.year}: {len(rules.holidays)} holidays, "
        f"{len(rules.workdays)} make-up working days loaded; {computed} deadlines computed"
    )


def _outbox_dead(args: argparse.Namespace) -> None:
    async def work(database: Database) -> list[list[object]]:
        tenant_id = await _tenant_id(database, args.tenant)
        found, after = [], None
        while True:
            page = await dead_letters.dead_of(database, tenant_id, first=100, after=after)
            for m in page.messages:
                found.append([m.id, m.dead_at, m.attempts, m.topic, m.subject, m.last_error or ""])
            if not page.has_next:
                return found
            after = page.messages[-1].id

    messages = asyncio.run(_with_database(work))
    for message in messages:
        print("\t".join(str(part) for part in message))
    print(f"{len(messages)} dead notifications in tenant '{args.tenant}'", end=" ")
    print("(id, dead at, attempts, topic, subject, last error)")


def _outbox_retry(args: argparse.Namespace) -> None:
    async def work(database: Database) -> int:
        tenant_id = await _tenant_id(database, args.tenant)
        return await dead_letters.retry_of(database, tenant_id, args.id, now=datetime.now(UTC))

    retried = asyncio.run(_with_database(work))
    print(f"{retried} dead notifications of tenant '{args.tenant}' sent back to delivery")


async def _tenant_id(database: Database, slug: str) -> int:
    tenant_id = await tenancy.tenant_id_by_slug(database, slug)
    if tenant_id is None:
        raise SystemExit(f"no tenant '{slug}'")
    return tenant_id


def _year_rules(year: int, path: Path | None) -> DayRules:
    if path is None:
        rules = statutory_days([year])
        if year not in rules.known_years:
            raise SystemExit(
                f"the holiday library has no {year} calendar yet; give --file with that year's days"
            )
        return rules
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    days = {
        kind: frozenset(date.fromisoformat(str(d)) for d in data.get(kind, []))
        for kind in ("holidays", "workdays")
    }
    if any(d.year != year for ds in days.values() for d in ds):
        raise SystemExit(f"{path}: every date must lie in {year}")
    return DayRules(
        holidays=days["holidays"], workdays=days["workdays"], known_years=frozenset({year})
    )


def _run(args: argparse.Namespace) -> None:
    import uvicorn

    from complaintdesk.app import create_app

    settings = settings_module.load()

    async def prepare(database: Database) -> tuple[str, list[tuple[str, str]]]:
        await _upgrade(settings)
        loaded = await demo.load_demo(database)
        return loaded.slug, [
            (user.role, mint(settings, Claims(str(user.user_id), loaded.tenant_id, False)))
            for user in loaded.users
        ]

    slug, tokens = asyncio.run(_with_database(prepare))
    json_logs(settings)
    print(f"\nPortal: http://{args.host}:{args.port}/  (sign in as a demo user)")
    print(
        f"GraphiQL: http://{args.host}:{args.port}/graphql  "
        "(add the header Authorization: Bearer <token>)"
    )
    print(f"Demo tokens, one per role (tenant '{slug}'):")
    for role, token in tokens:
        print(f"  {role:<16} {token}")
    print(flush=True)
    events = bus_for(settings.redis_url, settings.events_namespace)
    stop = _embedded_workers(settings, events)
    try:
        app = create_app(settings, events=events)
        uvicorn.run(app, host=args.host, port=args.port, log_config=None, log_level="info")
    finally:
        stop()


def _embedded_workers(settings: settings_module.Settings, events: Bus) -> Callable[[], None]:
    """Without Redis the worker and scheduler run in this process, publishing on the server's bus
    `events`; with it, they are processes of their own."""
    if settings.redis_url:
        print(
            "REDIS_URL is set: run `complaintdesk worker` and `complaintdesk scheduler` beside the "
            "server"
        )
        return lambda: None
    from workers import embedded

    return embedded.start(events)


if __name__ == "__main__":
    sys.exit(main())
