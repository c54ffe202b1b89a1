"""Property-based tests over every query and mutation argument, generated from the schema
(tests/fuzzing.py): whatever comes in, no internal error, no partial write and no answer from
another tenant. Fixed seed (derandomize), a few examples per field in CI; the longer run is
`make fuzz` (FUZZ_EXAMPLES=300)."""

from __future__ import annotations

import asyncio
import json
import os
from typing import Any

import pytest
from fuzzing import document, for_input
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from support import World, make_world, register

from schema.app import schema
from schema.context import Context
from server.db.models import Base
from server.db.session import Database

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
MARKER = "OTHER-TENANT-名字-7f3a"  # the other tenant's data: never in an answer to this one
USERS = ["operator", "care_a", "manager_a", "rbo_east", "se", "admin"]
# The answers that say nothing was done; a mutation answering one has written nothing.
REFUSALS = {"ValidationError", "NotFound", "NotPermitted", "Conflict", "TransitionNotAllowed"}

SCHEMA = schema._schema
ROOTS = [
    (kind, name, field)
    for kind, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type))
    if root is not None
    for name, field in root.fields.items()
]

_worlds: dict[int, tuple[World, World, list[str]]] = {}


async def worlds(database: Database) -> tuple[World, World, list[str]]:
    """This backend's tenant under test, the other tenant, and the ids of both to try."""
    if id(database) not in _worlds:
        world, other = await make_world(database), await make_world(database)
        order = await register(world)
        foreign = await register(
            other,
            customer={"name": MARKER, "phones": ["13912345678"]},
            summary=MARKER,
        )
        ids = [order["id"], foreign["id"]]
        for w in (world, other):
            ids += [w.dealer_gid("a"), w.user_gid("care_a"), w.user_gid("se")]
        _worlds[id(database)] = (world, other, ids)
    return _worlds[id(database)]


async def fingerprint(database: Database) -> tuple[int, ...]:
    """Rows in every table, every tenant: one statement, so it is cheap to take per example."""
    tables = [t for t in Base.metadata.sorted_tables if t.name != "scheduler_ticks"]
    statement = select(*(select(func.count()).select_from(t).scalar_subquery() for t in tables))
    async with database.platform() as session:
        return tuple((await session.execute(statement)).one())


async def one_case(
    database: Database, kind: str, text: str, case: tuple[str, dict[str, Any]]
) -> None:
    world, other, _ids = await worlds(database)
    username, variables = case
    before = await fingerprint(database) if kind == "mutation" else None
    caller = await world.caller(username)
    try:
        result = await schema.execute(
            text, variable_values=variables, context_value=Context(caller, "fuzz")
        )
    finally:
        await caller.db.close()
    for error in result.errors or ():
        code = (error.extensions or {}).get("code")
        assert code != "INTERNAL" and "Internal error" not in error.message, (text, case, error)
    answer = json.dumps(result.data, ensure_ascii=False, default=str)
    assert MARKER not in answer and other.slug not in answer, (text, case, answer)
    if before is not None:
        typename = next(iter((result.data or {}).values()), None) or {}
        refused = result.data is None or (
            isinstance(typename, dict) and typename.get("__typename") in REFUSALS
        )
        if refused:
            assert await fingerprint(database) == before, (text, case, answer)


@pytest.mark.parametrize("root", ROOTS, ids=[f"{kind}.{name}" for kind, name, _f in ROOTS])
async def test_no_argument_makes_an_internal_error_a_partial_write_or_a_foreign_answer(
    database, root
):
    kind, name, field = root
    _world, _other, ids = await worlds(database)
    text = document(kind, name, field)
    arguments = st.fixed_dictionaries(
        {a: for_input(arg.type, ids) for a, arg in field.args.items()}
    )
    loop = asyncio.get_running_loop()

    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.tuples(st.sampled_from(USERS), arguments))
    def check(case: tuple[str, dict[str, Any]]) -> None:
        # Hypothesis drives from this thread; the case runs on the test's loop, where the
        # database's connections live.
        asyncio.run_coroutine_threadsafe(one_case(database, kind, text, case), loop).result()

    await asyncio.to_thread(check)


async def test_found_by_fuzzing_a_vin_that_is_no_vin_finds_nothing_instead_of_failing(database):
    world, _other, _ids = await worlds(database)
    for vin in ("LSV\ud800", "lsvjeth8171pg8b14\x00", "' OR 1=1 --"):
        data = await world.gql("operator", "PossibleDuplicates", phones=[], vin=vin)
        assert data["possibleDuplicates"] == [], vin
