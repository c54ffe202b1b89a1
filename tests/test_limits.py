"""Limits: an over-limit operation is refused before execution, without a single SQL statement, with
an error naming the limit; limits come per deployment (env) and per tenant (limits_for); and the
validation cache keeps hitting."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest
from conftest import TEST_SETTINGS
from graphql import get_introspection_query
from sqlalchemy import event
from strawberry.extensions.parser_cache import _get_parse_cache
from strawberry.extensions.validation_cache import _get_validate_cache
from support import make_world, op

from complaintdesk.app import create_app
from schema.app import schema
from schema.context import Context
from schema.limits import limits_for, rules_for
from server.security.auth import Claims, mint
from server.settings import Limits, _limits

DEEP = (
    '{ __type(name: "WorkOrder") { ' + "fields { type { " * 24 + "name" + " } }" * 24 + " } }"
)  # depth 50
ALIASES = "{ " + " ".join(f"a{n}: __typename" for n in range(1000)) + " }"
PAGE = "{ workOrders(first: 10000) { ... on WorkOrderConnection { edges { node { id } } } } }"
PAGE_VARIABLE = (
    "query($first: Int) { workOrders(first: $first) "
    "{ ... on WorkOrderConnection { edges { node { id } } } } }"
)
COSTLY = (  # 100 orders x (20 history entries + 20 contact attempts), each with its actor
    "{ workOrders(first: 100) { ... on WorkOrderConnection { edges { node {"
    " history { id at kind comment actor { id displayName } } contactAttempts { id at note outcome "
    "actor { id displayName } } } } } } }"
)

REFUSED = {
    "depth 50": (DEEP, None, "query depth 50 exceeds the limit of 12 (limit: depth)"),
    "1000 aliases": (ALIASES, None, "alias count 1000 exceeds the limit of 30 (limit: aliases)"),
    "a page of 10000": (
        PAGE,
        None,
        "page size (first) 10000 exceeds the limit of 100 (limit: page_size)",
    ),
    "a page of 10000 in a variable": (
        PAGE_VARIABLE,
        {"first": 10000},
        "page size (first) 10000 exceeds the limit of 100 (limit: page_size)",
    ),
    "a page of 500 as a variable's default": (
        PAGE_VARIABLE.replace("$first: Int", "$first: Int = 500"),
        None,
        "page size (first) 500 exceeds the limit of 100 (limit: page_size)",
    ),
    "cost": (COSTLY, None, "query cost 28302 exceeds the limit of 20000 (limit: cost)"),
    "tokens": (
        "{ " + "__typename " * 5000 + "}",
        None,
        "the document exceeds the limit of 5000 tokens (limit: tokens)",
    ),
}


@contextmanager
def counting(database):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engines = {database.engine.sync_engine, database.write_engine.sync_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("case", REFUSED)
async def test_an_over_limit_operation_is_refused_before_touching_the_database(database, case):
    query, variables, message = REFUSED[case]
    world = await make_world(database)
    caller = await world.caller("se")  # authentication's reads are not part of the operation
    try:
        with counting(database) as statements:
            result = await schema.execute(
                query, variable_values=variables, context_value=Context(caller, "t")
            )
    finally:
        await caller.db.close()
    assert result.data is None
    assert message in [e.message for e in result.errors], result.errors
    assert statements == []


async def test_over_http_only_authentication_reads_the_database(database):
    world = await make_world(database)
    claims = Claims(str(world.users["se"]), world.tenant_id, False)
    headers = {"Authorization": f"Bearer {mint(TEST_SETTINGS, claims)}"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(TEST_SETTINGS, database)), base_url="http://t"
    ) as http:
        await http.post(
            "/graphql", json={"query": "{ __typename }"}, headers=headers
        )  # the tenant is loaded once
        with counting(database) as authentication:
            await http.post("/graphql", json={"query": "{ __typename }"}, headers=headers)
        with counting(database) as refused:
            response = await http.post(
                "/graphql",
                json={"query": DEEP},
                headers={**headers, "Accept": "application/graphql-response+json"},
            )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"] == {
        "code": "LIMIT_EXCEEDED",
        "limit": "depth",
    }
    assert len(refused) == len(authentication)


async def test_every_contract_operation_and_graphiqls_introspection_pass_the_default_limits(
    database,
):
    world = await make_world(database)
    caller = await world.caller("se")
    try:
        introspection = await schema.execute(
            get_introspection_query(), context_value=Context(caller, "t")
        )
        worklist = await schema.execute(
            op("Worklist"), variable_values={"first": 100}, context_value=Context(caller, "t")
        )
    finally:
        await caller.db.close()
    assert introspection.errors is None and introspection.data["__schema"]["types"]
    assert worklist.errors is None


async def test_limits_are_the_requests_own(database):
    world = await make_world(database)
    caller = await world.caller("se")
    strict = Limits(depth=3, page_size=10)
    try:
        deep = await schema.execute(op("Worklist"), context_value=Context(caller, "t", strict))
        page = await schema.execute(
            op("Worklist"),
            variable_values={"first": 11},
            context_value=Context(caller, "t", replace(strict, depth=12)),
        )
    finally:
        await caller.db.close()
    assert deep.errors[0].message == "query depth 6 exceeds the limit of 3 (limit: depth)"
    assert (
        page.errors[0].message == "page size (first) 11 exceeds the limit of 10 (limit: page_size)"
    )


async def test_the_parser_and_validation_caches_hit_on_repeated_requests(database):
    world = await make_world(database)
    caller = await world.caller("se")
    caches = {
        "parse": _get_parse_cache(256),
        "validate": _get_validate_cache(256),
    }  # the LRUs of schema/app.py's extensions
    try:
        await schema.execute(op("Catalogue"), context_value=Context(caller, "t"))
        before = {name: cache.cache_info() for name, cache in caches.items()}
        for _ in range(3):  # each request has its own (equal) Limits
            result = await schema.execute(
                op("Catalogue"), context_value=Context(caller, "t", Limits())
            )
            assert result.errors is None
        after = {name: cache.cache_info() for name, cache in caches.items()}
    finally:
        await caller.db.close()
    for name in caches:
        assert (after[name].hits - before[name].hits, after[name].misses - before[name].misses) == (
            3,
            0,
        ), name


def test_the_rules_are_built_once_per_limits_value():
    assert rules_for(Limits()) is rules_for(Limits())
    assert rules_for(Limits(depth=5)) is not rules_for(Limits())
    assert rules_for(Limits(timeout_seconds=1, persisted_only=True)) is rules_for(
        Limits()
    )  # not validation's business


async def test_a_deployment_may_turn_introspection_off(database):
    world = await make_world(database)
    caller = await world.caller("se")
    try:
        closed = await schema.execute(
            get_introspection_query(),
            context_value=Context(caller, "t", Limits(introspection=False)),
        )
        work = await schema.execute(
            op("Catalogue"), context_value=Context(caller, "t", Limits(introspection=False))
        )
    finally:
        await caller.db.close()
    assert closed.data is None and "introspection has been disabled" in closed.errors[0].message
    assert (
        work.errors is None
    )  # __typename is not introspection: every contract operation still runs


def test_deployment_limits_come_from_the_environment():
    env = {
        "GRAPHQL_LIMIT_DEPTH": "8",
        "GRAPHQL_LIMIT_TIMEOUT_SECONDS": "2.5",
        "GRAPHQL_LIMIT_PERSISTED_ONLY": "true",
        "GRAPHQL_LIMIT_INTROSPECTION": "false",
    }
    assert _limits(env) == Limits(
        depth=8, timeout_seconds=2.5, persisted_only=True, introspection=False
    )
    assert _limits({}) == Limits()


async def test_a_tenant_tightens_the_deployments_limits_in_its_portal_yaml(database):
    small = await make_world(database, portal={"limits": {"page_size": 5, "persisted_only": True}})
    loose = await make_world(
        database, portal={"limits": {"page_size": 100, "depth": 99}}
    )  # cannot loosen
    deployment = replace(TEST_SETTINGS, limits=Limits(page_size=60, depth=12))
    body = {"query": op("Worklist"), "variables": {"first": 50}}
    ad_hoc = {"query": "{ __typename }"}
    answers = {}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=create_app(deployment, database)), base_url="http://t"
    ) as http:
        for name, world in (("small", small), ("loose", loose)):
            claims = Claims(str(world.users["se"]), world.tenant_id, False)
            token = {"Authorization": f"Bearer {mint(TEST_SETTINGS, claims)}"}
            answers[name] = (await http.post("/graphql", json=body, headers=token)).json()
            answers[f"{name} ad hoc"] = (
                await http.post("/graphql", json=ad_hoc, headers=token)
            ).json()
    assert (
        answers["small"]["errors"][0]["message"]
        == "page size (first) 50 exceeds the limit of 5 (limit: page_size)"
    )
    assert answers["small ad hoc"]["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    assert answers["loose"]["data"]["workOrders"]["edges"] == []
    assert answers["loose ad hoc"]["data"] == {"__typename": "Query"}
    caller = await loose.caller("se")
    await caller.db.close()
    assert limits_for(caller.tenant, deployment) == Limits(page_size=60, depth=12)
