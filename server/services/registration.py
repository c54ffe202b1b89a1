"""registerComplaint: a call-centre operator turns a customer's complaint into a work order."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import Customer, CustomerPhone, OrgUnit, Vehicle, WorkOrder
from server.db.session import TENANT
from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError, NotPermittedError
from server.domain.grading import Proposal
from server.domain.identifiers import normalise_phone, normalise_vin
from server.domain.text import text_problem
from server.profiles import Profile
from server.services import alerts, calls, clocks, escalation, references, repeats
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
    grade_override_reason: str | None = (
        None  # required when `grade` differs from what the rules propose
    )
    repeat_of_id: int | None = (
        None  # the operator links this complaint to an earlier order on the issue
    )
    involved_staff_ids: list[int] = field(
        default_factory=list
    )  # named in the complaint: never its handlers


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
        dealer, linked = await _references(caller, session, reg)
        _backdated(caller, checked.received_at, now, dealer.path)
        customer_id, new_customer, new_phones = await _customer(
            session, reg.customer, checked.phones
        )
        vehicle = await _vehicle(session, reg.vehicle, checked.vin, customer_id)
        vehicle_id = vehicle.id if vehicle else None
        repeat = await repeats.find(
            session, caller, reg.category, customer_id, vehicle_id, checked.received_at, linked
        )
        order = _order(caller, reg, checked, now, dealer, customer_id, vehicle_id)
        if repeat is not None:
            order.repeat_of_id, order.repeat_number = repeat.prior.id, repeat.number
            routed = repeats.route_up(caller, order, repeat, now)
        order.number = await next_number(
            session, caller.profile.number_prefix, caller.profile.timezone, now
        )
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
            data["repeat_of"] = {
                "number": repeat.prior.number,
                "complaint": repeat.number,
                "tier": order.tier,
            }
        if checked.proposed_grade != order.grade:
            data["grade_override"] = {
                "proposed": checked.proposed_grade,
                "chosen": order.grade,
                "reason": reg.grade_override_reason,
            }
        await alerts.raise_for(session, caller.tenant, order, now)
        await calls.evaluate(
            session, caller.tenant, order, caller.user_id, now, order.details, counts={}
        )  # no calls yet
        await record(
            session, order, caller.user_id, now, "registered", to_state=order.state, data=data
        )
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
        if problem := bounds.range_problem(reg.vehicle.mileage_km or 0, 0, bounds.MILEAGE_KM_MAX):
            problems.append(FieldProblem(("vehicle", "mileageKm"), problem))
    _texts(reg, problems)
    _code("channel", reg.channel, profile.channels, problems)
    _intake_codes(profile, reg.category, reg.flags, reg.demands, problems)
    category = profile.categories.get(reg.category)
    if category is not None and not category.routing:
        problems.append(
            FieldProblem(
                ("category",), f"category '{reg.category}' is reached by regrading, not at intake"
            )
        )
    proposal = (
        profile.propose_grade(reg.category, reg.flags, reg.demands)
        if category and not problems
        else None
    )
    grade = reg.grade or (proposal.grade if proposal else None)
    if reg.grade is not None:
        _code("grade", reg.grade, profile.grades, problems)
    if (
        proposal
        and reg.grade not in (None, proposal.grade)
        and text_problem(reg.grade_override_reason, required=True)
    ):
        problems.append(
            FieldProblem(
                ("gradeOverrideReason",),
                f"the rules propose grade {proposal.grade}: give the reason for {reg.grade}",
            )
        )
    received_at = _received_at(reg.received_at, now, problems)
    if problems:
        raise InvalidInputError(problems)
    return Checked(phones, vin, grade, received_at, proposal.grade if proposal else None)


def propose_grade(caller: Caller, category: str, flags: list[str], demands: list[str]) -> Proposal:
    """What the profile's grading rules propose for an intake, before it is registered; a code the
    profile does not know is refused naming its field, as registering would refuse it."""
    problems: list[FieldProblem] = []
    _intake_codes(caller.profile, category, flags, demands, problems)
    if problems:
        raise InvalidInputError(problems)
    return caller.profile.propose_grade(category, flags, demands)


def _intake_codes(
    profile: Profile,
    category: str,
    flags: list[str],
    demands: list[str],
    problems: list[FieldProblem],
) -> None:
    _code("category", category, profile.categories, problems)
    for i, demand in enumerate(demands):
        _code(f"demands[{i}]", demand, profile.demands, problems)
    for i, flag in enumerate(flags):
        _code(f"flags[{i}]", flag, profile.flags, problems)


def _phones(raw: list[str], problems: list[FieldProblem]) -> list[str]:
    if not raw:
        problems.append(FieldProblem(("customer", "phones"), "give at least one phone number"))
    if len(raw) > bounds.PHONES_PER_CUSTOMER:
        limit = bounds.PHONES_PER_CUSTOMER
        problems.append(FieldProblem(("customer", "phones"), f"give at most {limit} phone numbers"))
        return []
    phones = []
    for i, value in enumerate(raw):
        try:
            phones.append(normalise_phone(value))
        except ValueError as exc:
            problems.append(FieldProblem(("customer", f"phones[{i}]"), str(exc)))
    return list(dict.fromkeys(phones))


def _texts(reg: Registration, problems: list[FieldProblem]) -> None:
    """Every text of the registration against its column's bound; the short ones are one line."""
    vehicle = reg.vehicle or VehicleInput(vin="")
    fields = {
        ("summary",): (reg.summary, True, bounds.SUMMARY, False),
        ("details",): (reg.details, True, bounds.TEXT, False),
        ("customer", "name"): (reg.customer.name, True, bounds.NAME, True),
        ("customer", "address"): (reg.customer.address, False, bounds.ADDRESS, False),
        ("customer", "postcode"): (reg.customer.postcode, False, bounds.POSTCODE, True),
        ("vehicle", "engineNumber"): (vehicle.engine_number, False, bounds.ENGINE_NUMBER, True),
        ("vehicle", "plate"): (vehicle.plate, False, bounds.PLATE, True),
        ("vehicle", "model"): (vehicle.model, False, bounds.MODEL, True),
    }
    for path, (value, required, limit, one_line) in fields.items():
        if problem := text_problem(value, required=required, limit=limit, one_line=one_line):
            problems.append(FieldProblem(path, problem))


