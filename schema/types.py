"""GraphQL object types. Each wraps a row: its scalars are copied from the row once, when the type
is made, and its relations are resolved through the request's loaders.

A plain attribute skips strawberry's resolver wrapper (info, arguments, the extension chain), which
a method resolver pays for every field of every row: ~800 calls per 50-order page (bench/README.md,
finding 2). Resolvers stay for relations and for what needs the request. Strawberry puts fields
with resolvers after the annotated ones unless they are annotated too, so each resolver's name is
also annotated where it stands: the SDL keeps its field order.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from functools import cache
from operator import attrgetter
from typing import Any

import strawberry

from server.db import models
from server.domain import sla
from server.domain.workflow import Label as DomainLabel
from server.services import clocks
from server.domain.identifiers import mask_phone
from schema.context import Info
from schema.ids import encode

_COPY = "copied_from_row"


def copied(description: str, get: Callable[[Any], Any] | None = None) -> Any:
    """A field set from the row by RowType.__post_init__: `get(row)`, or the row's attribute of the same name."""
    return strawberry.field(description=description, default=None, metadata={_COPY: get})


def global_id(type_name: str) -> Any:
    return copied("Opaque global id.", lambda row: encode(type_name, row.id))


@cache
def _copies(cls: type) -> tuple[tuple[str, Callable[[Any], Any]], ...]:
    fields = (f for f in dataclasses.fields(cls) if _COPY in f.metadata)
    return tuple((f.name, f.metadata[_COPY] or attrgetter(f.name)) for f in fields)


class RowType:
    """Mixed into a type with a `row`: fills its copied fields."""

    def __post_init__(self) -> None:
        row = self.row  # type: ignore[attr-defined]
        for name, get in _copies(type(self)):
            setattr(self, name, get(row))


@strawberry.type(description="A display label in the tenant's languages.")
class Label:
    zh: str = strawberry.field(description="Simplified Chinese.")
    en: str = strawberry.field(description="English.")

    @classmethod
    def of(cls, label: DomainLabel) -> Label:
        return cls(zh=label.zh, en=label.en)


@strawberry.type(description="A node of the tenant's org tree: brand HQ, region, dealer or department.")
class OrgUnit(RowType):
    row: strawberry.Private[models.OrgUnit]

    id: strawberry.ID = global_id("OrgUnit")
    kind: str = copied("brand, region, dealer or department.")
    code: str = copied("Short code, unique among its siblings.")
    name: str = copied("Display name.")
    path: str = copied("Path from the brand root, e.g. /skoda/east/dlr-0231.")


@strawberry.type(description="A person of the tenant.")
class User(RowType):
    row: strawberry.Private[models.User]

    id: strawberry.ID = global_id("User")
    username: str = copied("Login name.")
    display_name: str = copied("Name shown to colleagues.")


@strawberry.type(description="The customer who complained. Phones and address are masked unless you hold customer.pii.")
class Customer(RowType):
    row: strawberry.Private[models.Customer]
    unmasked: strawberry.Private[bool]

    id: strawberry.ID = global_id("Customer")
    name: str = copied("Name as given.")

    @strawberry.field(description="Phone numbers in E.164 form (+8613812345678), masked without customer.pii.")
    async def phones(self, info: Info) -> list[str]:
        rows = await info.context.loaders.phones_by_customer.load(self.row.id)
        return [p.number if self.unmasked else mask_phone(p.number) for p in rows]

    @strawberry.field(description="Postal address; null when unknown or masked.")
    def address(self) -> str | None:
        return self.row.address if self.unmasked else None

    @strawberry.field(description="Postcode; null when unknown or masked.")
    def postcode(self) -> str | None:
        return self.row.postcode if self.unmasked else None


@strawberry.type(description="The customer's vehicle.")
class Vehicle(RowType):
    row: strawberry.Private[models.Vehicle]

    id: strawberry.ID = global_id("Vehicle")
    vin: str = copied("17-character VIN (chassis number), check digit verified.")
    engine_number: str | None = copied("Engine number.")
    plate: str | None = copied("Licence plate.")
    model: str | None = copied("Model name.")
    purchase_date: date | None = copied("Purchase date.")
    mileage_km: int | None = copied("Mileage in km, as last reported.")


