"""A small brand per test: the Skoda profile under a unique slug, two regions, three dealers and a
user per role, plus helpers to act as any of them through GraphQL or the services."""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from schema.app import schema
from schema.compiled import CompiledOperations
from schema.context import Context
from schema.ids import encode
from server.db.session import Database
from server.profiles import bundled_profile_path, load_profile_dir, parse_profile
from server.security.auth import Claims
from server.services import customer_access, demo, organisation, tenancy
from server.services.caller import Caller, tenant_caller

PROFILE = load_profile_dir(bundled_profile_path("skoda"))
_counter = itertools.count(1)

# username: (role, where) -- paths are relative to the tenant root
PEOPLE = {
    "operator": ("operator", ""),
    "care_a": ("care_specialist", "/east/dlr-a"),
    "manager_a": ("manager", "/east/dlr-a"),
    "gm_a": ("gm", "/east/dlr-a"),
    "care_b": ("care_specialist", "/east/dlr-b"),
    "manager_b": ("manager", "/east/dlr-b"),
    "care_c": ("care_specialist", "/west/dlr-c"),
    "manager_c": ("manager", "/west/dlr-c"),
    "rbo_east": ("rbo", "/east"),
    "se": ("se", ""),
    "admin": ("tenant_admin", ""),
}
DEALERS = {"a": "/east/dlr-a", "b": "/east/dlr-b", "c": "/west/dlr-c"}
VIN = "LSVJETH8171PG8B14"  # check digit verified by vininfo
OPERATIONS = Path(__file__).resolve().parents[1] / "frontend-contract" / "operations"


@dataclass
class FixedClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    database: Database
    tenant_id: int
    slug: str
    users: dict[str, int]
    units: dict[str, int]
    clock: FixedClock = field(default_factory=FixedClock)

    def path(self, relative: str) -> str:
        return f"/{self.slug}{relative}"

    def dealer_gid(self, key: str) -> str:
        return encode("OrgUnit", self.units[DEALERS[key]])

    def user_gid(self, username: str) -> str:
        return encode("User", self.users[username])

    async def caller(self, username: str) -> Caller:
        return await tenant_caller(
            self.database, Claims(str(self.users[username]), self.tenant_id, False), self.clock
        )

    async def gql(self, username: str, operation: str, **variables: Any) -> dict[str, Any]:
        """Run a contract operation (frontend-contract/operations/<operation>.graphql) as
        `username`."""
        caller = await self.caller(username)
        try:
            result = await schema.execute(
                op(operation), variable_values=variables, context_value=Context(caller, "test")
            )
        finally:
            await caller.db.close()
        assert result.errors is None, result.errors
        assert result.data is not None
        return result.data


async def make_world(database: Database, profile_name: str = "skoda", **documents: Any) -> World:
    """A tenant with two regions, three dealers and a person per role; `documents` replace or add
    profile documents by stem, e.g. portal={"origins": [...]} for portal.yaml."""
    slug = f"t{next(_counter)}-{uuid.uuid4().hex[:6]}"
    profile = (
        PROFILE if profile_name == "skoda" else load_profile_dir(bundled_profile_path(profile_name))
    )
    if documents:
        profile = parse_profile(
            {**profile.documents, **{f"{stem}.yaml": doc for stem, doc in documents.items()}}
        )
    tenant_id = await tenancy.create_tenant(database, slug, f"Brand {slug}", profile)
    db = database.tenant(tenant_id)
    units: dict[str, int] = {}
    for region in ("east", "west"):
        units[f"/{region}"] = (
            await organisation.add_org_unit(db, f"/{slug}", "region", region, region)
        ).id
    for path in DEALERS.values():
        region, code = path.rsplit("/", 1)
        units[path] = (
            await organisation.add_org_unit(db, f"/{slug}{region}", "dealer", code, code)
        ).id
    users = {}
    for username, (role, where) in PEOPLE.items():
        users[username] = (
            await organisation.add_user(db, username, username.replace("_", " ").title())
        ).id
        await organisation.grant(db, users[username], role, f"/{slug}{where}")
    await db.close()
    return World(database, tenant_id, slug, users, units)


@cache
def op(name: str) -> str:
    return (OPERATIONS / f"{name}.graphql").read_text(encoding="utf-8")


