"""GraphQL object types. Each wraps a row, and what needs the request reaches it through `ctx`.
A row is the mapped object (what a mutation wrote) or a Core row of the same table (what a page
or a look-up read): both are read by attribute, and the attribute names are the column names.

No field has a resolver: each is a RowField, read from its object when a query selects it, so
strawberry takes its fast path for every field of every row (no Info object, no arguments, no
extension chain; a method resolver costs several times a plain read, ~450 times per 50-order page:
bench/README.md, finding 2). Relations answer through the request's loaders with `Loader.soon`:
at once when the page has loaded them (schema/prefetch.py), else with an awaitable that
graphql-core waits for.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from strawberry.types.lazy_type import LazyType

from schema.context import Context, Soon
from schema.parties import Customer, Label, OrgUnit, User, Vehicle, soon_user
from schema.rows import computed, from_row, global_id
from server.db import models
from server.domain import sla
from server.services import clocks, order_actions, visibility

if TYPE_CHECKING:
    from schema.order_records import OrderFact, WrittenReport
    from schema.revisits import Revisit

# schema/revisits.py builds on the types here, so its Revisit is named lazily, found on use.
_REVISIT = LazyType("Revisit", "schema.revisits")
_REPORT = LazyType("WrittenReport", "schema.order_records")
_FACT = LazyType("OrderFact", "schema.order_records")


@strawberry.type(description="One entry of an order's append-only history.")
class WorkOrderEvent:
    row: strawberry.Private[models.WorkOrderEvent]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("WorkOrderEvent")
    at: datetime = from_row("When it happened (UTC).")
    kind: str = from_row("registered, transition, assigned or contact.")
    actor: User | None = computed("Who did it.", lambda e: soon_user(e.ctx, e.row.actor_id))
    transition: str | None = from_row("The workflow transition, for kind=transition.")
    from_state: str | None = from_row("State before.")
    to_state: str | None = from_row("State after.")
    comment: str | None = from_row("The actor's comment or reason.")


@strawberry.type(description="A workflow step you may take on an order now.")
class WorkflowStep:
    name: str = strawberry.field(description="Send this as `transition` (e.g. review).")
    label: Label = strawberry.field(description="The step's label in the tenant's languages.")
    requires_comment: bool = strawberry.field(description="A comment (the reason) is required.")
    records_resolution: bool = strawberry.field(
        description="The step records the resolution (closeWorkOrder takes it)."
    )


def _permitted_steps(order: WorkOrder) -> list[WorkflowStep]:
    steps = order_actions.permitted_steps(order.ctx.caller, order.row)
    return [
        WorkflowStep(
            name=step.name,
            label=Label.of(step.label),
            requires_comment=step.requires_comment,
            records_resolution=step.records_resolution,
        )
        for step in steps
    ]


@strawberry.enum(description="How a contact attempt ended.")
class ContactOutcome(Enum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"


@strawberry.type(description="A call or message to the customer about the order.")
class ContactAttempt:
    row: strawberry.Private[models.ContactAttempt]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("ContactAttempt")
    at: datetime = from_row("When (UTC).")
    outcome: ContactOutcome = from_row(
        "Reached, unreachable or refused.", lambda row: ContactOutcome(row.outcome)
    )
    note: str | None = from_row("What was said or agreed.")
    actor: User | None = computed("Who called.", lambda a: soon_user(a.ctx, a.row.actor_id))


@strawberry.type(description="The customer calling again about an open order.")
class CustomerCall:
    row: strawberry.Private[models.CustomerCall]

    id: strawberry.ID = global_id("CustomerCall")
    at: datetime = from_row("When (UTC).")
    channel: str = from_row("Intake channel code.")
    words: str = from_row("What the customer said, in their own words.")
    flags: list[str] = from_row("Flags raised by this call.", lambda row: list(row.flags))
    state: str = from_row("The order's state at the call (calls are counted per state).")


@strawberry.enum(description="Where an upgrade-warning slip stands.")
class SlipState(Enum):
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    RESULTED = "resulted"


@strawberry.type(
    description="An upgrade-warning slip (客户投诉升级预警单) sent to the escalation department."
)
class WarningSlip:
    row: strawberry.Private[models.WarningSlip]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("WarningSlip")
    trigger: str = from_row(
        "The rule that fired (e.g. W1) or REPEAT for a complaint beyond the routing table."
    )
    reason: str = from_row("Why the warning was raised (升级预警原因).")
    repeat_words: str | None = from_row(
        "The customer's repeated complaint (客户再次投诉内容), when a call raised it."
    )
    from_tier: str = from_row("The tier that handled the order (原处理部门).")
    to_tier: str = from_row("The escalation department (升级处理部门).")
    state: SlipState = from_row(
        "Issued, acknowledged or resulted.", lambda row: SlipState(row.state)
    )
    issued_at: datetime = from_row("When it was issued.")

    issued_by: User | None = computed(
        "The CSR who issued it (CSR工号); null when the system did.",
        lambda s: soon_user(s.ctx, s.row.issued_by_id),
    )
    acknowledged_at: datetime | None = from_row("When the escalation department acknowledged it.")
    result: str | None = from_row("The functional department's result (职能部门处理结果).")
    result_handler: User | None = computed(
        "Who handled it (处理人).", lambda s: soon_user(s.ctx, s.row.result_handler_id)
    )
    result_at: datetime | None = from_row("The date of the result (日期).")


SlaStatus = strawberry.enum(sla.SlaStatus, description="Where a clock stands now.")


@strawberry.type(description="A deadline clock of an order: response, closure or a workflow step.")
class SlaClock:
    row: strawberry.Private[models.WorkOrderClock]
    now: strawberry.Private[datetime]

    name: str = from_row("response, closure, or the name of a workflow step.")
    target: int | None = from_row("The target amount; null when unlimited.")
    unit: str = from_row("business_minutes, working_days, natural_hours or natural_days.")
    started_at: datetime = from_row(
        "When the clock started (the order's received-at for the response and closure clocks)."
    )
    due_at: datetime | None = from_row(
        "The deadline; null while paused, unlimited or while its year's calendar is missing."
    )
    warn_at: datetime | None = from_row("From when the clock counts as due soon.")
    stopped_at: datetime | None = from_row("When the clock stopped (met, or its order cancelled).")
    used_minutes: int = from_row(
        "Business (or natural) minutes used in finished runs: to a pause, and all once stopped.",
        lambda row: row.used,
    )
    missing_year: int | None = from_row(
        "The year whose holidays and make-up days are not loaded yet (status CALENDAR_MISSING)."
    )
    status: SlaStatus = computed(
        "ON_TRACK, DUE_SOON, BREACHED, MET, MET_LATE, PAUSED, CALENDAR_MISSING or CANCELLED, now.",
        lambda c: sla.status(clocks.to_clock(c.row), c.now),
    )


def _due_at(name: Callable[[WorkOrder], str]) -> Callable[[WorkOrder], Soon[datetime | None]]:
    """The deadline of the order's clock called `name(order)`."""

    def due_at(o: WorkOrder) -> Soon[datetime | None]:
        wanted = name(o)
        return o.ctx.loaders.clocks_by_order.soon(
            o.row.id, lambda rows: next((r.due_at for r in rows if r.name == wanted), None)
        )

    return due_at