def _code(name: str, value: str, known: Collection[str], problems: list[FieldProblem]) -> None:
    if value not in known:
        options = ", ".join(sorted(known))
        problems.append(
            FieldProblem(
                (name,), f"unknown {name.split('[')[0].rstrip('s')} '{value}' (known: {options})"
            )
        )


def _received_at(value: datetime | None, now: datetime, problems: list[FieldProblem]) -> datetime:
    if value is None:
        return now
    if problem := bounds.past_instant_problem(value, now):
        problems.append(FieldProblem(("receivedAt",), problem))
        return now
    return value


async def _references(
    caller: Caller, session: AsyncSession, reg: Registration
) -> tuple[OrgUnit, WorkOrder | None]:
    """The dealer and the linked earlier order, with every unknown id among them and the staff
    named reported at once, before anything is written."""
    problems: list[FieldProblem] = []
    dealer = await references.find(session, caller, references.DEALER, reg.dealer_id)
    if dealer is None:
        problems.append(references.unknown(references.DEALER, "dealerId"))
    linked = None
    if reg.repeat_of_id is not None:
        linked = await references.find(session, caller, references.ORDER, reg.repeat_of_id)
        if linked is None:
            problems.append(references.unknown(references.ORDER, "repeatOfId"))
    for i, user_id in enumerate(reg.involved_staff_ids):
        if await references.find(session, caller, references.USER, user_id) is None:
            problems.append(references.unknown(references.USER, f"involvedStaffIds[{i}]"))
    if problems or dealer is None:
        raise InvalidInputError(problems)
    caller.authz.require("workorder.register", dealer.path)
    return dealer, linked


def _backdated(caller: Caller, received_at: datetime, now: datetime, path: str) -> None:
    limit = timedelta(hours=caller.profile.backdate_limit_hours)
    if now - received_at > limit and not caller.authz.check("workorder.backdate", path):
        raise NotPermittedError("workorder.backdate")


async def _customer(
    session: AsyncSession, data: CustomerInput, phones: list[str]
) -> tuple[int, Customer | None, list[CustomerPhone]]:
    """The customer who owns one of these numbers, or a new one; new numbers are added to them.
    Returns the customer's id, the customer if new, and the phones added, in their order.

    Two registrations giving the same new number at once must end with one customer: the new
    customer and its numbers go in under a savepoint, and when another transaction has just taken
    one of the numbers, the savepoint is undone and the number's owner is found again."""
    while True:
        owned = select(CustomerPhone).where(CustomerPhone.number.in_(phones))
        known = (await session.scalars(owned)).all()
        if known:
            numbers = {p.number for p in known}
            customer_id = known[0].customer_id
            added = await _add_phones(session, customer_id, [n for n in phones if n not in numbers])
            return customer_id, None, added
        savepoint = await session.begin_nested()
        customer = Customer(name=data.name.strip(), address=data.address, postcode=data.postcode)
        session.add(customer)
        await session.flush()
        added = await _add_phones(session, customer.id, phones)
        if len(added) == len(phones):
            await savepoint.commit()
            return customer.id, customer, added
        await savepoint.rollback()


async def _add_phones(
    session: AsyncSession, customer_id: int, numbers: list[str]
) -> list[CustomerPhone]:
    """Each number not yet anyone's, given to the customer; a number taken meanwhile is skipped
    (on PostgreSQL the insert waits for the transaction that took it, then skips it)."""
    added = []
    for number in numbers:
        values = {"tenant_id": session.info[TENANT], "customer_id": customer_id, "number": number}
        statement = upsert.insert(session, CustomerPhone).values(**values).on_conflict_do_nothing()
        phone = await session.scalar(statement.returning(CustomerPhone))
        if phone is not None:
            added.append(phone)
    return added


async def _vehicle(
    session: AsyncSession, data: VehicleInput | None, vin: str | None, customer_id: int
) -> Vehicle | None:
    """The vehicle with this VIN, added when new (by whichever of two simultaneous registrations
    comes first); a mileage reported higher than the known one updates it."""
    if data is None or vin is None:
        return None
    values = {
        "tenant_id": session.info[TENANT],
        "vin": vin,
        "customer_id": customer_id,
        "engine_number": data.engine_number,
        "plate": data.plate,
        "model": data.model,
        "purchase_date": data.purchase_date,
        "mileage_km": data.mileage_km,
    }
    statement = upsert.insert(session, Vehicle).values(**values).on_conflict_do_nothing()
    inserted: Vehicle | None = await session.scalar(statement.returning(Vehicle))
    if inserted is not None:
        return inserted
    vehicle = (await session.scalars(select(Vehicle).where(Vehicle.vin == vin))).one()
    if data.mileage_km is not None:
        vehicle.mileage_km = max(vehicle.mileage_km or 0, data.mileage_km)
    return vehicle


def _order(
    caller: Caller,
    reg: Registration,
    checked: Checked,
    now: datetime,
    dealer: OrgUnit,
    customer_id: int,
    vehicle_id: int | None,
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