async def _user(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loaders.user_by_id.load(user_id)
    return User(row=row) if row else None


@strawberry.type(description="One entry of an order's append-only history.")
class WorkOrderEvent(RowType):
    row: strawberry.Private[models.WorkOrderEvent]

    id: strawberry.ID = global_id("WorkOrderEvent")
    at: datetime = copied("When it happened (UTC).")
    kind: str = copied("registered, transition, assigned or contact.")

    actor: User | None
    @strawberry.field(description="Who did it.")
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.row.actor_id)

    transition: str | None = copied("The workflow transition, for kind=transition.")
    from_state: str | None = copied("State before.")
    to_state: str | None = copied("State after.")
    comment: str | None = copied("The actor's comment or reason.")


@strawberry.enum(description="How a contact attempt ended.")
class ContactOutcome(Enum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"


@strawberry.type(description="A call or message to the customer about the order.")
class ContactAttempt(RowType):
    row: strawberry.Private[models.ContactAttempt]

    id: strawberry.ID = global_id("ContactAttempt")
    at: datetime = copied("When (UTC).")
    outcome: ContactOutcome = copied("Reached, unreachable or refused.", lambda row: ContactOutcome(row.outcome))
    note: str | None = copied("What was said or agreed.")

    @strawberry.field(description="Who called.")
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.row.actor_id)


@strawberry.type(description="The customer calling again about an open order.")
class CustomerCall(RowType):
    row: strawberry.Private[models.CustomerCall]

    id: strawberry.ID = global_id("CustomerCall")
    at: datetime = copied("When (UTC).")
    channel: str = copied("Intake channel code.")
    words: str = copied("What the customer said, in their own words.")
    flags: list[str] = copied("Flags raised by this call.", lambda row: list(row.flags))
    state: str = copied("The order's state at the call (calls are counted per state).")


@strawberry.enum(description="Where an upgrade-warning slip stands.")
class SlipState(Enum):
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    RESULTED = "resulted"


@strawberry.type(description="An upgrade-warning slip (客户投诉升级预警单) sent to the escalation department.")
class WarningSlip(RowType):
    row: strawberry.Private[models.WarningSlip]

    id: strawberry.ID = global_id("WarningSlip")
    trigger: str = copied("The rule that fired (e.g. W1) or REPEAT for a complaint beyond the routing table.")
    reason: str = copied("Why the warning was raised (升级预警原因).")
    repeat_words: str | None = copied("The customer's repeated complaint (客户再次投诉内容), when a call raised it.")
    from_tier: str = copied("The tier that handled the order (原处理部门).")
    to_tier: str = copied("The escalation department (升级处理部门).")
    state: SlipState = copied("Issued, acknowledged or resulted.", lambda row: SlipState(row.state))
    issued_at: datetime = copied("When it was issued.")

    issued_by: User | None
    @strawberry.field(description="The CSR who issued it (CSR工号); null when the system did.")
    async def issued_by(self, info: Info) -> User | None:
        return await _user(info, self.row.issued_by_id)

    acknowledged_at: datetime | None = copied("When the escalation department acknowledged it.")
    result: str | None = copied("The functional department's result (职能部门处理结果).")

    result_handler: User | None
    @strawberry.field(description="Who handled it (处理人).")
    async def result_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.result_handler_id)

    result_at: datetime | None = copied("The date of the result (日期).")


SlaStatus = strawberry.enum(sla.SlaStatus, description="Where a clock stands now.")


