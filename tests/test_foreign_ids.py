"""Every id a mutation accepts, sent as another tenant's id, as an id of nothing at all and as an id
of another type: all are answered with the same typed error (NotFound for the object the mutation
acts on, ValidationError naming the field for an id the input refers to) and nothing is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from graphql import GraphQLInputObjectType, get_named_type
from sqlalchemy import func, select
from support import DEALERS, World, make_world, register, registration

from schema.app import schema
from schema.context import Context
from schema.ids import encode, key
from server.db.models import (
    Base,
    KpiAppeal,
    KpiStatement,
    OutboxMessage,
    User,
    WarningSlip,
    WorkOrder,
    WrittenReport,
)
from server.services import organisation

NOT_FOUND = "NotFound"
SELECT = {
    NOT_FOUND: "... on NotFound { id }",
    "field": "... on ValidationError { fields { path message } }",
}


@dataclass
class Ids:
    """One tenant's ids of each kind, as a client holds them."""

    order: str
    version: int
    slip: str
    user: str
    dealer: str
    dead: str  # a dead outbox message
    revisit: str  # an open revisit of a handled order
    statement: str = ""  # an issued KPI statement
    appeal: str = ""  # an appeal against it
    report: str = ""  # a written report the order owes


Variables = Callable[[World, Ids, str], Any]  # (the caller's world, its ids, the id under test)


@dataclass(frozen=True)
class Case:
    name: str  # Mutation.field(argument) or Mutation.field.inputField
    kind: str  # the kind of id under test: a field of Ids
    expected: str | tuple[str, ...]  # NotFound, or the path of the field a ValidationError names
    variables: Variables
    username: str = "se"

    @property
    def document(self) -> str:
        if "(" in self.name:  # a bare ID argument
            field, _, argument = self.name.rstrip(")").partition("(")
            head = f"mutation M($v: ID!) {{ {field}({argument}: $v{extra(field)})"
        else:
            field = self.name.split(".")[0]
            kind = INPUTS.get(field, field[0].upper() + field[1:] + "Input")
            head = f"mutation M($v: {kind}!) {{ {field}(input: $v)"
        error = SELECT[NOT_FOUND if self.expected == NOT_FOUND else "field"]
        return f"{head} {{ __typename ... on Error {{ message }} {error} }} }}"


INPUTS = {
    "escalateWorkOrder": "TierMoveInput",
    "returnWorkOrder": "TierMoveInput",
    "regradeWorkOrder": "RegradeInput",
    "recordSlipResult": "SlipResultInput",
    "grantRole": "RoleGrantInput",
    "revokeRole": "RoleGrantInput",
}


def extra(field: str) -> str:
    return ", absent: true" if field == "setAbsence" else ""


def on_order(**fields: Any) -> Variables:
    return lambda w, ids, bad: {"id": bad, "expectedVersion": ids.version, **fields}


# The tenants' profile gives `cancel` a transfer block (handling.yaml) for the transfer's ids.
HANDLING = {
    "departments": [{"code": "sales", "label": {"zh": "销售部", "en": "Sales"}}],
    "transfers": [
        {
            "transition": "cancel",
            "authorities": [
                {
                    "code": "sales_manager",
                    "label": {"zh": "销售经理", "en": "Sales manager"},
                    "department": "sales",
                    "role": "manager",
                }
            ],
        }
    ],
}


def cancel_to(store: str, person: str) -> dict[str, Any]:
    target = {"storeId": store, "authority": "sales_manager", "personInChargeId": person}
    return {"transition": "cancel", "comment": "转交", "transfer": target}


def bare(w: World, ids: Ids, bad: str) -> str:
    return bad


def assign(**handlers: str) -> Variables:
    """`handlers` name the field under test with "bad", the others with "mine"."""

    def build(w: World, ids: Ids, bad: str) -> dict[str, Any]:
        chosen = {f: bad if which == "bad" else ids.user for f, which in handlers.items()}
        return {"id": ids.order, "expectedVersion": ids.version, **chosen}

    return build


