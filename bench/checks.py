"""Checks that keep the figures honest: the response is the one asked for, the validation cache
really hits, and the floors still mirror the statements the product sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from unittest import mock

import httpx
import strawberry.schema.schema as strawberry_schema
from sqlalchemy import event

from bench import bodies
from schema.app import schema
from schema.context import Context
from server.db.session import Database
from server.security.auth import Claims
from server.services.caller import tenant_caller


async def smoke(url: str, token: str, body: str, expect: Callable[[dict[str, Any]], bool]) -> None:
    """One request before the load: wrk only sees status codes, and GraphQL errors come back as
    200."""
    async with httpx.AsyncClient(timeout=30) as client:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        response = await client.post(url, content=body, headers=headers)
    answer = (
        response.json()
        if response.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if response.status_code != 200 or answer.get("errors") or not expect(answer.get("data") or {}):
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")


def full_page(data: dict[str, Any]) -> bool:
    return len(data.get("workOrders", {}).get("edges", [])) == 50


def escalations_page(data: dict[str, Any]) -> bool:
    """Any page: bench.escalation_load decides how many orders are escalated."""
    return data.get("escalations", {}).get("__typename") == "EscalationConnection"


def registered(data: dict[str, Any]) -> bool:
    return data.get("registerComplaint", {}).get("__typename") == "WorkOrderPayload"


async def _execute(
    database: Database, claims: Claims, operation: str, variables: dict[str, Any]
) -> None:
    caller = await tenant_caller(
        database, claims
    )  # inside the count: the HTTP request authenticates too
    try:
        context = Context(caller, "bench")
        result = await schema.execute(
            bodies.operation(operation), variable_values=variables, context_value=context
        )
    finally:
        await caller.db.close()
    if result.errors:
        raise RuntimeError(f"{operation}: {result.errors}")


async def validations(database: Database, claims: Claims, times: int = 3) -> int:
    """How often graphql-core validated the Worklist document over `times` executions (1 = cache
    hits)."""
    counted = mock.MagicMock(side_effect=strawberry_schema.validate)
    with mock.patch.object(strawberry_schema, "validate", counted):
        for _ in range(times):
            await _execute(database, claims, "Worklist", {"first": 50})
    return counted.call_count


@asynccontextmanager
async def counting(database: Database) -> AsyncIterator[list[str]]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)


async def statements(
    database: Database, claims: Claims, variables: dict[str, Any], operation: str
) -> int:
    await _execute(
        database, claims, "Worklist", {"first": 50}
    )  # warm: the tenant runtime is loaded once per process
    async with counting(database) as seen:
        await _execute(database, claims, operation, variables)
    return len(seen)


def register_variables(parts: tuple[str, str, str], key: tuple[str, str]) -> dict[str, Any]:
    return json.loads(bodies.fill(parts, key))["variables"]
