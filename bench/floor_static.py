"""Floor for the list: the Worklist document run by strawberry over 50 static in-memory orders.

Same operation text, same type and field names, same response shape as the real schema, with the
parser and validation caches on, but plain attributes instead of resolvers, DataLoaders and a
database: the most strawberry can serve this query at on one process.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.extensions import ParserCache, ValidationCache

from bench.identifiers import mobile, vin
from schema.ids import encode

PAGE = 50


@strawberry.type
class Label:
    zh: str
    en: str


@strawberry.type
class OrgUnit:
    id: strawberry.ID
    name: str


@strawberry.type
class User:
    id: strawberry.ID
    display_name: str


@strawberry.type
class Customer:
    name: str
    phones: list[str]


@strawberry.type
class Vehicle:
    vin: str
    model: str | None


@strawberry.type
class WorkOrderEvent:
    kind: str
    at: datetime
    actor: User | None


@strawberry.type
class SlaClock:
    name: str
    due_at: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    status: str


@strawberry.type
class WorkOrder:
    id: strawberry.ID
    number: str
    version: int
    state: str
    state_label: Label
    grade: str | None
    category: str
    summary: str
    registered_at: datetime
    dealer: OrgUnit
    primary_handler: User | None
    secondary_handler: User | None
    customer: Customer
    vehicle: Vehicle | None
    last_event: WorkOrderEvent | None
    # The generated orders have no clocks (bench.generate without --clocks): nor have these.
    clocks: list[SlaClock]


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class WorkOrderEdge:
    cursor: str
    node: WorkOrder


@strawberry.type
class WorkOrderConnection:
    edges: list[WorkOrderEdge]
    page_info: PageInfo


@strawberry.type
class FieldError:
    path: list[str]
    message: str


@strawberry.type
class ValidationError:
    message: str
    fields: list[FieldError]


@strawberry.input
class WorkOrderFilter:
    states: list[str] | None = None


WorkOrdersResult = Annotated[
    WorkOrderConnection | ValidationError, strawberry.union("WorkOrdersResult")
]


def _order(k: int, now: datetime) -> WorkOrder:
    care = User(id=encode("User", 100 + k), display_name=f"Care D{k:05d}")
    manager = User(id=encode("User", 200 + k), display_name=f"Manager D{k:05d}")
    return WorkOrder(
        id=encode("WorkOrder", 100_000 - k),
        number=f"SKD-20261122-{k + 1:05d}",
        version=2,
        state="in_progress",
        state_label=Label(zh="处理中", en="In progress"),
        grade="A",
        category="A4a",
        summary="销售顾问承诺的赠品未兑现",
        registered_at=now - timedelta(hours=k),
        dealer=OrgUnit(id=encode("OrgUnit", 10 + k), name=f"斯柯达 01-{k:03d} 店"),
        primary_handler=care,
        secondary_handler=manager,
        customer=Customer(
            name=f"王先生{k}", phones=[mobile("139", 2 * k), mobile("139", 2 * k + 1)][: 1 + k % 2]
        ),
        vehicle=Vehicle(vin=vin("LSV", "NE3A5", "R", k), model="明锐"),
        last_event=WorkOrderEvent(
            kind="transition", at=now - timedelta(hours=k, minutes=-30), actor=care
        ),
        clocks=[],
    )


def _connection() -> WorkOrderConnection:
    now = datetime.now(UTC)
    edges = [WorkOrderEdge(cursor=f"bzo{k:05d}", node=_order(k, now)) for k in range(PAGE)]
    return WorkOrderConnection(
        edges=edges, page_info=PageInfo(has_next_page=True, end_cursor=edges[-1].cursor)
    )


STATIC = _connection()


@strawberry.type
class Query:
    @strawberry.field
    def work_orders(
        self, filter: WorkOrderFilter | None = None, first: int = 20, after: str | None = None
    ) -> WorkOrdersResult:
        return WorkOrderConnection(edges=STATIC.edges[:first], page_info=STATIC.page_info)


schema = strawberry.Schema(
    query=Query, extensions=[lambda: ParserCache(maxsize=256), lambda: ValidationCache(maxsize=256)]
)


def create_app() -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return Starlette(
        routes=[Route("/graphql", GraphQL(schema, graphql_ide=None)), Route("/healthz", healthz)]
    )