CASES = [
    Case(
        "registerComplaint.dealerId",
        "dealer",
        "dealerId",
        lambda w, ids, bad: registration(w, dealerId=bad),
    ),
    Case(
        "registerComplaint.repeatOfId",
        "order",
        "repeatOfId",
        lambda w, ids, bad: registration(w, repeatOfId=bad),
    ),
    Case(
        "registerComplaint.involvedStaffIds",
        "user",
        "involvedStaffIds[1]",
        lambda w, ids, bad: registration(w, involvedStaffIds=[ids.user, bad]),
    ),
    Case(
        "assignWorkOrder.id",
        "order",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "expectedVersion": 1, "primaryHandlerId": ids.user},
    ),
    Case(
        "assignWorkOrder.primaryHandlerId",
        "user",
        "primaryHandlerId",
        assign(primaryHandlerId="bad"),
    ),
    Case(
        "assignWorkOrder.secondaryHandlerId",
        "user",
        "secondaryHandlerId",
        assign(primaryHandlerId="mine", secondaryHandlerId="bad"),
    ),
    Case("transitionWorkOrder.id", "order", NOT_FOUND, on_order(transition="review")),
    Case(
        "transitionWorkOrder.transfer.storeId",
        "dealer",
        ("transfer", "storeId"),
        lambda w, ids, bad: on_order(**cancel_to(bad, ids.user))(w, ids, ids.order),
    ),
    Case(
        "transitionWorkOrder.transfer.personInChargeId",
        "user",
        ("transfer", "personInChargeId"),
        lambda w, ids, bad: on_order(**cancel_to(ids.dealer, bad))(w, ids, ids.order),
    ),
    Case("correctWorkOrder.id", "order", NOT_FOUND, on_order(reason="更正", summary="新摘要")),
    Case("logContactAttempt.id", "order", NOT_FOUND, on_order(outcome="REACHED")),
    Case("closeWorkOrder.id", "order", NOT_FOUND, on_order(resolution="已处理")),
    Case(
        "recordCustomerCall.id",
        "order",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "channel": "hotline_400", "words": "又打来了"},
        "operator",
    ),
    Case("escalateWorkOrder.id", "order", NOT_FOUND, on_order(reason="客户要求")),
    Case("returnWorkOrder.id", "order", NOT_FOUND, on_order(reason="请经销商处理")),
    Case("regradeWorkOrder.id", "order", NOT_FOUND, on_order(grade="A", reason="媒体介入")),
    Case("recordOrderFact.id", "order", NOT_FOUND, on_order(fact="customer_unreachable")),
    Case("recordOrderOutcome.id", "order", NOT_FOUND, on_order(outcome="settled")),
    Case(
        "submitWrittenReport.id",
        "report",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "expectedVersion": ids.version},
    ),
    Case("setAbsence(userId)", "user", NOT_FOUND, bare),
    Case("acknowledgeSlip(id)", "slip", NOT_FOUND, bare),
    Case(
        "recordSlipResult.id",
        "slip",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "result": "已回复客户", "handlerId": ids.user},
    ),
    Case(
        "recordSlipResult.handlerId",
        "user",
        "handlerId",
        lambda w, ids, bad: {"id": ids.slip, "result": "已回复客户", "handlerId": bad},
    ),
    Case("retryOutboxMessages.id", "dead", NOT_FOUND, lambda w, ids, bad: {"id": bad}, "admin"),
    Case(
        "addOrgUnit.parentId",
        "dealer",
        NOT_FOUND,
        lambda w, ids, bad: {
            "parentId": bad,
            "kind": "department",
            "code": "aftersales",
            "name": "售后",
        },
        "admin",
    ),
    Case(
        "updateOrgUnit.id",
        "dealer",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "name": "x"},
        "admin",
    ),
    Case(
        "addUser.grants.orgUnitId",
        "dealer",
        "grants[1].orgUnitId",
        lambda w, ids, bad: {
            "username": "new-care",
            "displayName": "x",
            "grants": [
                {"role": "operator", "orgUnitId": ids.dealer},
                {"role": "care_specialist", "orgUnitId": bad},
            ],
        },
        "admin",
    ),
    Case("deactivateUser.id", "user", NOT_FOUND, lambda w, ids, bad: {"id": bad}, "admin"),
    Case(
        "grantRole.userId",
        "user",
        NOT_FOUND,
        lambda w, ids, bad: {"userId": bad, "role": "operator", "orgUnitId": ids.dealer},
        "admin",
    ),
    Case(
        "grantRole.orgUnitId",
        "dealer",
        "orgUnitId",
        lambda w, ids, bad: {"userId": ids.user, "role": "operator", "orgUnitId": bad},
        "admin",
    ),
    Case(
        "revokeRole.userId",
        "user",
        NOT_FOUND,
        lambda w, ids, bad: {"userId": bad, "role": "operator", "orgUnitId": ids.dealer},
        "admin",
    ),
    Case(
        "revokeRole.orgUnitId",
        "dealer",
        "orgUnitId",
        lambda w, ids, bad: {"userId": ids.user, "role": "operator", "orgUnitId": bad},
        "admin",
    ),
    Case(
        "logRevisitAttempt.id",
        "revisit",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "outcome": "REACHED"},
    ),
    Case(
        "recordRevisitResult.id",
        "revisit",
        NOT_FOUND,
        lambda w, ids, bad: {"id": bad, "result": "satisfied", "words": "满意"},
    ),
    Case(
        "fileAppeal.statementId",
        "statement",
        NOT_FOUND,
        lambda w, ids, bad: appeal(ids.order, statementId=bad),
        "manager_a",
    ),
    Case(
        "fileAppeal.workOrderId",
        "order",
        "workOrderId",
        lambda w, ids, bad: appeal(bad, statementId=ids.statement),
        "manager_a",
    ),
    Case(
        "decideAppeal.appealId",
        "appeal",
        NOT_FOUND,
        lambda w, ids, bad: {"appealId": bad, "accept": True, "reason": "ok"},
    ),
]