def registration(world: World, dealer: str = "a", **overrides: Any) -> dict[str, Any]:
    """A valid RegisterComplaintInput for `dealer`; override any field to make it invalid."""
    data: dict[str, Any] = {
        "dealerId": world.dealer_gid(dealer),
        "customer": {"name": "王先生", "phones": ["13812345678"]},
        "vehicle": {"vin": VIN, "model": "明锐"},
        "channel": "hotline_400",
        "category": "A4a",
        "summary": "销售顾问承诺的赠品未兑现",
        "details": "客户称：提车时销售顾问承诺赠送脚垫，至今未兑现。",
    }
    data.update(overrides)
    return data


async def register(
    world: World, username: str = "operator", dealer: str = "a", **overrides: Any
) -> dict[str, Any]:
    data = await world.gql(
        username, "RegisterComplaint", input=registration(world, dealer, **overrides)
    )
    result = data["registerComplaint"]
    assert result["__typename"] == "WorkOrderPayload", result
    return result["order"]


@contextmanager
def counting(database: Database) -> Iterator[list[str]]:
    """The SQL statements run on the read engine inside the block, transaction control left out."""
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.lstrip().upper().startswith(("BEGIN", "ROLLBACK", "COMMIT", "PRAGMA")):
            statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)


async def statements_by_page_size(
    world: World, username: str, operation: str, nodes: Callable[[Any], list[Any]]
) -> dict[int, int]:
    """The statements of one page of `operation` at first=5 and first=50, each page checked full;
    the caller is authenticated first, as authentication's own reads are not part of the page."""
    caller = await world.caller(username)
    counts = {}
    for size in (5, 50):
        with counting(world.database) as statements:
            result = await schema.execute(
                op(operation), variable_values={"first": size}, context_value=Context(caller, "t")
            )
        assert result.errors is None, result.errors
        assert len(nodes(result.data)) == size
        counts[size] = len(statements)
    await caller.db.close()
    return counts


async def demo_callers(database: Database, clock: FixedClock) -> dict[str, Caller]:
    """A caller per user of the demo tenant but the platform admin, by username."""
    loaded = await demo.demo_users(database)
    return {
        u.username: await tenant_caller(
            database, Claims(str(u.user_id), loaded.tenant_id, False), clock
        )
        for u in loaded.users
        if u.role != "platform_admin"
    }


def differential(examples: int = 80) -> Any:
    """Hypothesis settings of a differential test of compiled operations: a fixed seed, so CI
    runs the same cases every time; COMPILED_EXAMPLES sets how many."""
    return settings(
        max_examples=int(os.environ.get("COMPILED_EXAMPLES", examples)),
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


async def both_paths_as(
    callers: dict[str, Caller],
    operation: str,
    variables: st.SearchStrategy[dict[str, Any]],
    compiled: CompiledOperations,
) -> list[bool]:
    """Runs `operation` interpreted and compiled for generated callers and variables, requiring
    the same JSON, errors and logged reads (the interpreted never answers compiled); whether each
    compiled answer came from the statement."""
    loop = asyncio.get_running_loop()
    paths: list[bool] = []

    async def one_case(username: str, sent: dict[str, Any]) -> None:
        caller = callers[username]
        interpreted = await run_recorded(caller, operation, sent)
        answered = await run_recorded(caller, operation, sent, compiled)
        assert answered[:3] == interpreted[:3], (username, sent)
        assert not interpreted[3]
        paths.append(answered[3])

    @differential()
    @given(st.sampled_from(sorted(callers)), variables)
    def check(username: str, sent: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(one_case(username, sent), loop).result()

    await asyncio.to_thread(check)
    return paths


def canonical_json(data: Any) -> str:
    """`data` as JSON with sorted keys: the contract's answer whatever the key order."""
    return json.dumps(orjson.loads(orjson.dumps(data)), sort_keys=True, ensure_ascii=False)


async def run_recorded(
    caller: Caller,
    operation: str,
    variables: dict[str, Any],
    compiled: CompiledOperations | None = None,
) -> tuple[str, list[str], set[Any], bool]:
    """A contract operation's answer (canonical_json), its errors, the customer reads it logged,
    and whether a compiled statement answered it (schema/compiled.py)."""
    logged: set[Any] = set()
    original = customer_access.record

    async def record(c: Any) -> None:
        logged.update(c.revealed)
        await original(c)

    customer_access.record = record  # type: ignore[assignment]
    try:
        result = await schema.execute(
            op(operation),
            variable_values=variables,
            context_value=Context(caller, "test", compiled=compiled),
        )
    finally:
        customer_access.record = original  # type: ignore[assignment]
        await caller.db.close()
    errors = [e.message for e in result.errors or ()]
    return canonical_json(result.data), errors, logged, isinstance(result.data, orjson.Fragment)
