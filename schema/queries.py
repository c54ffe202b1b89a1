"""Read fields of the Query type."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from schema import cursors, prefetch
from schema.context import Info
from schema.errors import NotFound, ValidationError, answer
from schema.ids import key
from schema.parties import Label, User
from schema.types import PageInfo, WorkOrder, WorkOrderConnection, WorkOrderEdge
from server.domain.workflow import Label as DomainLabel
from server.services import queries

WorkOrderResult = Annotated[
    WorkOrder | NotFound, strawberry.union("WorkOrderResult", description="The order, or NotFound.")
]
WorkOrdersResult = Annotated[
    WorkOrderConnection | ValidationError,
    strawberry.union(
        "WorkOrdersResult", description="A page of orders, or why the arguments were refused."
    ),
]


@strawberry.input(description="Filters on a list of orders; all given filters must hold.")
class WorkOrderFilter:
    states: list[str] | None = strawberry.field(default=None, description="Any of these states.")
    grades: list[str] | None = strawberry.field(default=None, description="Any of these grades.")
    categories: list[str] | None = strawberry.field(
        default=None, description="Any of these category codes."
    )
    channels: list[str] | None = strawberry.field(
        default=None, description="Any of these channels."
    )
    org_unit_id: strawberry.ID | None = strawberry.field(
        default=None, description="A dealer or region: orders at or below it."
    )
    registered_from: datetime | None = strawberry.field(
        default=None, description="Registered at or after."
    )
    registered_to: datetime | None = strawberry.field(
        default=None, description="Registered before."
    )
    assignee_id: strawberry.ID | None = strawberry.field(
        default=None, description="Primary or secondary handler."
    )
    text: str | None = strawberry.field(default=None, description="Text contained in the summary.")
    due_soon: bool = strawberry.field(
        default=False, description="Only orders with a clock inside its warning window."
    )
    breached: bool = strawberry.field(
        default=False, description="Only orders with a running clock past its deadline."
    )
    pending_matters: bool = strawberry.field(
        default=False,
        description=(
            "Only orders on the pending-matters ledger (未了事宜: "
            "closure clock stopped with a reason)."
        ),
    )


def order_filter(filter: WorkOrderFilter | None) -> queries.OrderFilter:
    """The service's filter for the input: the order list's and its export's (schema/reports.py)."""
    f = filter or WorkOrderFilter()
    return queries.OrderFilter(
        states=f.states,
        grades=f.grades,
        categories=f.categories,
        channels=f.channels,
        org_unit_id=key("OrgUnit", f.org_unit_id) if f.org_unit_id is not None else None,
        registered_from=f.registered_from,
        registered_to=f.registered_to,
        assignee_id=key("User", f.assignee_id) if f.assignee_id is not None else None,
        text=f.text,
        due_soon=f.due_soon,
        breached=f.breached,
        pending_matters=f.pending_matters,
    )


@strawberry.type(description="A code of the tenant's profile with its labels.")
class Code:
    code: str = strawberry.field(description="The code used in the API.")
    label: Label = strawberry.field(description="Display label.")


@strawberry.type(description="The tenant's vocabulary, for forms and filters.")
class Catalogue:
    channels: list[Code] = strawberry.field(description="Intake channels.")
    categories: list[Code] = strawberry.field(description="Complaint and consultation categories.")
    grades: list[Code] = strawberry.field(description="Grades.")
    states: list[Code] = strawberry.field(description="Workflow states.")
    flags: list[Code] = strawberry.field(description="Intake flags.")
    demands: list[Code] = strawberry.field(description="Customer demands.")


@strawberry.type(description="The signed-in user.")
class Me:
    user: User = strawberry.field(description="Who you are.")
    roles: list[str] = strawberry.field(description="Your grants as role@path.")


def _code(code: str, label: DomainLabel) -> Code:
    return Code(code=code, label=Label.of(label))


@strawberry.type(
    description=(
        "An entry of the pending-matters ledger (未了事宜台帐): "
        "the closure clock is stopped with a reason."
    )
)
class PendingMatter:
    order: WorkOrder = strawberry.field(description="The order on the ledger.")

    async def _entry(self, info: Info) -> Any:
        events = await info.context.loaders.history_by_order.load(self.order.row.id)
        return next((e for e in reversed(events) if e.to_state == self.order.row.state), None)

    @strawberry.field(description="Since when the order is pending.")
    async def since(self, info: Info) -> datetime | None:
        entry = await self._entry(info)
        return entry.at if entry else None

    @strawberry.field(description="The reason given when it was put on the ledger.")
    async def reason(self, info: Info) -> str | None:
        entry = await self._entry(info)
        return entry.comment if entry else None


