"""Boards and live updates: the `board` query and the subscriptions (graphql-transport-ws on
/graphql).

Every event is checked against the subscriber's own rights before it is sent: a subscriber sees
an event only for an order it could read with `workOrder(id)` at that moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from datetime import UTC, date, datetime
from typing import Annotated

import strawberry
from graphql import GraphQLError

from schema.context import Context, Info
from schema.errors import NotFound, ValidationError, answer
from schema.ids import encode, key
from schema.parties import Label
from schema.reports import BoardTrend, ClockStatus, CodeCount, TrendDay
from schema.types import WorkOrder
from server.adapters import events
from server.domain import tree
from server.domain.errors import NotFoundError
from server.services import board as boards
from server.services import customer_access, queries, references, visibility

COALESCE_SECONDS = 0.3  # a burst of events (a deadline scan, a bulk import) becomes one recount

OrgUnitArgument = Annotated[
    strawberry.ID | None,
    strawberry.argument(
        description="A region or dealer: only what lies at or below it. Omit for your whole scope."
    ),
]


@strawberry.type(description="How many open orders are in one workflow state.")
class StateCount:
    state: str = strawberry.field(description="Workflow state (profile name).")
    label: Label = strawberry.field(description="State label in the tenant's languages.")
    count: int = strawberry.field(description="Open orders in this state.")


@strawberry.type(
    description="Counters of a scope's open orders, for a wall board or a dashboard header."
)
class Board:
    by_state: list[StateCount] = strawberry.field(
        description=(
            "Every open state of the workflow, in workflow order, zeros included; then any open "
            "state only an earlier profile version has, while unmigrated orders are in it."
        )
    )
    open: int = strawberry.field(description="All open orders (the sum of byState).")
    due_soon: int = strawberry.field(
        description="Open orders with a running clock inside its warning window."
    )
    breached: int = strawberry.field(
        description="Open orders with a running clock past its deadline."
    )
    at: datetime = strawberry.field(description="When these counts were taken.")
    by_grade: list[CodeCount] = strawberry.field(
        description="Open orders per grade, in the profile's order, then ungraded (code null)."
    )
    by_tier: list[CodeCount] = strawberry.field(
        description="Open orders per handling tier, in the profile's order, zeros included."
    )
    by_category: list[CodeCount] = strawberry.field(
        description="Open orders per category holding any, in the profile's order."
    )
    clock_status: ClockStatus = strawberry.field(
        description="Open orders by clock: on time, due soon, breached, stopped (they sum to open)."
    )
    scope: strawberry.Private[int | None]

    @strawberry.field(
        description="The first page of open orders past a deadline, most overdue first."
    )
    async def overdue(self, info: Info) -> list[WorkOrder]:
        rows = await boards.overdue(info.context.caller, self.scope)
        return [WorkOrder(row=o, ctx=info.context) for o in rows]

    @strawberry.field(
        description=(
            "Orders registered, handled and closed per day, in the tenant's timezone, from `from` "
            "to `to` included (at most the profile's range, 13 months by default)."
        )
    )
    async def trend(
        self,
        info: Info,
        from_: Annotated[date, strawberry.argument(name="from", description="The first day.")],
        to: Annotated[date, strawberry.argument(description="The last day, included.")],
    ) -> BoardTrendResult:
        async def run() -> BoardTrend:
            days = await boards.trend(info.context.caller, self.scope, from_, to)
            return BoardTrend(days=[TrendDay.of(d) for d in days])

        return await answer(run, ValidationError)


BoardTrendResult = Annotated[
    BoardTrend | ValidationError,
    strawberry.union("BoardTrendResult", description="The trend, or why the range was refused."),
]


BoardResult = Annotated[
    Board | NotFound,
    strawberry.union("BoardResult", description="The board, or NotFound for an unknown org unit."),
]


@strawberry.type(
    description="Something that happened to an order, as it is written into its history."
)
class OrderEvent:
    event: strawberry.Private[events.OrderEvent]

    @strawberry.field(description="Opaque global id of the history event.")
    def id(self) -> strawberry.ID:
        return encode("WorkOrderEvent", self.event.event_id)

    @strawberry.field(
        description=(
            "What happened: registered, transition, assigned, contact, customer_call, "
            "escalated, sla_breached, ..."
        )
    )
    def kind(self) -> str:
        return self.event.kind

    @strawberry.field(description="When it happened.")
    def at(self) -> datetime:
        return self.event.at

    @strawberry.field(description="State before a transition; null for other events.")
    def from_state(self) -> str | None:
        return self.event.from_state

    @strawberry.field(
        description="State after a transition (or at registration); null for other events."
    )
    def to_state(self) -> str | None:
        return self.event.to_state

    @strawberry.field(description="Opaque global id of the order.")
    def order_id(self) -> strawberry.ID:
        return encode("WorkOrder", self.event.order_id)

    @strawberry.field(description="The order's human number.")
    def order_number(self) -> str:
        return self.event.number

    @strawberry.field(
        description=(
            "The order's version after this event: compare with what your screen shows to skip a "
            "refetch."
        )
    )
    def order_version(self) -> int:
        return self.event.version

    @strawberry.field(
        description="The order as it is now; null if it has since moved out of your scope."
    )
    async def order(self, info: Info) -> WorkOrder | None:
        try:
            return WorkOrder(
                row=await queries.get_order(info.context.caller, self.event.order_id),
                ctx=info.context,
            )
        except NotFoundError:
            return None


@strawberry.type(
    description="Board counters as a query; the boardCounters subscription keeps them live."
)
class LiveQuery:
    @strawberry.field(
        description=(
            "Counters of the open orders you may see, or of those at or below one region or dealer."
        )
    )
    async def board(self, info: Info, org_unit_id: OrgUnitArgument = None) -> BoardResult:
        async def run() -> Board:
            return await _board(info.context, await _scope(info.context, org_unit_id))

        return await answer(run, NotFound, sent_id=org_unit_id or "")


@strawberry.type(
    description="Live updates for boards and worklists, over graphql-transport-ws on /graphql."
)
class Subscription:
    @strawberry.subscription(
        description="Every history event of the orders you may see "
        "(or of those at or below one org unit), as it commits. "
        "Best effort: after a reconnect, refetch what you show."
    )
    async def order_events(
        self, info: Info, org_unit_id: OrgUnitArgument = None
    ) -> AsyncGenerator[OrderEvent, None]:
        context = info.context
        scope = await _scope_or_raise(context, org_unit_id)
        async with _bus(context).subscription(context.caller.principal.tenant_id) as queue:
            await context.caller.db.close()  # hold no connection while waiting
            while True:
                event = await _next(queue, context)
                if _sees(context, scope, event):
                    context.loaders.forget()
                    yield OrderEvent(event=event)
                    # the event is sent: its unmasked customer reads are logged now, not when
                    # the subscription ends hours later
                    await customer_access.record(context.caller)
                    await context.caller.db.close()

    @strawberry.subscription(
        description=(
            "The board now, then again whenever an order in its scope changes (bursts coalesced "
            "into one update)."
        )
    )
    async def board_counters(
        self, info: Info, org_unit_id: OrgUnitArgument = None
    ) -> AsyncGenerator[Board, None]:
        context = info.context
        scope = await _scope_or_raise(context, org_unit_id)
        async with _bus(context).subscription(context.caller.principal.tenant_id) as queue:
            yield await _board(context, scope)
            await context.caller.db.close()
            while True:
                if not _sees(context, scope, await _next(queue, context)):
                    continue
                await asyncio.sleep(COALESCE_SECONDS)
                while not queue.empty():
                    queue.get_nowait()
                yield await _board(context, scope)
                await context.caller.db.close()


async def _scope(context: Context, org_unit_id: strawberry.ID | None) -> tuple[int, str] | None:
    """The org unit (id, path) a board or stream is narrowed to; NotFound when the caller cannot see
    it."""
    if org_unit_id is None:
        return None
    kind = references.ORG_UNIT
    unit = await references.in_scope(context.caller, kind, key("OrgUnit", org_unit_id))
    return unit.id, unit.path


async def _scope_or_raise(
    context: Context, org_unit_id: strawberry.ID | None
) -> tuple[int, str] | None:
    try:
        return await _scope(context, org_unit_id)
    except NotFoundError as exc:
        raise GraphQLError(
            f"No org unit with the id {org_unit_id} is visible to you.",
            extensions={"code": "NOT_FOUND"},
        ) from exc


def _sees(context: Context, scope: tuple[int, str] | None, event: events.OrderEvent) -> bool:
    if not visibility.reads_orders_at(context.caller, event.org_path):
        return False
    return scope is None or tree.covers(scope[1], event.org_path)


async def _next(queue: asyncio.Queue[events.OrderEvent], context: Context) -> events.OrderEvent:
    """The next event, or the end of the subscription when the caller's token expires."""
    expires_at = context.caller_expires_at
    if expires_at is None:
        return await queue.get()
    try:
        async with asyncio.timeout((expires_at - datetime.now(UTC)).total_seconds()):
            return await queue.get()
    except TimeoutError:
        raise GraphQLError(
            "Your token has expired: reconnect with a new one.",
            extensions={"code": "UNAUTHENTICATED"},
        ) from None


async def _board(context: Context, scope: tuple[int, str] | None) -> Board:
    profile = context.caller.profile
    unit = scope[0] if scope else None
    counts = await boards.board(context.caller, unit)
    by_state = [
        StateCount(state=name, label=Label.of(counts.labels[name]), count=count)
        for name, count in counts.by_state.items()
    ]
    return Board(
        by_state=by_state,
        open=sum(counts.by_state.values()),
        due_soon=counts.due_soon,
        breached=counts.breached,
        at=counts.at,
        by_grade=CodeCount.of(counts.by_grade, profile.grades),
        by_tier=CodeCount.of(counts.by_tier, profile.tiers),
        by_category=CodeCount.of(counts.by_category, profile.categories),
        clock_status=ClockStatus(**vars(counts.clock_status)),
        scope=unit,
    )


def _bus(context: Context) -> events.Bus:
    """The deployment's bus, which the app handed to its Database."""
    return context.caller.db.database.events