def _clocks(o: WorkOrder) -> Soon[list[SlaClock]]:
    now = o.ctx.caller.clock()
    return o.ctx.loaders.clocks_by_order.soon(
        o.row.id, lambda rows: [SlaClock(row=r, now=now) for r in rows]
    )


def _customer(o: WorkOrder) -> Soon[Customer]:
    unmasked = visibility.sees_customer_details(o.ctx.caller, o.row)
    return o.ctx.loaders.customer_by_id.soon(
        o.row.customer_id, lambda row: Customer(row=row, ctx=o.ctx, unmasked=unmasked)
    )


def _vehicle(o: WorkOrder) -> Soon[Vehicle | None]:
    if o.row.vehicle_id is None:
        return None
    return o.ctx.loaders.vehicle_by_id.soon(o.row.vehicle_id, lambda row: Vehicle(row=row))


def _repeat_of(o: WorkOrder) -> Soon[WorkOrder | None]:
    if o.row.repeat_of_id is None:
        return None
    return o.ctx.loaders.order_by_id.soon(
        o.row.repeat_of_id, lambda row: WorkOrder(row=row, ctx=o.ctx) if row else None
    )


def _grade_override_reason(o: WorkOrder) -> Soon[str | None]:
    """Kept where registering put it: in the data of the order's first history event."""

    def reason(rows: list[Any]) -> str | None:
        registered = next((r for r in rows if r.kind == "registered"), None)
        override = registered.data.get("grade_override") if registered is not None else None
        return override["reason"] if override else None

    return o.ctx.loaders.history_by_order.soon(o.row.id, reason)