@strawberry.type(description="A page of the pending-matters ledger.")
class PendingMatterConnection:
    nodes: list[PendingMatter] = strawberry.field(description="The entries, newest order first.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")


PendingMattersResult = Annotated[
    PendingMatterConnection | ValidationError,
    strawberry.union(
        "PendingMattersResult",
        description="A page of the ledger, or why the arguments were refused.",
    ),
]


async def _page(
    info: Info, where: queries.OrderFilter, first: int, after: str | None, *order_path: str
) -> tuple[list[WorkOrderEdge], PageInfo]:
    position = cursors.decode("order", after)
    page = await queries.list_orders(
        info.context.caller, where, first, position[0] if position else None
    )
    await prefetch.orders(info, page.orders, *order_path)
    edges = [
        WorkOrderEdge(cursor=cursors.encode("order", o.id), node=WorkOrder(row=o, ctx=info.context))
        for o in page.orders
    ]
    return edges, PageInfo(
        has_next_page=page.has_next, end_cursor=edges[-1].cursor if edges else None
    )


PageSize = Annotated[int, strawberry.argument(description="How many to return, at most 100.")]
Cursor = Annotated[
    str | None,
    strawberry.argument(description="The endCursor of the page before; omit for the first page."),
]


@strawberry.type(description="What you can read.")
class Query:
    @strawberry.field(
        description="One order by id; NotFound when it does not exist or is outside your scope."
    )
    async def work_order(
        self,
        info: Info,
        id: Annotated[strawberry.ID, strawberry.argument(description="The order's id.")],
    ) -> WorkOrderResult:

        async def run() -> WorkOrder:
            row = await queries.get_order(info.context.caller, key("WorkOrder", id))
            return WorkOrder(row=row, ctx=info.context)

        return await answer(run, NotFound, sent_id=id)

    @strawberry.field(description="Orders you may see, newest first, filtered; at most 100 a page.")
    async def work_orders(
        self,
        info: Info,
        filter: Annotated[
            WorkOrderFilter | None,
            strawberry.argument(description="Only orders matching all of it."),
        ] = None,
        first: PageSize = 20,
        after: Cursor = None,
    ) -> WorkOrdersResult:
        where = order_filter(filter)

        async def run() -> WorkOrderConnection:
            edges, page_info = await _page(info, where, first, after, "edges", "node")
            return WorkOrderConnection(edges=edges, page_info=page_info)

        return await answer(run, ValidationError)

    @strawberry.field(
        description=(
            "The pending-matters ledger of the orders you may see, newest first; "
            "at most 100 a page."
        )
    )
    async def pending_matters(
        self, info: Info, first: PageSize = 20, after: Cursor = None
    ) -> PendingMattersResult:
        async def run() -> PendingMatterConnection:
            where = queries.OrderFilter(pending_matters=True)
            edges, page_info = await _page(info, where, first, after, "nodes", "order")
            nodes = [PendingMatter(order=e.node) for e in edges]
            return PendingMatterConnection(nodes=nodes, page_info=page_info)

        return await answer(run, ValidationError)

    @strawberry.field(
        description=(
            "Channels, categories, grades, states, flags and demands of your tenant, with labels."
        )
    )
    def catalogue(self, info: Info) -> Catalogue:
        p = info.context.caller.profile
        return Catalogue(
            channels=[_code(c.code, c.label) for c in p.channels.values()],
            categories=[_code(c.code, c.label) for c in p.categories.values()],
            grades=[_code(g.code, g.label) for g in p.grades.values()],
            states=[_code(s.name, s.label) for s in p.workflow.states],
            flags=[_code(code, label) for code, label in p.flags.items()],
            demands=[_code(code, label) for code, label in p.demands.items()],
        )

    @strawberry.field(description="You, and where your roles hold.")
    async def me(self, info: Info) -> Me:
        caller = info.context.caller
        row = await info.context.loaders.user_by_id.load(caller.user_id)
        return Me(user=User(row=row), roles=[f"{g.role}@{g.path}" for g in caller.principal.grants])