def appeal(order: str, **fields: str) -> dict[str, Any]:
    return {
        "workOrderId": order,
        "kpi": "timely_response",
        "reason": "r",
        "evidence": "e",
        **fields,
    }


NOTHING = Ids(
    order=encode("WorkOrder", 987_654_321),
    version=1,
    slip=encode("WarningSlip", 987_654_321),
    user=encode("User", 987_654_321),
    dealer=encode("OrgUnit", 987_654_321),
    dead=encode("OutboxMessage", 987_654_321),
    revisit=encode("Revisit", 987_654_321),
    statement=encode("KpiStatement", 987_654_321),
    appeal=encode("KpiAppeal", 987_654_321),
    report=encode("WrittenReport", 987_654_321),
)
VEHICLE = encode("Vehicle", 1)
WRONG_TYPE = Ids(
    order=VEHICLE,
    version=1,
    slip=VEHICLE,
    user=VEHICLE,
    dealer=VEHICLE,
    dead=VEHICLE,
    revisit=VEHICLE,
    statement=VEHICLE,
    appeal=VEHICLE,
    report=VEHICLE,
)


async def kpi_appeal(world: World, order_id: str) -> tuple[str, str]:
    """An issued monthly statement and an appeal against the order's outcome in it."""
    now = datetime.now(UTC)
    order = key("WorkOrder", order_id)
    async with world.database.writer(world.tenant_id) as session, session.begin():
        statement = KpiStatement(
            period="2026-03",
            kind="monthly",
            starts_at=now,
            ends_at=now,
            issued_at=now,
            profile_version="test",
        )
        session.add(statement)
        await session.flush()
        appealed = KpiAppeal(
            statement_id=statement.id,
            work_order_id=order,
            org_unit_id=world.units["/east/dlr-a"],
            org_path=world.path("/east/dlr-a"),
            kpi="timely_response",
            outcome="not_timely",
            reason="r",
            evidence="e",
            filed_by_id=world.users["manager_a"],
            filed_at=now,
        )
        session.add(appealed)
        await session.flush()
        return encode("KpiStatement", statement.id), encode("KpiAppeal", appealed.id)


async def dead_message(world: World) -> str:
    """A notification the outbox gave up on (the retry policy's last attempt failed)."""
    now = datetime.now(UTC)
    async with world.database.writer(world.tenant_id) as session, session.begin():
        message = OutboxMessage(
            key="given-up",
            topic="sla.breached",
            subject="given up",
            body={},
            created_at=now,
            attempts=24,
            next_attempt_at=now,
            dead_at=now,
            recipient_id=world.users["manager_a"],
        )
        session.add(message)
        await session.flush()
        return encode("OutboxMessage", message.id)


