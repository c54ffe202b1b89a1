"""registerComplaint: a call-centre operator turns a customer's complaint into a work order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db import upsert
from server.db.models import Customer, CustomerPhone, OrgUnit, Vehicle, WorkOrder
from server.db.session import TENANT
from server.domain.errors import FieldProblem, InvalidInputError, NotPermittedError
from server.services import (
    alerts,
    calls,
    clocks,
    escalation,
    grade_routing,
    references,
    repeats,
    written_reports,
)
from server.services.caller import Caller
from server.services.history import record
from server.services.intake import Checked, CustomerInput, Registration, VehicleInput, check
from server.services.numbering import next_number


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


async def register_complaint(caller: Caller, reg: Registration) -> Registered:
    now = caller.clock()
    checked = check(caller, reg, now)
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
        by_grade = grade_routing.route(
            caller.profile, order, order.grade, by=caller.user_id, at=now
        )
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
        if owed := await written_reports.create_for(session, caller.tenant, order, now):
            data["written_reports"] = owed
        await calls.evaluate(
            session, caller.tenant, order, caller.user_id, now, order.details, counts={}
        )  # no calls yet
        await record(
            session, order, caller.user_id, now, "registered", to_state=order.state, data=data
        )
        moves = ([routed] if repeat is not None else []) + ([by_grade] if by_grade else [])
        if moves:
            await escalation.record(session, caller.tenant, moves, now)
    return Registered(order, dealer, new_customer, new_phones if new_customer else [], vehicle)


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
        statement = upsert.made_once(upsert.dialect_of(session), "customer phone", _new_phone)
        phone = await session.scalar(statement, values)
        if phone is not None:
            added.append(phone)
    return added


def _new_phone(insert: Callable[[Any], Any]) -> Any:
    return insert(CustomerPhone).on_conflict_do_nothing().returning(CustomerPhone)


def _new_vehicle(insert: Callable[[Any], Any]) -> Any:
    return insert(Vehicle).on_conflict_do_nothing().returning(Vehicle)


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
    statement = upsert.made_once(upsert.dialect_of(session), "vehicle", _new_vehicle)
    inserted: Vehicle | None = await session.scalar(statement, values)
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
