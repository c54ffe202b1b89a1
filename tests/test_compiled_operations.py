"""Compiled persisted operations (schema/compiled.py) answer exactly what the interpreted path
answers: the same JSON (after key ordering) and the same logged customer reads, for generated
variables and the demo tenant's caller of every role, on PostgreSQL. Fixed seed (derandomize).
SQLite, and what the compiler does not know, stay interpreted, with a log line each."""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from conftest import PG_DB, migrated_pg_database
from hypothesis import strategies as st

from schema import cursors
from schema.app import schema
from schema.compiled import CompiledOperations
from schema.ids import encode
from schema.persisted import PersistedOperations
from server.adapters import metrics
from server.services import demo
from tests.support import (
    PEOPLE,
    FixedClock,
    both_paths_as,
    demo_callers,
    make_world,
    register,
    run_recorded,
)

EXAMPLES = int(os.environ.get("COMPILED_EXAMPLES", "80"))
COMPILED_SQL = ("Board", "Escalations", "OrderDetail", "Worklist")


# Compiled operations run on PostgreSQL only (SQLite: the fallback test); only that database.
on_postgresql = pytest.mark.parametrize("database", ["postgresql"], indirect=True)


@pytest.fixture(scope="module")
async def demo_database() -> Any:
    """A PostgreSQL database of this module's own for the demo tenant: its slug is fixed, and
    tests/test_demo.py loads the demo into the session's database and expects it new there."""
    database = await migrated_pg_database(f"{PG_DB}_compiled")
    yield database
    await database.dispose()


async def _demo_world(database: Any) -> dict[str, Any]:
    """The demo tenant, its callers (one per role) and what variables can name in it."""
    await demo.load_demo(database, progress=lambda _line: None)
    loaded = await demo.demo_users(database)
    clock = FixedClock(datetime.now(UTC))
    callers = await demo_callers(database, clock)
    any_caller = next(iter(callers.values()))
    tenant = any_caller.tenant
    profile = tenant.profile
    order_ids = [int(i) for i in await _order_ids(any_caller)]
    return {
        "callers": callers,
        "states": sorted(s.name for s in profile.workflow.states),
        "grades": sorted(profile.grades),
        "categories": sorted(profile.categories),
        "channels": sorted(profile.channels),
        "units": sorted(encode("OrgUnit", i) for i in tenant.units),
        "users": sorted(encode("User", u.user_id) for u in loaded.users),
        "cursors": [cursors.encode("order", i) for i in order_ids],
        "now": clock.now,
    }


async def _order_ids(caller: Any) -> list[int]:
    from sqlalchemy import select

    from server.db.models import WorkOrder

    async with caller.db.read() as session:
        return list((await session.scalars(select(WorkOrder.id))).all())


def _variables(world: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    def some(values: list[str]) -> st.SearchStrategy[list[str] | None]:
        return st.none() | st.lists(st.sampled_from(values), max_size=3)

    now = world["now"]
    instants = st.integers(-60 * 24 * 40, 60 * 24).map(
        lambda minutes: (now + timedelta(minutes=minutes)).isoformat()
    )
    filters = st.fixed_dictionaries(
        {},
        optional={
            "states": some(world["states"]),
            "grades": some(world["grades"]),
            "categories": some(world["categories"]),
            "channels": some(world["channels"]),
            "orgUnitId": st.sampled_from([*world["units"], "not-an-id"]),
            "registeredFrom": instants,
            "registeredTo": instants | st.just("2026-01-01T00:00:00"),  # no offset: refused
            "assigneeId": st.sampled_from(world["users"]),
            "text": st.text(max_size=3) | st.sampled_from(["%", "_", "/", "投诉"]),
            "dueSoon": st.booleans(),
            "breached": st.booleans(),
            "pendingMatters": st.booleans(),
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "first": st.integers(-1, 101),
            "after": st.sampled_from([*world["cursors"], "bm90LWEtY3Vyc29y"]) | st.none(),
            "filter": st.none() | filters,
        },
    )


async def test_compiled_worklist_answers_as_the_interpreted_one(demo_database):
    world = await _demo_world(demo_database)
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    paths = await both_paths_as(world["callers"], "Worklist", _variables(world), compiled)
    # Most examples are served compiled; the rest (refused arguments) fell back on purpose.
    assert sum(paths) >= len(paths) // 3, f"{sum(paths)} of {len(paths)} compiled"


async def test_every_page_of_every_caller_matches_to_the_end(demo_database):
    world = await _demo_world(demo_database)
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    phones = set()
    for username, caller in world["callers"].items():
        after = None
        while True:
            variables = {"first": 7, "after": after}
            interpreted = await run_recorded(caller, "Worklist", variables)
            answered = await run_recorded(caller, "Worklist", variables, compiled)
            assert answered[:3] == interpreted[:3], username
            assert answered[3], "the compiled statement answered"
            page = json.loads(answered[0])["workOrders"]
            phones |= {p for e in page["edges"] for p in e["node"]["customer"]["phones"]}
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
    # The demo exercises both sides of masking (its logged reads: the next test).
    assert any("****" in p for p in phones) and any("****" not in p for p in phones)


@on_postgresql
async def test_logged_customer_reads_are_the_same(database):
    """Where the policy logs unmasked reads (here the SE and the RBO, given customer.pii), a
    compiled read logs the same (customer, order) pairs."""
    pii = [{"role": r, "permission": "customer.pii"} for r in ("se", "rbo")]
    world = await make_world(database, policy={"add": pii, "remove": []})
    for dealer in ("a", "b", "c"):
        await register(world, dealer=dealer)
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    logged = set()
    counted = {path: _executions(path) for path in ("compiled", "interpreted")}
    for username in PEOPLE:
        caller = await world.caller(username)
        interpreted = await run_recorded(caller, "Worklist", {})
        answered = await run_recorded(caller, "Worklist", {}, compiled)
        assert answered[:3] == interpreted[:3], username
        logged |= answered[2]
    assert len(logged) == 3
    # Each path's executions are counted for /metrics.
    assert _executions("compiled") - counted["compiled"] == len(PEOPLE)
    assert _executions("interpreted") - counted["interpreted"] == len(PEOPLE)


def _executions(path: str) -> float:
    return metrics.EXECUTIONS.labels("Worklist", path)._value.get()


def test_sqlite_and_unknown_fields_stay_interpreted_with_a_log_line_each(caplog):
    operations = PersistedOperations.load()
    with caplog.at_level(logging.INFO, logger="complaintdesk.graphql"):
        on_sqlite = CompiledOperations.build(schema._schema, operations, "sqlite")
    assert on_sqlite.by_document == {}
    lines = [r.getMessage() for r in caplog.records if "persisted operation" in r.getMessage()]
    assert len(lines) == len(operations.documents)
    assert all("runs interpreted: compiled operations need PostgreSQL" in line for line in lines)

    answered_there = CompiledOperations.build(schema._schema, operations, "postgresql")
    assert sorted(o.name for o in answered_there.by_document.values()) == sorted(COMPILED_SQL)
