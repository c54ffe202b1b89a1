"""GraphQL object types. Each wraps a row: its scalars are copied from the row once, when the type
is made, and its relations are resolved through the request's loaders.

A plain attribute skips strawberry's resolver wrapper (info, arguments, the extension chain), which
a method resolver pays for every field of every row: ~800 calls per 50-order page (bench/README.md,
finding 2). Resolvers stay for relations and for what needs the request. Strawberry puts fields
with resolvers after the annotated ones unless they are annotated too, so each resolver's name is
also annotated where it stands: the SDL keeps its field order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from enum import Enum
from operator import attrgetter
from typing import Any

import strawberry
from strawberry.types.field import StrawberryField

from server.db import models
from server.domain import sla
from server.domain.workflow import Label as DomainLabel
from server.services import clocks
from server.domain.identifiers import mask_phone
from schema.context import Info, Soon
from schema.ids import encode

_GET = "read_from_row"


class RowField(StrawberryField):
    """A field read from its object's row when a query asks for it. It has no resolver, so strawberry
    takes its fast path (no Info, no arguments, no extension chain), and a field nobody selected costs
    nothing. The getter sits in the metadata because strawberry copies fields by their arguments."""

    def get_result(self, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
        get = self.metadata[_GET]
        return get(source.row) if get else getattr(source.row, self.python_name)


def from_row(description: str, get: Callable[[Any], Any] | None = None) -> Any:
    """`get(row)`, or the row's attribute of the same name."""
    return RowField(description=description, default=None, metadata={_GET: get})


def global_id(type_name: str) -> Any:
    return from_row("Opaque global id.", lambda row: encode(type_name, row.id))


@strawberry.type(description="A display label in the tenant's languages.")
class Label:
    zh: str = strawberry.field(description="Simplified Chinese.")
    en: str = strawberry.field(description="English.")

    @classmethod
    def of(cls, label: DomainLabel) -> Label:
        return cls(zh=label.zh, en=label.en)


@strawberry.type(description="A node of the tenant's org tree: brand HQ, region, dealer or department.")
class OrgUnit:
    row: strawberry.Private[models.OrgUnit]

    id: strawberry.ID = global_id("OrgUnit")
    kind: str = from_row("brand, region, dealer or department.")
    code: str = from_row("Short code, unique among its siblings.")
    name: str = from_row("Display name.")
    path: str = from_row("Path from the brand root, e.g. /skoda/east/dlr-0231.")


@strawberry.type(description="A person of the tenant.")
class User:
    row: strawberry.Private[models.User]

    id: strawberry.ID = global_id("User")
    username: str = from_row("Login name.")
    display_name: str = from_row("Name shown to colleagues.")


@strawberry.type(description="The customer who complained. Phones and address are masked unless you hold customer.pii.")
class Customer:
    row: strawberry.Private[models.Customer]
    unmasked: strawberry.Private[bool]

    id: strawberry.ID = global_id("Customer")
    name: str = from_row("Name as given.")

    phones: list[str]
    @strawberry.field(description="Phone numbers in E.164 form (+8613812345678), masked without customer.pii.")
    def phones(self, info: Info) -> Soon[list[str]]:
        shown = (lambda n: n) if self.unmasked else mask_phone
        return info.context.loaders.phones_by_customer.soon(self.row.id, lambda rows: [shown(p.number) for p in rows])

    @strawberry.field(description="Postal address; null when unknown or masked.")
    def address(self) -> str | None:
        return self.row.address if self.unmasked else None

    @strawberry.field(description="Postcode; null when unknown or masked.")
    def postcode(self) -> str | None:
        return self.row.postcode if self.unmasked else None


@strawberry.type(description="The customer's vehicle.")
class Vehicle:
    row: strawberry.Private[models.Vehicle]

    id: strawberry.ID = global_id("Vehicle")
    vin: str = from_row("17-character VIN (chassis number), check digit verified.")
    engine_number: str | None = from_row("Engine number.")
    plate: str | None = from_row("Licence plate.")
    model: str | None = from_row("Model name.")
    purchase_date: date | None = from_row("Purchase date.")
    mileage_km: int | None = from_row("Mileage in km, as last reported.")