async def written_report(world: World, order_id: str) -> str:
    """A written report the order owes (as a profile's written_reports.yaml would create it)."""
    now = datetime.now(UTC)
    async with world.database.writer(world.tenant_id) as session, session.begin():
        report = WrittenReport(
            work_order_id=key("WorkOrder", order_id),
            code="major_fault_report",
            created_at=now,
            due_at=now,
            escalated_to="RBO",
        )
        session.add(report)
        await session.flush()
        return encode("WrittenReport", report.id)


async def tenant_with_ids(database) -> tuple[World, Ids]:
    """A tenant with an unprocessed order at dealer a that two calls have given a W1 slip."""
    world = await make_world(database, handling=HANDLING)
    db = database.tenant(world.tenant_id)
    await organisation.add_org_unit(db, world.path(DEALERS["a"]), "department", "sales", "销售部")
    await db.close()
    order = await register(world)
    for words in ("还没人联系我", "我又打来了"):
        variables = {"id": order["id"], "channel": "hotline_400", "words": words}
        data = await world.gql("operator", "RecordCustomerCall", input=variables)
    called = data["recordCustomerCall"]["order"]
    (slip,) = called["warningSlips"]
    user, dealer = world.user_gid("care_a"), world.dealer_gid("a")
    dead = await dead_message(world)
    statement, appealed = await kpi_appeal(world, order["id"])
    ids = Ids(
        order["id"],
        called["version"],
        slip["id"],
        user,
        dealer,
        dead,
        await revisit(world),
        statement,
        appealed,
        await written_report(world, order["id"]),
    )
    return world, ids


async def revisit(world: World) -> str:
    """The open revisit of a second order, handled."""
    order = await register(world, customer={"name": "李女士", "phones": ["13900001111"]})
    step = {"id": order["id"], "expectedVersion": 1, "transition": "review"}
    await world.gql("care_a", "TransitionWorkOrder", input=step)
    close = {"id": order["id"], "expectedVersion": 2, "resolution": "已处理"}
    await world.gql("care_a", "CloseWorkOrder", input=close)
    return (await world.gql("care_a", "Revisits"))["revisits"]["nodes"][0]["id"]


Tenants = dict[str, tuple[World, Ids, Ids]]


@pytest.fixture(scope="module")
def tenants() -> Tenants:
    """Two tenants per database, built once: every case is refused, so none changes them."""
    return {}


async def two_tenants(database, tenants: Tenants) -> tuple[World, Ids, Ids]:
    if database.url not in tenants:
        mine, my_ids = await tenant_with_ids(database)
        _, their_ids = await tenant_with_ids(database)
        tenants[database.url] = (mine, my_ids, their_ids)
    return tenants[database.url]


async def everything(database) -> dict[str, Any]:
    """Every table's row count, and the columns these mutations would change."""
    async with database.platform() as session:
        tables = Base.metadata.sorted_tables
        counts = {t.name: await session.scalar(select(func.count()).select_from(t)) for t in tables}
        orders = (await session.execute(select(WorkOrder.id, WorkOrder.version))).all()
        slip = select(WarningSlip.id, WarningSlip.state, WarningSlip.result_handler_id)
        slips = (await session.execute(slip)).all()
        users = (await session.execute(select(User.id, User.absent))).all()
        dead = select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.dead_at)
        outbox = (await session.execute(dead)).all()
    return {
        "counts": counts,
        "orders": sorted(orders),
        "slips": sorted(slips),
        "users": sorted(users),
        "outbox": sorted(outbox),
    }


async def answer(world: World, case: Case, variables: Any) -> dict[str, Any]:
    caller = await world.caller(case.username)
    try:
        context = Context(caller, "t")
        values = {"v": variables}
        result = await schema.execute(case.document, variable_values=values, context_value=context)
    finally:
        await caller.db.close()
    assert result.errors is None, result.errors
    assert result.data is not None
    (found,) = result.data.values()
    return dict(found)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