@strawberry.type(description="A deadline clock of an order: response, closure or a workflow step.")
class SlaClock(RowType):
    row: strawberry.Private[models.WorkOrderClock]
    now: strawberry.Private[datetime]

    name: str = copied("response, closure, or the name of a workflow step.")
    target: int | None = copied("The target amount; null when unlimited.")
    unit: str = copied("business_minutes, working_days, natural_hours or natural_days.")
    started_at: datetime = copied("When the clock started (the order's received-at for the response and closure clocks).")
    due_at: datetime | None = copied("The deadline; null while paused, unlimited or while its year's calendar is missing.")
    warn_at: datetime | None = copied("From when the clock counts as due soon.")
    stopped_at: datetime | None = copied("When the clock stopped (met).")
    used_minutes: int = copied("Business (or natural) minutes used in finished runs, e.g. before a pause.", attrgetter("used"))
    missing_year: int | None = copied("The year whose holidays and make-up days are not loaded yet (status CALENDAR_MISSING).")

    @strawberry.field(description="ON_TRACK, DUE_SOON, BREACHED, MET, MET_LATE, PAUSED or CALENDAR_MISSING, as of now.")
    def status(self) -> SlaStatus:
        return sla.status(clocks.to_clock(self.row), self.now)


async def _clock(info: Info, order_id: int, name: str) -> SlaClock | None:
    rows = await info.context.loaders.clocks_by_order.load(order_id)
    row = next((r for r in rows if r.name == name), None)
    return SlaClock(row=row, now=info.context.caller.clock()) if row else None


