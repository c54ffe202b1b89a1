"""registerComplaint: a call-centre operator turns a customer's complaint into a work order."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Customer, CustomerPhone, OrgUnit, User, Vehicle, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, NotPermittedError
from server.domain.identifiers import normalise_phone, normalise_vin
from server.domain.text import text_problem
from server.services import alerts, calls, clocks, escalation, repeats
from server.services.caller import Caller
from server.services.history import record
from server.services.numbering import next_number


@dataclass
class CustomerInput:
    name: str
    phones: list[str]
    address: str | None = None
    postcode: str | None = None


@dataclass
class VehicleInput:
    vin: str
    engine_number: str | None = None
    plate: str | None = None
    model: str | None = None
    purchase_date: date | None = None
    mileage_km: int | None = None


@dataclass
class Registration:
    dealer_id: int
    customer: CustomerInput
    channel: str
    category: str
    summary: str
    details: str
    vehicle: VehicleInput | None = None
    grade: str | None = None
    received_at: datetime | None = None
    demands: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    grade_override_reason: str | None = None  # required when `grade` differs from what the rules propose
    repeat_of_id: int | None = None  # the operator links this complaint to an earlier order on the issue
    involved_staff_ids: list[int] = field(default_factory=list)  # named in the complaint: never its handlers


@dataclass
class Registered:
    """The new order with the rows the registration wrote or read whole, so its answer need not read
    them again: the customer and their phones only when the customer is new (a customer found by
    phone may have numbers this call did not name)."""

    order: WorkOrder
    dealer: OrgUnit
    customer: Customer | None
    phones: list[CustomerPhone]
    vehicle: Vehicle | None


@dataclass
class Checked:
    """A registration whose every field has been validated and normalised."""

    phones: list[str]
    vin: str | None
    grade: str | None
    received_at: datetime
    proposed_grade: str | None


async def register_complaint(caller: Caller, reg: Registration) -> Registered:
    now = caller.clock()
    checked = _check(caller, reg, now)
    async with caller.db.write() as session:
        dealer = await _dealer(caller, session, reg.dealer_id)
        _backdated(caller, checked.received_at, now, dealer.path)
        customer_id, new_customer, new_phones = await _customer(session, reg.customer, checked.phones)
        vehicle = await _vehicle(session, reg.vehicle, checked.vin, customer_id)
        vehicle_id = vehicle.id if vehicle else None
        await _involved(session, reg.involved_staff_ids)
        repeat = await repeats.find(session, caller, reg.category, customer_id, vehicle_id, checked.received_at, reg.repeat_of_id)
        order = _order(caller, reg, checked, now, dealer, customer_id, vehicle_id)
        if repeat is not None:
            order.repeat_of_id, order.repeat_number = repeat.prior.id, repeat.number
            routed = repeats.route_up(caller, order, repeat, now)
        order.number = await next_number(session, caller.profile.number_prefix, caller.profile.timezone, now)
        started = clocks.start_new(caller.tenant, order, order.received_at)
        session.add(order)
        await session.flush()
        for clock in started:
            clock.work_order_id = order.id
        session.add_all(started)
        await clocks.alert_missing(session, caller.tenant, started, now)
        if repeat is not None:
            await repeats.link(session, caller, order, repeat, now)
        data: dict[str, object] = {"clocks": [f"{c.name} started" for c in started]}
        if repeat is not None:
            data["repeat_of"] = {"number": repeat.prior.number, "complaint": repeat.number, "tier": order.tier}
        if checked.proposed_grade != order.grade:
            data["grade_override"] = {"proposed": checked.proposed_grade, "chosen": order.grade, "reason": reg.grade_override_reason}
        await alerts.raise_for(session, caller.tenant, order, now)
        await calls.evaluate(session, caller.tenant, order, caller.user_id, now, order.details, counts={})  # no calls yet
        await record(session, order, caller.user_id, now, "registered", to_state=order.state, data=data)
        if repeat is not None:
            await escalation.record(session, caller.tenant, [routed], now)
    return Registered(order, dealer, new_customer, new_phones if new_customer else [], vehicle)


def _check(caller: Caller, reg: Registration, now: datetime) -> Checked:
    problems: list[FieldProblem] = []
    profile = caller.profile
    phones = _phones(reg.customer.phones, problems)
    vin = None
    if reg.vehicle is not None:
        try:
            vin = normalise_vin(reg.vehicle.vin)
        except ValueError as exc:
            problems.append(FieldProblem(("vehicle", "vin"), str(exc)))
        if reg.vehicle.mileage_km is not None and reg.vehicle.mileage_km < 0:
            problems.append(FieldProblem(("vehicle", "mileageKm"), "must not be negative"))
    _texts(reg, problems)
    _code("channel", reg.channel, profile.channels, problems)
    _code("category", reg.category, profile.categories, problems)
    category = profile.categories.get(reg.category)
    if category is not None and not category.routing:
        problems.append(FieldProblem(("category",), f"category '{reg.category}' is reached by regrading, not at intake"))
    for i, demand in enumerate(reg.demands):
        _code(f"demands[{i}]", demand, profile.demands, problems)
    for i, flag in enumerate(reg.flags):
        _code(f"flags[{i}]", flag, profile.flags, problems)
    proposal = profile.propose_grade(reg.category, reg.flags, reg.demands) if category and not problems else None
    grade = reg.grade or (proposal.grade if proposal else None)
    if reg.grade is not None:
        _code("grade", reg.grade, profile.grades, problems)
    if proposal and reg.grade not in (None, proposal.grade) and text_problem(reg.grade_override_reason, required=True):
        problems.append(FieldProblem(("gradeOverrideReason",), f"the rules propose grade {proposal.grade}: give the reason for {reg.grade}"))
    received_at = _received_at(reg.received_at, now, problems)
    if problems:
        raise InvalidInputError(problems)
    return Checked(phones, vin, grade, received_at, proposal.grade if proposal else None)


def _phones(raw: list[str], problems: list[FieldProblem]) -> list[str]:
    if not raw:
        problems.append(FieldProblem(("customer", "phones"), "give at least one phone number"))
    phones = []
    for i, value in enumerate(raw):
        try:
            phones.append(normalise_phone(value))
        except ValueError as exc:
            problems.append(FieldProblem(("customer", f"phones[{i}]"), str(exc)))
    return list(dict.fromkeys(phones))


def _texts(reg: Registration, problems: list[FieldProblem]) -> None:
    fields = {
        ("summary",): (reg.summary, True, 500),
        ("details",): (reg.details, True, None),
        ("customer", "name"): (reg.customer.name, True, 200),
        ("customer", "address"): (reg.customer.address, False, 500),
    }
    for path, (value, required, limit) in fields.items():
        problem = text_problem(value, required=required, **({"limit": limit} if limit else {}))
        if problem:
            problems.append(FieldProblem(path, problem))


def _code(name: str, value: str, known: object, problems: list[FieldProblem]) -> None:
    if value not in known:  # type: ignore[operator]
        options = ", ".join(sorted(known))  # type: ignore[call-overload]
        problems.append(FieldProblem((name,), f"unknown {name.split('[')[0].rstrip('s')} '{value}' (known: {options})"))


def _received_at(value: datetime | None, now: datetime, problems: list[FieldProblem]) -> datetime:
    if value is None:
        return now
    if value.tzinfo is None:
        problems.append(FieldProblem(("receivedAt",), "give a time zone offset, e.g. 2026-11-22T09:30:00+08:00"))
        return now
    if value > now + timedelta(minutes=1):
        problems.append(FieldProblem(("receivedAt",), "lies in the future"))
    return value


async def _dealer(caller: Caller, session: AsyncSession, dealer_id: int) -> OrgUnit:
    dealer = await session.get(OrgUnit, dealer_id)
    readable = dealer is not None and caller.authz.check("workorder.read", dealer.path)
    if dealer is None or dealer.kind != "dealer" or not (readable or caller.authz.check("workorder.register", dealer.path)):
        raise InvalidInputError([FieldProblem(("dealerId",), "no dealer with this id that you may register for")])
    caller.authz.require("workorder.register", dealer.path)
    return dealer


def _backdated(caller: Caller, received_at: datetime, now: datetime, path: str) -> None:
    limit = timedelta(hours=caller.profile.backdate_limit_hours)
    if now - received_at > limit and not caller.authz.check("workorder.backdate", path):
        raise NotPermittedError("workorder.backdate")


async def _customer(session: AsyncSession, data: CustomerInput, phones: list[str]) -> tuple[int, Customer | None, list[CustomerPhone]]:
    """The customer who owns one of these numbers, or a new one; new numbers are added to them.
    Returns the customer's id, the customer if new, and the phones added, in the order they are inserted."""
    known = (await session.execute(select(CustomerPhone).where(CustomerPhone.number.in_(phones)))).scalars().all()
    customer = None
    if known:
        customer_id = known[0].customer_id
    else:
        customer = Customer(name=data.name.strip(), address=data.address, postcode=data.postcode)
        session.add(customer)
        await session.flush()
        customer_id = customer.id
    numbers = {p.number for p in known}
    added = [CustomerPhone(customer_id=customer_id, number=n) for n in phones if n not in numbers]
    session.add_all(added)
    return customer_id, customer, added


