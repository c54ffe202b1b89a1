"""The compiled Board (server/services/compiled_board.py) answers exactly what the interpreted path
answers: the same JSON after key ordering, for generated org units and instants and callers of
every role of two tenants, on PostgreSQL. Fixed seed (derandomize). One tenant is the demo, the
other has orders left in a state only its earlier profile version has (tests/test_version_paths.py);
each names the other's units as a foreign id. An org unit the interpreted path refuses with
NotFound is the one case left to it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable
from datetime import timedelta
from typing import Any

import pytest
from conftest import PG_DB, migrated_pg_database
from hypothesis import given
from hypothesis import strategies as st
from support import PEOPLE, FixedClock, counting, differential, run_recorded
from test_version_paths import two_versions

from schema.app import schema
from schema.compiled import CompiledOperations
from schema.ids import encode
from schema.persisted import PersistedOperations
from server.security.auth import Claims
from server.services import demo
from server.services.caller import Caller, tenant_caller

EXAMPLES = int(os.environ.get("COMPILED_EXAMPLES", "80"))


@pytest.fixture(scope="module")
async def board_database() -> Any:
    """A PostgreSQL database of this module's own: the demo tenant's slug is fixed (see
    tests/test_compiled_operations.py)."""
    database = await migrated_pg_database(f"{PG_DB}_compiled_board")
    yield database
    await database.dispose()


async def _callers(database: Any) -> tuple[dict[str, Caller], list[FixedClock], list[str]]:
    """The callers of every role of both tenants, their clocks, and the ids of both tenants' org
    units."""
    await demo.load_demo(database, progress=lambda _line: None)
    loaded = await demo.demo_users(database)
    clock = FixedClock()
    versions = (await two_versions(database)).world
    callers: dict[str, Caller] = {}
    for u in loaded.users:
        if u.role != "platform_admin":
            claims = Claims(str(u.user_id), loaded.tenant_id, False)
            callers[f"demo:{u.username}"] = await _idle(tenant_caller(database, claims, clock))
    for name in PEOPLE:
        callers[f"versions:{name}"] = await _idle(versions.caller(name))
    # Each tenant's units are the other's foreign ids.
    units = {encode("OrgUnit", i) for c in callers.values() for i in c.tenant.units}
    return callers, [clock, versions.clock], sorted(units)


async def _idle(making: Awaitable[Caller]) -> Caller:
    """The caller with its connection handed back: there are more callers than the pool holds."""
    caller = await making
    await caller.db.close()
    return caller


def _org_unit_ids(units: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    garbage = ["not-an-id", "", encode("OrgUnit", 0), encode("OrgUnit", 2**31), encode("User", 1)]
    sent = st.none() | st.sampled_from(units) | st.sampled_from(garbage)
    return st.fixed_dictionaries({}, optional={"orgUnitId": sent})


async def test_compiled_board_answers_as_the_interpreted_one(board_database):
    callers, clocks, units = await _callers(board_database)
    starts = [clock.now for clock in clocks]
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    loop = asyncio.get_running_loop()
    boards: list[tuple[str, dict[str, Any]]] = []

    async def one_case(name: str, minutes: int, variables: dict[str, Any]) -> None:
        # Another instant moves orders into and out of their warning windows and past deadlines.
        for clock, start in zip(clocks, starts, strict=True):
            clock.now = start + timedelta(minutes=minutes)
        interpreted = await run_recorded(callers[name], "Board", variables)
        answered = await run_recorded(callers[name], "Board", variables, compiled)
        assert answered[:3] == interpreted[:3], (name, minutes, variables)
        board = json.loads(interpreted[0])["board"]
        # Every board is answered compiled; every refusal (NotFound) is left to the interpreted.
        assert (answered[3], interpreted[3]) == (board["__typename"] == "Board", False), name
        boards.append((name, board))

    @differential()
    @given(
        st.sampled_from(sorted(callers)),
        st.integers(-60 * 24 * 30, 60 * 24 * 10),
        _org_unit_ids(units),
    )
    def check(name: str, minutes: int, variables: dict[str, Any]) -> None:
        asyncio.run_coroutine_threadsafe(one_case(name, minutes, variables), loop).result()

    await asyncio.to_thread(check)
    shown = [(name, b) for name, b in boards if b["__typename"] == "Board"]
    assert len(shown) >= len(boards) // 3, f"{len(shown)} of {len(boards)} compiled"
    # The examples reach both sides of every figure, and the earlier version's state.
    for figure in ("dueSoon", "breached"):
        assert {bool(b[figure]) for _, b in shown} == {True, False}, figure
    assert any(
        name.startswith("versions:") and any(s["state"] == "unprocessed" for s in b["byState"])
        for name, b in shown
    )


async def test_the_board_of_every_caller_and_unit_is_one_statement_with_figures(board_database):
    """Every caller's whole scope and every unit of its tenant, compiled: each one statement, the
    same answer; the figures are not all zero, so the comparison has counts to compare."""
    callers, _clocks, _units = await _callers(board_database)
    compiled = CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    totals = {"open": 0, "dueSoon": 0, "breached": 0}
    for name, caller in callers.items():
        for unit in [None, *(encode("OrgUnit", i) for i in caller.tenant.units)]:
            variables = {"orgUnitId": unit}
            interpreted = await run_recorded(caller, "Board", variables)
            with counting(caller.db.database) as statements:
                answered = await run_recorded(caller, "Board", variables, compiled)
            assert answered[:3] == interpreted[:3], (name, unit)
            board = json.loads(answered[0])["board"]
            if board["__typename"] == "Board":
                # The session's entry into its tenant (server/db/binding.py) aside.
                ran = [s for s in statements if "complaintdesk_enter(" not in s]
                assert answered[3] and len(ran) == 1, (name, unit, ran)
                totals = {k: n + board[k] for k, n in totals.items()}
    assert all(totals.values()), totals


def test_the_start_up_log_says_the_board_runs_compiled(caplog):
    with caplog.at_level(logging.INFO, logger="complaintdesk.graphql"):
        CompiledOperations.build(schema._schema, PersistedOperations.load(), "postgresql")
    lines = [r.getMessage() for r in caplog.records]
    assert "persisted operation Board runs compiled (one PostgreSQL statement)" in lines