@strawberry.type(description="A customer complaint or consultation, handled through the tenant's workflow.")
class WorkOrder(RowType):
    row: strawberry.Private[models.WorkOrder]

    id: strawberry.ID = global_id("WorkOrder")
    number: str = copied("Human number, unique in the tenant and never reused, e.g. SKD-20261122-00042.")
    version: int = copied("Send this as expectedVersion with your next change to this order.")
    state: str = copied("Workflow state (profile name, e.g. unprocessed).")

    state_label: Label
    @strawberry.field(description="State label in the tenant's languages.")
    def state_label(self, info: Info) -> Label:
        return Label.of(info.context.caller.profile.workflow.state(self.row.state).label)

    available_transitions: list[str]
    @strawberry.field(description="Workflow steps this order allows from its state (whether you may take them is checked on use).")
    def available_transitions(self, info: Info) -> list[str]:
        return [t.name for t in info.context.caller.profile.workflow.available(self.row.state)]

    grade: str | None = copied("Grade code (e.g. A); null for consultations, which are not graded.")
    category: str = copied("Category code (e.g. A4a).")
    order_type: str = copied("Order type code (complaint or consultation kind).")
    channel: str = copied("Intake channel code.")
    tier: str = copied("Handling tier code (e.g. DLR, RBO, SALES_SE).")
    received_at: datetime = copied("When the complaint reached the brand or dealer; every clock starts here.")
    registered_at: datetime = copied("When it was registered in the system.")
    responded_at: datetime | None = copied("First contact that reached the customer.")

    response_due_at: datetime | None
    @strawberry.field(description="Deadline of the first contact with the customer (the response clock).")
    async def response_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, "response")
        return clock.row.due_at if clock else None

    closure_due_at: datetime | None
    @strawberry.field(description="Deadline for closing (the closure clock); null when unlimited, paused or the calendar is missing.")
    async def closure_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, "closure")
        return clock.row.due_at if clock else None

    current_step_due_at: datetime | None
    @strawberry.field(description="Deadline of the current workflow step, where the profile times that step.")
    async def current_step_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, self.row.state)
        return clock.row.due_at if clock else None

    clocks: list[SlaClock]
    @strawberry.field(description="Every clock of the order with its status now.")
    async def clocks(self, info: Info) -> list[SlaClock]:
        now = info.context.caller.clock()
        return [SlaClock(row=r, now=now) for r in await info.context.loaders.clocks_by_order.load(self.row.id)]

    handled_at: datetime | None = copied("When the handler recorded the resolution.")
    closed_at: datetime | None = copied("When the order was confirmed closed.")
    summary: str = copied("One-line summary.")
    details: str = copied("The complaint in the customer's own words.")
    demands: list[str] = copied("Demand codes (e.g. refund, replacement).", lambda row: list(row.demands))
    flags: list[str] = copied("Flag codes (e.g. claims_media).", lambda row: list(row.flags))
    resolution: str | None = copied("Resolution recorded at closing.")
    measures: str | None = copied("Measures taken.")
    root_cause: str | None = copied("Root-cause analysis.")
    customer_feedback: str | None = copied("The customer's feedback on the measures.")

    dealer: OrgUnit
    @strawberry.field(description="The dealer the order lives at.")
    async def dealer(self, info: Info) -> OrgUnit:
        return OrgUnit(row=await info.context.loaders.org_unit_by_id.load(self.row.org_unit_id))

    customer: Customer
    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer:
        row = await info.context.loaders.customer_by_id.load(self.row.customer_id)
        return Customer(row=row, unmasked=info.context.caller.authz.check("customer.pii", self.row.org_path))

    vehicle: Vehicle | None
    @strawberry.field(description="The vehicle, when one was named.")
    async def vehicle(self, info: Info) -> Vehicle | None:
        if self.row.vehicle_id is None:
            return None
        return Vehicle(row=await info.context.loaders.vehicle_by_id.load(self.row.vehicle_id))

    registered_by: User | None
    @strawberry.field(description="Who registered it.")
    async def registered_by(self, info: Info) -> User | None:
        return await _user(info, self.row.registered_by_id)

    primary_handler: User | None
    @strawberry.field(description="The handler in charge.")
    async def primary_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.primary_handler_id)

    secondary_handler: User | None
    @strawberry.field(description="The deputy, who steps in when the primary is absent or late.")
    async def secondary_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.secondary_handler_id)

    history: list[WorkOrderEvent]
    @strawberry.field(description="Every change, oldest first.")
    async def history(self, info: Info) -> list[WorkOrderEvent]:
        return [WorkOrderEvent(row=r) for r in await info.context.loaders.history_by_order.load(self.row.id)]

    last_event: WorkOrderEvent | None
    @strawberry.field(description="The newest history entry.")
    async def last_event(self, info: Info) -> WorkOrderEvent | None:
        row = await info.context.loaders.last_event_by_order.load(self.row.id)
        return WorkOrderEvent(row=row) if row else None

    repeat_of: WorkOrder | None
    @strawberry.field(description="The earlier order this complaint repeats (same customer, same issue), if any.")
    async def repeat_of(self, info: Info) -> WorkOrder | None:
        if self.row.repeat_of_id is None:
            return None
        rows = await info.context.loaders.order_by_id.load(self.row.repeat_of_id)
        return WorkOrder(row=rows) if rows else None

    repeat_number: int = copied("Which complaint on the issue this is: 1 first, 2 second (routed to the next tier)...")
    repeated: bool = copied("True when a repeat complaint followed: not resolved the first time.")
    escalated: bool = copied("Above its first tier, a repeat, or with an upgrade-warning slip.")

    @strawberry.field(description="The customer's calls about this order while it was open.")
    async def customer_calls(self, info: Info) -> list[CustomerCall]:
        return [CustomerCall(row=r) for r in await info.context.loaders.calls_by_order.load(self.row.id)]

    @strawberry.field(description="Upgrade-warning slips of this order.")
    async def warning_slips(self, info: Info) -> list[WarningSlip]:
        return [WarningSlip(row=r) for r in await info.context.loaders.slips_by_order.load(self.row.id)]

    @strawberry.field(description="Staff named as involved in the complaint: they can never handle it.")
    async def involved_staff(self, info: Info) -> list[User]:
        rows = await info.context.loaders.user_by_id.load_many(list(self.row.involved_staff))
        return [User(row=r) for r in rows if r is not None]

    @strawberry.field(description="Contact attempts, oldest first.")
    async def contact_attempts(self, info: Info) -> list[ContactAttempt]:
        return [ContactAttempt(row=r) for r in await info.context.loaders.contacts_by_order.load(self.row.id)]


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