async def _vehicle(session: AsyncSession, data: VehicleInput | None, vin: str | None, customer_id: int) -> Vehicle | None:
    if data is None or vin is None:
        return None
    vehicle = await session.scalar(select(Vehicle).where(Vehicle.vin == vin))
    if vehicle is None:
        vehicle = Vehicle(
            vin=vin,
            customer_id=customer_id,
            engine_number=data.engine_number,
            plate=data.plate,
            model=data.model,
            purchase_date=data.purchase_date,
            mileage_km=data.mileage_km,
        )
        session.add(vehicle)
        await session.flush()
    elif data.mileage_km is not None:
        vehicle.mileage_km = max(vehicle.mileage_km or 0, data.mileage_km)
    return vehicle


def _order(
    caller: Caller, reg: Registration, checked: Checked, now: datetime, dealer: OrgUnit, customer_id: int, vehicle_id: int | None
) -> WorkOrder:
    profile = caller.profile
    category = profile.categories[reg.category]
    return WorkOrder(
        org_unit_id=dealer.id,
        org_path=dealer.path,
        customer_id=customer_id,
        vehicle_id=vehicle_id,
        profile_version=profile.version,
        channel=reg.channel,
        order_type=category.order_type,
        category=reg.category,
        grade=checked.grade,
        tier=category.routing[0],
        state=profile.workflow.initial,
        received_at=checked.received_at,
        registered_at=now,
        updated_at=now,
        registered_by_id=caller.user_id,
        summary=reg.summary.strip(),
        details=reg.details,
        demands=list(dict.fromkeys(reg.demands)),
        flags=list(dict.fromkeys(reg.flags)),
        involved_staff=sorted(set(reg.involved_staff_ids)),
    )


async def _involved(session: AsyncSession, user_ids: list[int]) -> None:
    known = set((await session.scalars(select(User.id).where(User.id.in_(user_ids)))).all()) if user_ids else set()
    problems = [FieldProblem((f"involvedStaffIds[{i}]",), "no such user") for i, u in enumerate(user_ids) if u not in known]
    if problems:
        raise InvalidInputError(problems)

