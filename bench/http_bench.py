"""The list and registerComplaint benchmark: each variant in its own uvicorn process (1 worker),
all started and warmed up first, then measured in `--runs` rounds of wrk runs; the medians are
printed with the ratios to the floors and the goals.

    .venv/bin/python -m bench.http_bench [--runs 3 --duration 8 --connections 32]
    .venv/bin/python -m bench.http_bench --only list,list-floor-sql   # some variants only
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
from contextlib import AsyncExitStack
from dataclasses import dataclass

from sqlalchemy import text

from bench import bodies, checks, load, report
from bench.apps import COMPILED_APPS, FLOOR_SQL, FLOOR_STATIC, PRODUCT, VARIANT_APPS
from bench.database import DEFAULT_URL
from bench.floor_sql import MIRRORS
from bench.load import Load, Result
from bench.uvicorn_process import serving
from schema.ids import encode
from server import settings as settings_module
from server.db import migrate
from server.db.session import Database
from server.security.auth import Claims, mint
from server.services import tenancy

DRAIN = 1.0  # seconds between runs, for the server to finish what the last run left in flight
# The servers' abuse limits off: every wrk connection comes from 127.0.0.1 with one token, and the
# limits would answer 429 within seconds, measuring themselves.
SERVER_ENV = {"RATE_LIMIT_TOKEN": str(10**15), "RATE_LIMIT_IP": str(10**15)}


@dataclass(frozen=True)
class Variant:
    key: str
    label: str
    factory: str
    path: str
    operation: str  # list, escalations or register


VARIANTS = (
    Variant("list", "list: real app (parser + validation caches)", PRODUCT, "/graphql", "list"),
    Variant(
        "list-uncached", "list: real app, no caches", f"{VARIANT_APPS}:uncached", "/graphql", "list"
    ),
    Variant(
        "list-per-request-rules",
        "list: real app, caches + per-request depth limiter",
        f"{VARIANT_APPS}:per_request_rules",
        "/graphql",
        "list",
    ),
    Variant(
        "list-gc-default",
        "list: real app, collector at its defaults",
        f"{VARIANT_APPS}:gc_default",
        "/graphql",
        "list",
    ),
    Variant(
        "list-stock-pool",
        "list: real app, SQLAlchemy's stock connection pool",
        f"{VARIANT_APPS}:stock_pool",
        "/graphql",
        "list",
    ),
    Variant(
        "list-floor-sql",
        "list floor: bare Starlette, same SQL, JSON",
        FLOOR_SQL,
        "/worklist",
        "list",
    ),
    Variant(
        "list-floor-static",
        "list floor: strawberry over static objects",
        FLOOR_STATIC,
        "/graphql",
        "list",
    ),
    Variant(
        "list-compiled",
        "list: real app, Worklist compiled (as shipped)",
        f"{COMPILED_APPS}:compiled",
        "/graphql",
        "list",
    ),
    Variant(
        "list-interpreted",
        "list: real app, nothing compiled",
        f"{COMPILED_APPS}:interpreted",
        "/graphql",
        "list",
    ),
    Variant(
        "escalations-compiled",
        "escalations: real app, Escalations compiled (as shipped)",
        f"{COMPILED_APPS}:compiled",
        "/graphql",
        "escalations",
    ),
    Variant(
        "escalations-interpreted",
        "escalations: real app, nothing compiled",
        f"{COMPILED_APPS}:interpreted",
        "/graphql",
        "escalations",
    ),
    Variant("register", "registerComplaint: real app", PRODUCT, "/graphql", "register"),
    Variant(
        "register-floor",
        "registerComplaint floor: bare Starlette, same writes",
        FLOOR_SQL,
        "/register",
        "register",
    ),
)


@dataclass
class Bench:
    args: argparse.Namespace
    database: Database
    tenant_id: int
    tokens: dict[str, str]  # list and register
    claims: dict[str, Claims]
    register_parts: tuple[str, str, str]
    next_key: int = 0  # the next unused (phone, VIN) key

    async def fresh_keys(self) -> None:
        self.next_key = await bodies.next_key(self.database.engine, self.tenant_id)

    def take_keys(self, count: int) -> list[tuple[str, str]]:
        """Disjoint ranges: requests still in flight when a run ends must not share a key with the
        next run."""
        keys, self.next_key = bodies.keys(self.next_key, count), self.next_key + count
        return keys

    async def orders(self) -> int:
        async with self.database.engine.connect() as conn:
            query = text("SELECT count(*) FROM work_orders WHERE tenant_id = :t")
            return int((await conn.execute(query, {"t": self.tenant_id})).scalar_one())

    async def load_for(self, variant: Variant, base: str) -> Load:
        url = base + variant.path
        if variant.operation == "list":
            return Load(url, self.tokens["list"], body=bodies.worklist(50))
        if variant.operation == "escalations":  # the SE's board: the whole brand's
            return Load(url, self.tokens["list"], body=bodies.escalations(50))
        count = (
            int(self.args.duration * 6000) + 1000
        )  # more keys than even the floor can use in one run
        return Load(
            url, self.tokens["register"], parts=self.register_parts, keys=self.take_keys(count)
        )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench.http_bench", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--slug", default="bench", help="the tenant bench.generate made")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measured run")
    parser.add_argument(
        "--warmup", type=float, default=3.0, help="seconds of load before measuring"
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=3,
        help="rounds (one measured run per variant each); medians are reported",
    )
    parser.add_argument(
        "--only", help="comma-separated variant keys: " + ", ".join(v.key for v in VARIANTS)
    )
    return parser


async def _user_id(database: Database, tenant_id: int, username: str) -> int:
    async with database.engine.connect() as conn:
        query = text("SELECT id FROM users WHERE tenant_id = :t AND username = :u")
        return int((await conn.execute(query, {"t": tenant_id, "u": username})).scalar_one())


async def _dealer_gid(database: Database, tenant_id: int) -> str:
    async with database.engine.connect() as conn:
        query = text("SELECT min(id) FROM org_units WHERE tenant_id = :t AND kind = 'dealer'")
        return encode("OrgUnit", int((await conn.execute(query, {"t": tenant_id})).scalar_one()))


async def setup(args: argparse.Namespace) -> Bench:
    # Servers and this client must share the secret: the tokens are minted here, verified there.
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("JWT_SECRET", secrets.token_urlsafe(48))
    settings = settings_module.load()
    database = Database(args.database_url)
    await migrate.upgrade(database.write_engine)  # the product's models move on; the data stays
    tenant_id = await tenancy.tenant_id_by_slug(database, args.slug)
    if tenant_id is None:
        raise SystemExit(
            f"no tenant '{args.slug}' in {args.database_url}: run python -m bench.generate first"
        )
    # The SE sees the whole brand (the biggest list); the call-centre operator registers complaints.
    users = {
        "list": await _user_id(database, tenant_id, "se"),
        "register": await _user_id(database, tenant_id, "operator"),
    }
    claims = {op: Claims(str(user_id), tenant_id, False) for op, user_id in users.items()}
    tokens = {op: mint(settings, c) for op, c in claims.items()}
    parts = bodies.registration(await _dealer_gid(database, tenant_id))
    return Bench(args, database, tenant_id, tokens, claims, parts)


async def in_process_checks(bench: Bench) -> None:
    validated = await checks.validations(bench.database, bench.claims["list"])
    print(
        f"validation cache: the Worklist document was validated {validated}x in 3 executions "
        f"({'cache hits' if validated == 1 else 'CACHE MISSES: check the schema extensions'})"
    )
    await bench.fresh_keys()
    key = bench.take_keys(1)[0]
    counts = {
        "list": await checks.statements(
            bench.database, bench.claims["list"], {"first": 50}, "Worklist"
        ),
        "register": await checks.statements(
            bench.database,
            bench.claims["register"],
            checks.register_variables(bench.register_parts, key),
            "RegisterComplaint",
        ),
    }
    for op, count in counts.items():
        note = (
            "as the floor mirrors"
            if count in MIRRORS[op]
            else f"FLOOR MIRRORS {MIRRORS[op]}: update bench/floor_sql.py"
        )
        print(f"statements per {op} request in the real app: {count} ({note})")


async def _smoke(bench: Bench, variant: Variant, base: str) -> None:
    """Also loads the tenant's runtime, so the runs measure the warm path (before commit ac78446 a
    cold process met by 32 requests at once deadlocked its connection pool: README, findings)."""
    probe = await bench.load_for(variant, base)
    if variant.operation == "list":
        await checks.smoke(probe.url, probe.token, probe.body, checks.full_page)
    elif variant.operation == "escalations":
        await checks.smoke(probe.url, probe.token, probe.body, checks.escalations_page)
    else:
        body = bodies.fill(probe.parts, probe.keys[0])  # type: ignore[arg-type]
        await checks.smoke(probe.url, probe.token, body, checks.registered)


async def _run(bench: Bench, variant: Variant, base: str, seconds: float) -> Result:
    result = await load.run(await bench.load_for(variant, base), bench.args.connections, seconds)
    await asyncio.sleep(DRAIN)
    return result


async def _start(bench: Bench, variants: list[Variant], stack: AsyncExitStack) -> dict[str, str]:
    bases = {}
    for variant in variants:
        print(f"  starting {variant.label} ...", flush=True)
        env = os.environ | SERVER_ENV
        bases[variant.key] = await stack.enter_async_context(serving(variant.factory, env))
        await _smoke(bench, variant, bases[variant.key])
        await _run(bench, variant, bases[variant.key], bench.args.warmup)
    return bases


async def _measured(bench: Bench, variant: Variant, base: str) -> Result:
    registers = variant.operation == "register"
    before = await bench.orders() if registers else 0
    result = await _run(bench, variant, base, bench.args.duration)
    # Requests still in flight when wrk stops are committed but not counted: created >= answered.
    created = f"  ({await bench.orders() - before} orders created)" if registers else ""
    print(
        f"    {variant.key:<24} {result.rps:8.0f} req/s  p50 {result.p50_ms:7.1f} ms  p95 "
        f"{result.p95_ms:7.1f} ms  p99 {result.p99_ms:7.1f} ms  p95/p50 "
        f"{report.spread(result):4.1f}x  {result.requests} answered{created}",
        flush=True,
    )
    return result


async def measure(bench: Bench, variants: list[Variant]) -> dict[str, Result]:
    """All servers stay up and every round runs each variant once, so a burst of load from elsewhere
    on the machine lowers the variants of one round rather than all runs of one variant."""
    runs: dict[str, list[Result]] = {v.key: [] for v in variants}
    async with AsyncExitStack() as stack:
        bases = await _start(bench, variants, stack)
        for n in range(bench.args.runs):
            print(f"  round {n + 1} of {bench.args.runs}", flush=True)
            for variant in variants:
                runs[variant.key].append(await _measured(bench, variant, bases[variant.key]))
    return {key: load.median(results) for key, results in runs.items()}


async def main_async(args: argparse.Namespace) -> int:
    bench = await setup(args)
    try:
        generator = "wrk" if load.WRK else "httpx closed loop (wrk not found)"
        print(
            f"tenant '{args.slug}': {await bench.orders():,} orders; load: "
            f"{generator}, {args.connections} connections, "
            f"{args.warmup:g}s warm-up, {args.runs} x {args.duration:g}s"
        )
        # Other processes on the same cores lower every figure, and the floors as much as the app.
        print(f"load average before the run: {os.getloadavg()[0]:.2f} (near 0 on an idle machine)")
        await in_process_checks(bench)
        wanted = set(args.only.split(",")) if args.only else {v.key for v in VARIANTS}
        results = await measure(bench, [v for v in VARIANTS if v.key in wanted])
    finally:
        await bench.database.dispose()
    print()
    print(report.table({v.key: v.label for v in VARIANTS}, results))
    print()
    print(report.ratios(results))
    return 0


def main() -> int:
    return asyncio.run(main_async(_parser().parse_args()))


if __name__ == "__main__":
    sys.exit(main())