def _rows_of(
    loader: str, make: Callable[[Any, Context], Any]
) -> Callable[[WorkOrder], Soon[list[Any]]]:
    """The order's rows held by `loader` (keyed by order id), each made into `make(row, ctx)`."""

    def rows(o: WorkOrder) -> Soon[list[Any]]:
        return getattr(o.ctx.loaders, loader).soon(
            o.row.id, lambda rows: [make(r, o.ctx) for r in rows]
        )

    return rows


@strawberry.type(
    description="A customer complaint or consultation, handled through the tenant's workflow."
)
class WorkOrder:
    row: strawberry.Private[models.WorkOrder]
    ctx: strawberry.Private[Context]

    id: strawberry.ID = global_id("WorkOrder")
    number: str = from_row(
        "Human number, unique in the tenant and never reused, e.g. SKD-20261122-00042."
    )
    version: int = from_row("Send this as expectedVersion with your next change to this order.")
    state: str = from_row("Workflow state (profile name, e.g. unprocessed).")
    state_label: Label = computed(
        "State label in the tenant's languages, as the order's own profile version names it.",
        lambda o: Label.of(o.ctx.caller.tenant.state_of(o.row).label),
    )
    available_transitions: list[str] = computed(
        "Workflow steps this order allows from its state under its own profile version (whether "
        "you may take them is checked on use).",
        lambda o: [t.name for t in order_actions.available_steps(o.ctx.caller, o.row)],
    )
    permitted_steps: list[WorkflowStep] = computed(
        "The availableTransitions you may take (under the order's own profile version), by your "
        "permissions at the order's unit.",
        _permitted_steps,
    )
    permitted_actions: list[str] = computed(
        "Other changes you may make to this order now: contact, assign, escalate, return, "
        "regrade, call.",
        lambda o: order_actions.permitted_actions(o.ctx.caller, o.row.org_path),
    )
    grade: str | None = from_row(
        "Grade code (e.g. A); null for consultations, which are not graded."
    )
    grade_override_reason: str | None = computed(
        "Why the grade chosen at registration differs from the one the grading rules "
        "proposed; null when it does not (later regrades give their reason in the history).",
        _grade_override_reason,
    )
    category: str = from_row("Category code (e.g. A4a).")
    order_type: str = from_row("Order type code (complaint or consultation kind).")
    channel: str = from_row("Intake channel code.")
    tier: str = from_row("Handling tier code (e.g. DLR, RBO, SALES_SE).")
    department: str | None = from_row(
        "The department of the dealer the order is routed to (e.g. sales); null: the dealer."
    )
    received_at: datetime = from_row(
        "When the complaint reached the brand or dealer; every clock starts here."
    )
    registered_at: datetime = from_row("When it was registered in the system.")
    responded_at: datetime | None = from_row("First contact that reached the customer.")
    response_due_at: datetime | None = computed(
        "Deadline of the first contact with the customer (the response clock).",
        _due_at(lambda o: "response"),
    )
    closure_due_at: datetime | None = computed(
        "Deadline for closing (the closure clock); null when unlimited, "
        "paused or the calendar is missing.",
        _due_at(lambda o: "closure"),
    )
    current_step_due_at: datetime | None = computed(
        "Deadline of the current workflow step, where the profile times that step.",
        _due_at(lambda o: o.row.state),
    )
    clocks: list[SlaClock] = computed("Every clock of the order with its status now.", _clocks)
    handled_at: datetime | None = from_row("When the handler recorded the resolution.")
    closed_at: datetime | None = from_row("When the order was confirmed closed.")
    summary: str = from_row("One-line summary.")
    details: str = from_row("The complaint in the customer's own words.")
    demands: list[str] = from_row(
        "Demand codes (e.g. refund, replacement).", lambda row: list(row.demands)
    )
    flags: list[str] = from_row("Flag codes (e.g. claims_media).", lambda row: list(row.flags))
    resolution: str | None = from_row("Resolution recorded at closing.")
    measures: str | None = from_row("Measures taken.")
    root_cause: str | None = from_row("Root-cause analysis.")
    customer_feedback: str | None = from_row("The customer's feedback on the measures.")
    dealer: OrgUnit = computed(
        "The dealer the order lives at.",
        lambda o: o.ctx.loaders.org_unit_by_id.soon(
            o.row.org_unit_id, lambda row: OrgUnit(row=row)
        ),
    )
    customer: Customer = computed("The customer.", _customer)
    vehicle: Vehicle | None = computed("The vehicle, when one was named.", _vehicle)
    registered_by: User | None = computed(
        "Who registered it.", lambda o: soon_user(o.ctx, o.row.registered_by_id)
    )
    primary_handler: User | None = computed(
        "The handler in charge.", lambda o: soon_user(o.ctx, o.row.primary_handler_id)
    )
    secondary_handler: User | None = computed(
        "The deputy, who steps in when the primary is absent or late.",
        lambda o: soon_user(o.ctx, o.row.secondary_handler_id),
    )
    history: list[WorkOrderEvent] = computed(
        "Every change, oldest first.",
        _rows_of("history_by_order", lambda row, ctx: WorkOrderEvent(row=row, ctx=ctx)),
    )
    last_event: WorkOrderEvent | None = computed(
        "The newest history entry.",
        lambda o: o.ctx.loaders.last_event_by_order.soon(
            o.row.id, lambda row: WorkOrderEvent(row=row, ctx=o.ctx) if row else None
        ),
    )
    repeat_of: WorkOrder | None = computed(
        "The earlier order this complaint repeats (same customer, same issue), if any.", _repeat_of
    )
    repeat_number: int = from_row(
        "Which complaint on the issue this is: 1 first, 2 second (routed to the next tier)..."
    )
    repeated: bool = from_row("True when a repeat complaint followed: not resolved the first time.")
    escalated: bool = from_row("Above its first tier, a repeat, or with an upgrade-warning slip.")
    customer_calls: list[CustomerCall] = computed(
        "The customer's calls about this order while it was open.",
        _rows_of("calls_by_order", lambda row, ctx: CustomerCall(row=row)),
    )
    warning_slips: list[WarningSlip] = computed(
        "Upgrade-warning slips of this order.",
        _rows_of("slips_by_order", lambda row, ctx: WarningSlip(row=row, ctx=ctx)),
    )
    involved_staff: list[User] = computed(
        "Staff named as involved in the complaint: they can never handle it.",
        lambda o: o.ctx.loaders.user_by_id.soon_many(
            o.row.involved_staff, lambda rows: [User(row=r) for r in rows if r is not None]
        ),
    )
    contact_attempts: list[ContactAttempt] = computed(
        "Contact attempts, oldest first.",
        _rows_of("contacts_by_order", lambda row, ctx: ContactAttempt(row=row, ctx=ctx)),
    )
    revisits: list[Annotated[Revisit, strawberry.lazy("schema.revisits")]] = computed(
        "Revisits (回访) of this order you may read, oldest first.",
        _rows_of("revisits_by_order", lambda row, ctx: _REVISIT.resolve_type()(row=row, ctx=ctx)),
    )
    playbook: list[Label] = computed(
        "The handling steps the tenant's profile gives for the order's situation (its "
        "category), in order; empty when it gives none.",
        lambda o: [Label.of(s) for s in o.ctx.caller.profile.playbooks.get(o.row.category, ())],
    )
    written_reports: list[Annotated[WrittenReport, strawberry.lazy("schema.order_records")]] = (
        computed(
            "Reports the order owes from its registration, oldest first.",
            _rows_of(
                "written_reports_by_order",
                lambda row, ctx: _REPORT.resolve_type()(row=row, ctx=ctx),
            ),
        )
    )
    facts: list[Annotated[OrderFact, strawberry.lazy("schema.order_records")]] = computed(
        "Facts and the outcome recorded during handling, oldest first.",
        _rows_of("facts_by_order", lambda row, ctx: _FACT.resolve_type()(row=row, ctx=ctx)),
    )


@strawberry.type(description="Relay page information.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether another page follows.")
    end_cursor: str | None = strawberry.field(description="Pass as `after` to get the next page.")


@strawberry.type(description="An order in a page.")
class WorkOrderEdge:
    cursor: str = strawberry.field(description="Opaque position of this order.")
    node: WorkOrder = strawberry.field(description="The order.")


@strawberry.type(description="A page of work orders, newest first.")
class WorkOrderConnection:
    edges: list[WorkOrderEdge] = strawberry.field(description="The orders of this page.")
    page_info: PageInfo = strawberry.field(description="Where the page ends.")
