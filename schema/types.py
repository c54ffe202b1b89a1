"""GraphQL object types. Each wraps a row and resolves relations through the request's loaders."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

import strawberry

from server.db import models
from server.domain import sla
from server.services import clocks
from server.domain.identifiers import mask_phone
from schema.context import Info
from schema.ids import encode


@strawberry.type(description="A display label in the tenant's languages.")
class Label:
    zh: str = strawberry.field(description="Simplified Chinese.")
    en: str = strawberry.field(description="English.")


@strawberry.type(description="A node of the tenant's org tree: brand HQ, region, dealer or department.")
class OrgUnit:
    row: strawberry.Private[models.OrgUnit]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("OrgUnit", self.row.id)

    @strawberry.field(description="brand, region, dealer or department.")
    def kind(self) -> str:
        return self.row.kind

    @strawberry.field(description="Short code, unique among its siblings.")
    def code(self) -> str:
        return self.row.code

    @strawberry.field(description="Display name.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="Path from the brand root, e.g. /skoda/east/dlr-0231.")
    def path(self) -> str:
        return self.row.path


@strawberry.type(description="A person of the tenant.")
class User:
    row: strawberry.Private[models.User]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("User", self.row.id)

    @strawberry.field(description="Login name.")
    def username(self) -> str:
        return self.row.username

    @strawberry.field(description="Name shown to colleagues.")
    def display_name(self) -> str:
        return self.row.display_name


@strawberry.type(description="The customer who complained. Phones and address are masked unless you hold customer.pii.")
class Customer:
    row: strawberry.Private[models.Customer]
    unmasked: strawberry.Private[bool]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("Customer", self.row.id)

    @strawberry.field(description="Name as given.")
    def name(self) -> str:
        return self.row.name

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
class Vehicle:
    row: strawberry.Private[models.Vehicle]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("Vehicle", self.row.id)

    @strawberry.field(description="17-character VIN (chassis number), check digit verified.")
    def vin(self) -> str:
        return self.row.vin

    @strawberry.field(description="Engine number.")
    def engine_number(self) -> str | None:
        return self.row.engine_number

    @strawberry.field(description="Licence plate.")
    def plate(self) -> str | None:
        return self.row.plate

    @strawberry.field(description="Model name.")
    def model(self) -> str | None:
        return self.row.model

    @strawberry.field(description="Purchase date.")
    def purchase_date(self) -> date | None:
        return self.row.purchase_date

    @strawberry.field(description="Mileage in km, as last reported.")
    def mileage_km(self) -> int | None:
        return self.row.mileage_km


async def _user(info: Info, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    row = await info.context.loaders.user_by_id.load(user_id)
    return User(row=row) if row else None


@strawberry.type(description="One entry of an order's append-only history.")
class WorkOrderEvent:
    row: strawberry.Private[models.WorkOrderEvent]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("WorkOrderEvent", self.row.id)

    @strawberry.field(description="When it happened (UTC).")
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="registered, transition, assigned or contact.")
    def kind(self) -> str:
        return self.row.kind

    @strawberry.field(description="Who did it.")
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.row.actor_id)

    @strawberry.field(description="The workflow transition, for kind=transition.")
    def transition(self) -> str | None:
        return self.row.transition

    @strawberry.field(description="State before.")
    def from_state(self) -> str | None:
        return self.row.from_state

    @strawberry.field(description="State after.")
    def to_state(self) -> str | None:
        return self.row.to_state

    @strawberry.field(description="The actor's comment or reason.")
    def comment(self) -> str | None:
        return self.row.comment


@strawberry.enum(description="How a contact attempt ended.")
class ContactOutcome(Enum):
    REACHED = "reached"
    UNREACHABLE = "unreachable"
    REFUSED = "refused"


@strawberry.type(description="A call or message to the customer about the order.")
class ContactAttempt:
    row: strawberry.Private[models.ContactAttempt]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("ContactAttempt", self.row.id)

    @strawberry.field(description="When (UTC).")
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="Reached, unreachable or refused.")
    def outcome(self) -> ContactOutcome:
        return ContactOutcome(self.row.outcome)

    @strawberry.field(description="What was said or agreed.")
    def note(self) -> str | None:
        return self.row.note

    @strawberry.field(description="Who called.")
    async def actor(self, info: Info) -> User | None:
        return await _user(info, self.row.actor_id)


@strawberry.type(description="The customer calling again about an open order.")
class CustomerCall:
    row: strawberry.Private[models.CustomerCall]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("CustomerCall", self.row.id)

    @strawberry.field(description="When (UTC).")
    def at(self) -> datetime:
        return self.row.at

    @strawberry.field(description="Intake channel code.")
    def channel(self) -> str:
        return self.row.channel

    @strawberry.field(description="What the customer said, in their own words.")
    def words(self) -> str:
        return self.row.words

    @strawberry.field(description="Flags raised by this call.")
    def flags(self) -> list[str]:
        return list(self.row.flags)

    @strawberry.field(description="The order's state at the call (calls are counted per state).")
    def state(self) -> str:
        return self.row.state


@strawberry.enum(description="Where an upgrade-warning slip stands.")
class SlipState(Enum):
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    RESULTED = "resulted"


@strawberry.type(description="An upgrade-warning slip (客户投诉升级预警单) sent to the escalation department.")
class WarningSlip:
    row: strawberry.Private[models.WarningSlip]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("WarningSlip", self.row.id)

    @strawberry.field(description="The rule that fired (e.g. W1) or REPEAT for a complaint beyond the routing table.")
    def trigger(self) -> str:
        return self.row.trigger

    @strawberry.field(description="Why the warning was raised (升级预警原因).")
    def reason(self) -> str:
        return self.row.reason

    @strawberry.field(description="The customer's repeated complaint (客户再次投诉内容), when a call raised it.")
    def repeat_words(self) -> str | None:
        return self.row.repeat_words

    @strawberry.field(description="The tier that handled the order (原处理部门).")
    def from_tier(self) -> str:
        return self.row.from_tier

    @strawberry.field(description="The escalation department (升级处理部门).")
    def to_tier(self) -> str:
        return self.row.to_tier

    @strawberry.field(description="Issued, acknowledged or resulted.")
    def state(self) -> SlipState:
        return SlipState(self.row.state)

    @strawberry.field(description="When it was issued.")
    def issued_at(self) -> datetime:
        return self.row.issued_at

    @strawberry.field(description="The CSR who issued it (CSR工号); null when the system did.")
    async def issued_by(self, info: Info) -> User | None:
        return await _user(info, self.row.issued_by_id)

    @strawberry.field(description="When the escalation department acknowledged it.")
    def acknowledged_at(self) -> datetime | None:
        return self.row.acknowledged_at

    @strawberry.field(description="The functional department's result (职能部门处理结果).")
    def result(self) -> str | None:
        return self.row.result

    @strawberry.field(description="Who handled it (处理人).")
    async def result_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.result_handler_id)

    @strawberry.field(description="The date of the result (日期).")
    def result_at(self) -> datetime | None:
        return self.row.result_at


SlaStatus = strawberry.enum(sla.SlaStatus, description="Where a clock stands now.")


@strawberry.type(description="A deadline clock of an order: response, closure or a workflow step.")
class SlaClock:
    row: strawberry.Private[models.WorkOrderClock]
    now: strawberry.Private[datetime]

    @strawberry.field(description="response, closure, or the name of a workflow step.")
    def name(self) -> str:
        return self.row.name

    @strawberry.field(description="The target amount; null when unlimited.")
    def target(self) -> int | None:
        return self.row.target

    @strawberry.field(description="business_minutes, working_days, natural_hours or natural_days.")
    def unit(self) -> str:
        return self.row.unit

    @strawberry.field(description="When the clock started (the order's received-at for the response and closure clocks).")
    def started_at(self) -> datetime:
        return self.row.started_at

    @strawberry.field(description="The deadline; null while paused, unlimited or while its year's calendar is missing.")
    def due_at(self) -> datetime | None:
        return self.row.due_at

    @strawberry.field(description="From when the clock counts as due soon.")
    def warn_at(self) -> datetime | None:
        return self.row.warn_at

    @strawberry.field(description="When the clock stopped (met).")
    def stopped_at(self) -> datetime | None:
        return self.row.stopped_at

    @strawberry.field(description="Business (or natural) minutes used in finished runs, e.g. before a pause.")
    def used_minutes(self) -> int:
        return self.row.used

    @strawberry.field(description="The year whose holidays and make-up days are not loaded yet (status CALENDAR_MISSING).")
    def missing_year(self) -> int | None:
        return self.row.missing_year

    @strawberry.field(description="ON_TRACK, DUE_SOON, BREACHED, MET, MET_LATE, PAUSED or CALENDAR_MISSING, as of now.")
    def status(self) -> SlaStatus:
        return sla.status(clocks.to_clock(self.row), self.now)


async def _clock(info: Info, order_id: int, name: str) -> SlaClock | None:
    rows = await info.context.loaders.clocks_by_order.load(order_id)
    row = next((r for r in rows if r.name == name), None)
    return SlaClock(row=row, now=info.context.caller.clock()) if row else None


@strawberry.type(description="A customer complaint or consultation, handled through the tenant's workflow.")
class WorkOrder:
    row: strawberry.Private[models.WorkOrder]

    @strawberry.field(description="Opaque global id.")
    def id(self) -> strawberry.ID:
        return encode("WorkOrder", self.row.id)

    @strawberry.field(description="Human number, unique in the tenant and never reused, e.g. SKD-20261122-00042.")
    def number(self) -> str:
        return self.row.number

    @strawberry.field(description="Send this as expectedVersion with your next change to this order.")
    def version(self) -> int:
        return self.row.version

    @strawberry.field(description="Workflow state (profile name, e.g. unprocessed).")
    def state(self) -> str:
        return self.row.state

    @strawberry.field(description="State label in the tenant's languages.")
    def state_label(self, info: Info) -> Label:
        label = info.context.caller.profile.workflow.state(self.row.state).label
        return Label(zh=label.zh, en=label.en)

    @strawberry.field(description="Workflow steps this order allows from its state (whether you may take them is checked on use).")
    def available_transitions(self, info: Info) -> list[str]:
        return [t.name for t in info.context.caller.profile.workflow.available(self.row.state)]

    @strawberry.field(description="Grade code (e.g. A); null for consultations, which are not graded.")
    def grade(self) -> str | None:
        return self.row.grade

    @strawberry.field(description="Category code (e.g. A4a).")
    def category(self) -> str:
        return self.row.category

    @strawberry.field(description="Order type code (complaint or consultation kind).")
    def order_type(self) -> str:
        return self.row.order_type

    @strawberry.field(description="Intake channel code.")
    def channel(self) -> str:
        return self.row.channel

    @strawberry.field(description="Handling tier code (e.g. DLR, RBO, SALES_SE).")
    def tier(self) -> str:
        return self.row.tier

    @strawberry.field(description="When the complaint reached the brand or dealer; every clock starts here.")
    def received_at(self) -> datetime:
        return self.row.received_at

    @strawberry.field(description="When it was registered in the system.")
    def registered_at(self) -> datetime:
        return self.row.registered_at

    @strawberry.field(description="First contact that reached the customer.")
    def responded_at(self) -> datetime | None:
        return self.row.responded_at

    @strawberry.field(description="Deadline of the first contact with the customer (the response clock).")
    async def response_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, "response")
        return clock.row.due_at if clock else None

    @strawberry.field(description="Deadline for closing (the closure clock); null when unlimited, paused or the calendar is missing.")
    async def closure_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, "closure")
        return clock.row.due_at if clock else None

    @strawberry.field(description="Deadline of the current workflow step, where the profile times that step.")
    async def current_step_due_at(self, info: Info) -> datetime | None:
        clock = await _clock(info, self.row.id, self.row.state)
        return clock.row.due_at if clock else None

    @strawberry.field(description="Every clock of the order with its status now.")
    async def clocks(self, info: Info) -> list[SlaClock]:
        now = info.context.caller.clock()
        return [SlaClock(row=r, now=now) for r in await info.context.loaders.clocks_by_order.load(self.row.id)]

    @strawberry.field(description="When the handler recorded the resolution.")
    def handled_at(self) -> datetime | None:
        return self.row.handled_at

    @strawberry.field(description="When the order was confirmed closed.")
    def closed_at(self) -> datetime | None:
        return self.row.closed_at

    @strawberry.field(description="One-line summary.")
    def summary(self) -> str:
        return self.row.summary

    @strawberry.field(description="The complaint in the customer's own words.")
    def details(self) -> str:
        return self.row.details

    @strawberry.field(description="Demand codes (e.g. refund, replacement).")
    def demands(self) -> list[str]:
        return list(self.row.demands)

    @strawberry.field(description="Flag codes (e.g. claims_media).")
    def flags(self) -> list[str]:
        return list(self.row.flags)

    @strawberry.field(description="Resolution recorded at closing.")
    def resolution(self) -> str | None:
        return self.row.resolution

    @strawberry.field(description="Measures taken.")
    def measures(self) -> str | None:
        return self.row.measures

    @strawberry.field(description="Root-cause analysis.")
    def root_cause(self) -> str | None:
        return self.row.root_cause

    @strawberry.field(description="The customer's feedback on the measures.")
    def customer_feedback(self) -> str | None:
        return self.row.customer_feedback

    @strawberry.field(description="The dealer the order lives at.")
    async def dealer(self, info: Info) -> OrgUnit:
        return OrgUnit(row=await info.context.loaders.org_unit_by_id.load(self.row.org_unit_id))

    @strawberry.field(description="The customer.")
    async def customer(self, info: Info) -> Customer:
        row = await info.context.loaders.customer_by_id.load(self.row.customer_id)
        return Customer(row=row, unmasked=info.context.caller.authz.check("customer.pii", self.row.org_path))

    @strawberry.field(description="The vehicle, when one was named.")
    async def vehicle(self, info: Info) -> Vehicle | None:
        if self.row.vehicle_id is None:
            return None
        return Vehicle(row=await info.context.loaders.vehicle_by_id.load(self.row.vehicle_id))

    @strawberry.field(description="Who registered it.")
    async def registered_by(self, info: Info) -> User | None:
        return await _user(info, self.row.registered_by_id)

    @strawberry.field(description="The handler in charge.")
    async def primary_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.primary_handler_id)

    @strawberry.field(description="The deputy, who steps in when the primary is absent or late.")
    async def secondary_handler(self, info: Info) -> User | None:
        return await _user(info, self.row.secondary_handler_id)

    @strawberry.field(description="Every change, oldest first.")
    async def history(self, info: Info) -> list[WorkOrderEvent]:
        return [WorkOrderEvent(row=r) for r in await info.context.loaders.history_by_order.load(self.row.id)]

    @strawberry.field(description="The newest history entry.")
    async def last_event(self, info: Info) -> WorkOrderEvent | None:
        row = await info.context.loaders.last_event_by_order.load(self.row.id)
        return WorkOrderEvent(row=row) if row else None

    @strawberry.field(description="The earlier order this complaint repeats (same customer, same issue), if any.")
    async def repeat_of(self, info: Info) -> WorkOrder | None:
        if self.row.repeat_of_id is None:
            return None
        rows = await info.context.loaders.order_by_id.load(self.row.repeat_of_id)
        return WorkOrder(row=rows) if rows else None

    @strawberry.field(description="Which complaint on the issue this is: 1 first, 2 second (routed to the next tier)...")
    def repeat_number(self) -> int:
        return self.row.repeat_number

    @strawberry.field(description="True when a repeat complaint followed: not resolved the first time.")
    def repeated(self) -> bool:
        return self.row.repeated

    @strawberry.field(description="Above its first tier, a repeat, or with an upgrade-warning slip.")
    def escalated(self) -> bool:
        return self.row.escalated

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
