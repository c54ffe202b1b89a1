"""No existence leaks inside a tenant: every ID argument of every query and subscription, read from
the schema, sent with an id the caller may not see (another dealer's order, org unit, revisit,
person; another tenant's statement) and with an id of nothing: both answers are the same, id aside.
Mutations are walked the same way below, from test_foreign_ids' cases, by a dealer's manager."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLField,
    GraphQLObjectType,
    GraphQLUnionType,
    get_named_type,
    is_leaf_type,
    is_non_null_type,
)
from support import World, make_world, register
from test_foreign_ids import (
    CASES as MUTATIONS,
)
from test_foreign_ids import (
    NOT_FOUND,
    NOTHING,
    id_paths,
    kpi_appeal,
    tenant_with_ids,
)

from schema.app import schema
from schema.context import Context
from schema.ids import encode

CALLER = "manager_a"  # reads and manages dealer a only


@dataclass(frozen=True)
class Arg:
    """One ID argument: Root.field.path, the kind of id it takes, and the other arguments needed."""

    kind: str
    required: str = ""  # other arguments, GraphQL syntax
    username: str = CALLER


ARGS: dict[str, Arg] = {
    "Query.workOrder.id": Arg("order"),
    "Query.workOrders.filter.assigneeId": Arg("user"),
    "Query.workOrders.filter.orgUnitId": Arg("dealer"),
    "Query.escalations.filter.orgUnitId": Arg("dealer"),
    "Query.board.orgUnitId": Arg("dealer"),
    "Query.orgUnits.under": Arg("dealer"),
    "Query.users.orgUnitId": Arg("dealer"),
    "Query.revisits.filter.assigneeId": Arg("user"),
    "Query.revisits.filter.orgUnitId": Arg("dealer"),
    "Query.revisit.id": Arg("revisit"),
    "Query.statements.orgUnitId": Arg("dealer"),
    "Query.statement.id": Arg("statement"),
    "Query.discrepancies.orgUnitId": Arg("dealer", 'period: "2026-03"'),
    "Query.quarterlyRanking.regionId": Arg("region", 'quarter: "2026-Q1"'),
    "Subscription.orderEvents.orgUnitId": Arg("dealer"),
    "Subscription.boardCounters.orgUnitId": Arg("dealer"),
}


def selection(kind: Any, depth: int = 0) -> str:
    """Every leaf field of the answer without required arguments, objects two levels deep."""
    named = get_named_type(kind)
    if is_leaf_type(named):
        return ""
    if isinstance(named, GraphQLUnionType):
        members = " ".join(f"... on {t.name} {{ {selection(t, depth)} }}" for t in named.types)
        return f"__typename {members}"
    assert isinstance(named, GraphQLObjectType)
    parts = ["__typename"]
    for name, field in named.fields.items():
        if any(is_non_null_type(a.type) for a in field.args.values()):
            continue  # it needs an argument this walk cannot make up
        if is_leaf_type(get_named_type(field.type)):
            parts.append(name)
        elif depth < 2:
            parts.append(f"{name} {{ {selection(field.type, depth + 1)} }}")
    return " ".join(parts)


def document(name: str, arg: Arg) -> str:
    root, field_name, *path = name.split(".")
    root_type = (
        schema._schema.subscription_type if root == "Subscription" else schema._schema.query_type
    )
    field: GraphQLField = root_type.fields[field_name]
    value = "$v"
    for step in reversed(path[1:]):
        value = f"{{ {step}: {value} }}"
    arguments = ", ".join(a for a in (f"{path[0]}: {value}", arg.required) if a)
    operation = "subscription" if root == "Subscription" else "query"
    return f"{operation} Q($v: ID!) {{ {field_name}({arguments}) {{ {selection(field.type)} }} }}"


async def ask(world: World, username: str, text: str, value: str) -> Any:
    caller = await world.caller(username)
    context = Context(caller, "t")
    try:
        if text.startswith("subscription"):
            stream = await schema.subscribe(
                text, variable_values={"v": value}, context_value=context
            )
            if not hasattr(stream, "__anext__"):
                return shown(stream, value)
            try:
                return shown(await asyncio.wait_for(anext(stream), 5.0), value)
            except TimeoutError:
                return "listening"
            finally:
                await stream.aclose()
        result = await schema.execute(text, variable_values={"v": value}, context_value=context)
        return shown(result, value)
    finally:
        await caller.db.close()


def shown(result: Any, value: str) -> Any:
    """The answer with the id sent replaced, and the instants that differ by a millisecond gone."""
    errors = [e.message for e in result.errors or []]
    raw = json.dumps({"data": result.data, "errors": errors}, sort_keys=True, default=str)
    data = json.loads(raw.replace(value, "<sent id>"))
    return drop_instants(data)


def drop_instants(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: drop_instants(v) for k, v in node.items() if k not in ("at", "generatedAt")}
    if isinstance(node, list):
        return [drop_instants(v) for v in node]
    return node


@dataclass
class Scoped:
    """Ids of one tenant that CALLER may not see, and ids of nothing."""

    hidden: dict[str, str]
    missing: dict[str, str]


async def scoped_world(database) -> tuple[World, Scoped]:
    world = await make_world(database)
    await register(world)  # something the caller does see
    order = await register(world, dealer="c")
    await world.gql("care_c", "TransitionWorkOrder", input=order_step(order, 1, "review"))
    close = {"id": order["id"], "expectedVersion": 2, "resolution": "已处理"}
    await world.gql("care_c", "CloseWorkOrder", input=close)
    revisit = (await world.gql("care_c", "Revisits"))["revisits"]["nodes"][0]["id"]
    other = await make_world(database)
    statement, _ = await kpi_appeal(other, (await register(other))["id"])
    hidden = {
        "order": order["id"],
        "user": world.user_gid("care_c"),
        "dealer": world.dealer_gid("c"),
        "region": encode("OrgUnit", world.units["/west"]),
        "revisit": revisit,
        "statement": statement,
    }
    missing = {
        "order": NOTHING.order,
        "user": NOTHING.user,
        "dealer": NOTHING.dealer,
        "region": NOTHING.dealer,
        "revisit": NOTHING.revisit,
        "statement": NOTHING.statement,
    }
    return world, Scoped(hidden, missing)


def order_step(order: dict[str, Any], version: int, transition: str) -> dict[str, Any]:
    return {"id": order["id"], "expectedVersion": version, "transition": transition}


@pytest.fixture(scope="module")
def worlds() -> dict[str, Any]:
    return {}


async def built(database, worlds: dict[str, Any], name: str, make: Callable[..., Any]) -> Any:
    if (database.url, name) not in worlds:
        worlds[database.url, name] = await make(database)
    return worlds[database.url, name]


@pytest.mark.parametrize("name", sorted(ARGS))
async def test_an_id_out_of_scope_answers_like_an_id_of_nothing(database, worlds, name):
    world, ids = await built(database, worlds, "scoped", scoped_world)
    arg = ARGS[name]
    text = document(name, arg)
    hidden = await ask(world, arg.username, text, ids.hidden[arg.kind])
    missing = await ask(world, arg.username, text, ids.missing[arg.kind])
    # a document this walk got wrong would be refused alike both times: it must have run
    assert missing["data"] or "visible to you" in str(missing["errors"]), missing
    assert hidden == missing


def test_every_id_argument_of_every_query_and_subscription_is_walked():
    """A new query or subscription argument taking an id, or a new id field of its input, needs
    its entry in ARGS."""
    found = set()
    for root in (schema._schema.query_type, schema._schema.subscription_type):
        for name, field in root.fields.items():
            for arg_name, arg in field.args.items():
                found |= {f"{root.name}.{name}.{p}" for p in id_paths(arg.type, arg_name)}
    assert found == set(ARGS)


# What every person of the tenant may name whatever their scope: its KPI statements, and anyone of
# the tenant as a handler or as staff involved (references.USER); their cases are foreign-tenant
# ones only (test_foreign_ids).
SCOPED = [
    c
    for c in MUTATIONS
    if c.kind != "statement" and not (c.kind == "user" and c.expected != NOT_FOUND)
]


@pytest.mark.parametrize("case", SCOPED, ids=[c.name for c in SCOPED])
async def test_a_mutation_answers_alike_for_another_dealers_id_and_an_id_of_nothing(
    database, worlds, case
):
    """Sent by dealer c's manager, dealer a's ids (an order, its slip, its revisit, ...) are out of
    scope: the answer is the one an id of nothing gets."""
    world, ids = await built(database, worlds, "mutations", tenant_with_ids)
    outsider = "manager_c"
    answers = []
    for bad in (getattr(ids, case.kind), getattr(NOTHING, case.kind)):
        variables = case.variables(world, ids, bad)
        answers.append(await run_mutation(world, outsider, case.document, variables, bad))
    assert answers[0] == answers[1]


async def run_mutation(world: World, username: str, text: str, variables: Any, bad: str) -> Any:
    caller = await world.caller(username)
    try:
        result = await schema.execute(
            text, variable_values={"v": variables}, context_value=Context(caller, "t")
        )
    finally:
        await caller.db.close()
    return shown(result, bad)