async def test_a_foreign_id_answers_like_an_id_of_nothing_and_writes_nothing(
    database, tenants, case
):
    mine, my_ids, their_ids = await two_tenants(database, tenants)
    before = await everything(database)
    answers = {}
    for source, ids in (("foreign", their_ids), ("nothing", NOTHING), ("wrong type", WRONG_TYPE)):
        bad = getattr(ids, case.kind)
        answers[source] = found = await answer(mine, case, case.variables(mine, my_ids, bad))
        if case.expected == NOT_FOUND:
            assert found["__typename"] == NOT_FOUND, (source, found)
            assert found.pop("id") == bad
        else:
            assert found["__typename"] == "ValidationError", (source, found)
            path = list(case.expected) if isinstance(case.expected, tuple) else [case.expected]
            assert [f["path"] for f in found["fields"]] == [path], (source, found)
        assert await everything(database) == before, source
    assert answers["foreign"] == answers["nothing"] == answers["wrong type"]


def test_every_id_argument_of_every_mutation_is_a_case():
    """A new mutation taking an id, or a new id field of an input, needs its case above."""
    tested = {c.name.replace("(", ".").rstrip(")") for c in CASES}
    found = set()
    for name, field in schema._schema.mutation_type.fields.items():
        for arg_name, arg in field.args.items():
            found |= {f"{name}.{path}" for path in id_paths(arg.type, arg_name)}
    # The platform admin acts outside every tenant, so no tenant's id is foreign to it: its
    # unknown ids are test_onboarding's (deactivateTenant answers NotFound).
    assert found - {"deactivateTenant.id"} == tested


def id_paths(kind: Any, name: str) -> set[str]:
    """The paths of the ID arguments and input fields under `name` (an input's own fields bare)."""
    named = get_named_type(kind)
    if named.name == "ID":
        return {name}
    if isinstance(named, GraphQLInputObjectType):
        top = name == "input"
        fields = named.fields.items()
        return {p for f, field in fields for p in id_paths(field.type, f if top else f"{name}.{f}")}
    return set()


async def test_a_slip_outside_the_callers_scope_is_not_found_as_a_warning_slip(database):
    """The east region's RBO acknowledging a slip of a western dealer's order: NotFound naming a
    warning slip (not a work order), the same as a slip that does not exist, and nothing written."""
    world = await make_world(database)
    order = await register(world, dealer="c")
    for words in ("还没人联系我", "我又打来了"):
        variables = {"id": order["id"], "channel": "hotline_400", "words": words}
        data = await world.gql("operator", "RecordCustomerCall", input=variables)
    (slip,) = data["recordCustomerCall"]["order"]["warningSlips"]
    before = await everything(database)
    case = Case("acknowledgeSlip(id)", "slip", NOT_FOUND, bare, "rbo_east")
    outside = await answer(world, case, slip["id"])
    assert outside == {
        "__typename": "NotFound",
        "message": "No warning slip with this id is visible to you.",
        "id": slip["id"],
    }
    assert await answer(world, case, NOTHING.slip) == {**outside, "id": NOTHING.slip}
    assert await everything(database) == before
    by_the_se = await answer(
        world, Case("acknowledgeSlip(id)", "slip", NOT_FOUND, bare), slip["id"]
    )
    assert by_the_se["__typename"] == "SlipPayload"  # the SE, whose scope is the brand, may


async def test_ids_of_ones_own_tenant_are_stored(database):
    """The same arguments with the caller's own ids succeed and store what was named."""
    world, ids = await tenant_with_ids(database)
    result = {"id": ids.slip, "result": "已回复客户", "handlerId": ids.user}
    done = (await world.gql("se", "RecordSlipResult", input=result))["recordSlipResult"]
    assert done["slip"]["resultHandler"]["id"] == ids.user and done["slip"]["state"] == "RESULTED"
    repeat = await register(world, "se", repeatOfId=ids.order, involvedStaffIds=[ids.user])
    detail = (await world.gql("se", "OrderDetail", id=repeat["id"]))["workOrder"]
    assert detail["repeatOf"]["id"] == ids.order and detail["repeatNumber"] == 2
    assert [u["id"] for u in detail["involvedStaff"]] == [ids.user]