def _user(info: Info, user_id: int | None) -> Soon[User | None]:
    if user_id is None:
        return None
    return info.context.loaders.user_by_id.soon(user_id, lambda row: User(row=row) if row else None)


@strawberry.type(description="One entry of an order's append-only history.")
class WorkOrderEvent:
    row: strawberry.Private[models.WorkOrderEvent]

    id: strawberry.ID = global_id("WorkOrderEvent")
    at: datetime = from_row("When it happened (UTC).")
    kind: str = from_row("registered, transition, assigned or contact.")

    actor: User | None
    @strawberry.field(description="Who did it.")
    def actor(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.actor_id)

    transition: str | None = from_row("The workflow transition, for kind=transition.")
    from_state: str | None = from_row("State before.")
    to_state: str | None = from_row("State after.")
    comment: str | None = from_row("The actor's comment or reason.")


@strawberry.enum(description="How a contact attempt ended.")
class ContactOutcome(Enum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"


@strawberry.type(description="A call or message to the customer about the order.")
class ContactAttempt:
    row: strawberry.Private[models.ContactAttempt]

    id: strawberry.ID = global_id("ContactAttempt")
    at: datetime = from_row("When (UTC).")
    outcome: ContactOutcome = from_row("Reached, unreachable or refused.", lambda row: ContactOutcome(row.outcome))
    note: str | None = from_row("What was said or agreed.")

    actor: User | None
    @strawberry.field(description="Who called.")
    def actor(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.actor_id)


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


@strawberry.type(description="An upgrade-warning slip (客户投诉升级预警单) sent to the escalation department.")
class WarningSlip:
    row: strawberry.Private[models.WarningSlip]

    id: strawberry.ID = global_id("WarningSlip")
    trigger: str = from_row("The rule that fired (e.g. W1) or REPEAT for a complaint beyond the routing table.")
    reason: str = from_row("Why the warning was raised (升级预警原因).")
    repeat_words: str | None = from_row("The customer's repeated complaint (客户再次投诉内容), when a call raised it.")
    from_tier: str = from_row("The tier that handled the order (原处理部门).")
    to_tier: str = from_row("The escalation department (升级处理部门).")
    state: SlipState = from_row("Issued, acknowledged or resulted.", lambda row: SlipState(row.state))
    issued_at: datetime = from_row("When it was issued.")

    issued_by: User | None
    @strawberry.field(description="The CSR who issued it (CSR工号); null when the system did.")
    def issued_by(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.issued_by_id)

    acknowledged_at: datetime | None = from_row("When the escalation department acknowledged it.")
    result: str | None = from_row("The functional department's result (职能部门处理结果).")

    result_handler: User | None
    @strawberry.field(description="Who handled it (处理人).")
    def result_handler(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.result_handler_id)

    result_at: datetime | None = from_row("The date of the result (日期).")


SlaStatus = strawberry.enum(sla.SlaStatus, description="Where a clock stands now.")


@strawberry.type(description="A deadline clock of an order: response, closure or a workflow step.")
class SlaClock:
    row: strawberry.Private[models.WorkOrderClock]
    now: strawberry.Private[datetime]

    name: str = from_row("response, closure, or the name of a workflow step.")
    target: int | None = from_row("The target amount; null when unlimited.")
    unit: str = from_row("business_minutes, working_days, natural_hours or natural_days.")
    started_at: datetime = from_row("When the clock started (the order's received-at for the response and closure clocks).")
    due_at: datetime | None = from_row("The deadline; null while paused, unlimited or while its year's calendar is missing.")
    warn_at: datetime | None = from_row("From when the clock counts as due soon.")
    stopped_at: datetime | None = from_row("When the clock stopped (met).")
    used_minutes: int = from_row("Business (or natural) minutes used in finished runs, e.g. before a pause.", attrgetter("used"))
    missing_year: int | None = from_row("The year whose holidays and make-up days are not loaded yet (status CALENDAR_MISSING).")

    @strawberry.field(description="ON_TRACK, DUE_SOON, BREACHED, MET, MET_LATE, PAUSED or CALENDAR_MISSING, as of now.")
    def status(self) -> SlaStatus:
        return sla.status(clocks.to_clock(self.row), self.now)


def _due_at(info: Info, order_id: int, name: str) -> Soon[datetime | None]:
    return info.context.loaders.clocks_by_order.soon(order_id, lambda rows: next((r.due_at for r in rows if r.name == name), None))


@strawberry.type(description="A customer complaint or consultation, handled through the tenant's workflow.")
class WorkOrder:
    row: strawberry.Private[models.WorkOrder]

    id: strawberry.ID = global_id("WorkOrder")
    number: str = from_row("Human number, unique in the tenant and never reused, e.g. SKD-20261122-00042.")
    version: int = from_row("Send this as expectedVersion with your next change to this order.")
    state: str = from_row("Workflow state (profile name, e.g. unprocessed).")

    state_label: Label
    @strawberry.field(description="State label in the tenant's languages.")
    def state_label(self, info: Info) -> Label:
        return Label.of(info.context.caller.profile.workflow.state(self.row.state).label)

    available_transitions: list[str]
    @strawberry.field(description="Workflow steps this order allows from its state (whether you may take them is checked on use).")
    def available_transitions(self, info: Info) -> list[str]:
        return [t.name for t in info.context.caller.profile.workflow.available(self.row.state)]

    grade: str | None = from_row("Grade code (e.g. A); null for consultations, which are not graded.")
    category: str = from_row("Category code (e.g. A4a).")
    order_type: str = from_row("Order type code (complaint or consultation kind).")
    channel: str = from_row("Intake channel code.")
    tier: str = from_row("Handling tier code (e.g. DLR, RBO, SALES_SE).")
    received_at: datetime = from_row("When the complaint reached the brand or dealer; every clock starts here.")
    registered_at: datetime = from_row("When it was registered in the system.")
    responded_at: datetime | None = from_row("First contact that reached the customer.")

    response_due_at: datetime | None
    @strawberry.field(description="Deadline of the first contact with the customer (the response clock).")
    def response_due_at(self, info: Info) -> Soon[datetime | None]:
        return _due_at(info, self.row.id, "response")

    closure_due_at: datetime | None
    @strawberry.field(description="Deadline for closing (the closure clock); null when unlimited, paused or the calendar is missing.")
    def closure_due_at(self, info: Info) -> Soon[datetime | None]:
        return _due_at(info, self.row.id, "closure")

    current_step_due_at: datetime | None
    @strawberry.field(description="Deadline of the current workflow step, where the profile times that step.")
    def current_step_due_at(self, info: Info) -> Soon[datetime | None]:
        return _due_at(info, self.row.id, self.row.state)

    clocks: list[SlaClock]
    @strawberry.field(description="Every clock of the order with its status now.")
    def clocks(self, info: Info) -> Soon[list[SlaClock]]:
        now = info.context.caller.clock()
        return info.context.loaders.clocks_by_order.soon(self.row.id, lambda rows: [SlaClock(row=r, now=now) for r in rows])

    handled_at: datetime | None = from_row("When the handler recorded the resolution.")
    closed_at: datetime | None = from_row("When the order was confirmed closed.")
    summary: str = from_row("One-line summary.")
    details: str = from_row("The complaint in the customer's own words.")
    demands: list[str] = from_row("Demand codes (e.g. refund, replacement).", lambda row: list(row.demands))
    flags: list[str] = from_row("Flag codes (e.g. claims_media).", lambda row: list(row.flags))
    resolution: str | None = from_row("Resolution recorded at closing.")
    measures: str | None = from_row("Measures taken.")
    root_cause: str | None = from_row("Root-cause analysis.")
    customer_feedback: str | None = from_row("The customer's feedback on the measures.")

    dealer: OrgUnit
    @strawberry.field(description="The dealer the order lives at.")
    def dealer(self, info: Info) -> Soon[OrgUnit]:
        return info.context.loaders.org_unit_by_id.soon(self.row.org_unit_id, lambda row: OrgUnit(row=row))

    customer: Customer
    @strawberry.field(description="The customer.")
    def customer(self, info: Info) -> Soon[Customer]:
        unmasked = info.context.caller.authz.check("customer.pii", self.row.org_path)
        return info.context.loaders.customer_by_id.soon(self.row.customer_id, lambda row: Customer(row=row, unmasked=unmasked))

    vehicle: Vehicle | None
    @strawberry.field(description="The vehicle, when one was named.")
    def vehicle(self, info: Info) -> Soon[Vehicle | None]:
        if self.row.vehicle_id is None:
            return None
        return info.context.loaders.vehicle_by_id.soon(self.row.vehicle_id, lambda row: Vehicle(row=row))

    registered_by: User | None
    @strawberry.field(description="Who registered it.")
    def registered_by(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.registered_by_id)

    primary_handler: User | None
    @strawberry.field(description="The handler in charge.")
    def primary_handler(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.primary_handler_id)

    secondary_handler: User | None
    @strawberry.field(description="The deputy, who steps in when the primary is absent or late.")
    def secondary_handler(self, info: Info) -> Soon[User | None]:
        return _user(info, self.row.secondary_handler_id)

    history: list[WorkOrderEvent]
    @strawberry.field(description="Every change, oldest first.")
    def history(self, info: Info) -> Soon[list[WorkOrderEvent]]:
        return info.context.loaders.history_by_order.soon(self.row.id, lambda rows: [WorkOrderEvent(row=r) for r in rows])

    last_event: WorkOrderEvent | None
    @strawberry.field(description="The newest history entry.")
    def last_event(self, info: Info) -> Soon[WorkOrderEvent | None]:
        return info.context.loaders.last_event_by_order.soon(self.row.id, lambda row: WorkOrderEvent(row=row) if row else None)

    repeat_of: WorkOrder | None
    @strawberry.field(description="The earlier order this complaint repeats (same customer, same issue), if any.")
    def repeat_of(self, info: Info) -> Soon[WorkOrder | None]:
        if self.row.repeat_of_id is None:
            return None
        return info.context.loaders.order_by_id.soon(self.row.repeat_of_id, lambda row: WorkOrder(row=row) if row else None)

    repeat_number: int = from_row("Which complaint on the issue this is: 1 first, 2 second (routed to the next tier)...")
    repeated: bool = from_row("True when a repeat complaint followed: not resolved the first time.")
    escalated: bool = from_row("Above its first tier, a repeat, or with an upgrade-warning slip.")

    customer_calls: list[CustomerCall]
    @strawberry.field(description="The customer's calls about this order while it was open.")
    def customer_calls(self, info: Info) -> Soon[list[CustomerCall]]:
        return info.context.loaders.calls_by_order.soon(self.row.id, lambda rows: [CustomerCall(row=r) for r in rows])

    warning_slips: list[WarningSlip]
    @strawberry.field(description="Upgrade-warning slips of this order.")
    def warning_slips(self, info: Info) -> Soon[list[WarningSlip]]:
        return info.context.loaders.slips_by_order.soon(self.row.id, lambda rows: [WarningSlip(row=r) for r in rows])

    involved_staff: list[User]
    @strawberry.field(description="Staff named as involved in the complaint: they can never handle it.")
    def involved_staff(self, info: Info) -> Soon[list[User]]:
        return info.context.loaders.user_by_id.soon_many(self.row.involved_staff, lambda rows: [User(row=r) for r in rows if r is not None])

    contact_attempts: list[ContactAttempt]
    @strawberry.field(description="Contact attempts, oldest first.")
    def contact_attempts(self, info: Info) -> Soon[list[ContactAttempt]]:
        return info.context.loaders.contacts_by_order.soon(self.row.id, lambda rows: [ContactAttempt(row=r) for r in rows])


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
