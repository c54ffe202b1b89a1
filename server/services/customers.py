"""Finding a customer at intake: the operator types the number that is calling, and the portal
fills in who it is, their vehicles, and their orders that are open or recent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from server.db.models import Customer, CustomerPhone, Vehicle, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError, NotPermittedError
from server.domain.identifiers import normalise_phone
from server.services import queries, visibility
from server.services.caller import Caller


@dataclass(frozen=True)
class Found:
    customer: Customer
    vehicles: list[Vehicle]
    orders: list[
        WorkOrder
    ]  # open or recent, of those the caller may see: link a repeat, don't duplicate
    unmasked: bool  # whether the caller may read the customer's phones and address


async def find_by_phone(caller: Caller, phone: str) -> Found | None:
    """Customers belong to the whole tenant, so only those who register complaints look them up."""
    if not caller.authz.scopes("workorder.register"):
        raise NotPermittedError("workorder.register")
    try:
        number = normalise_phone(phone)
    except ValueError as exc:
        raise InvalidInputError([FieldProblem(("phone",), str(exc))]) from exc
    async with caller.db.read() as session:
        customer = await session.scalar(
            select(Customer)
            .join(CustomerPhone, CustomerPhone.customer_id == Customer.id)
            .where(CustomerPhone.number == number)
        )
        if customer is None:
            return None
        vehicles = list(
            (
                await session.scalars(
                    select(Vehicle).where(Vehicle.customer_id == customer.id).order_by(Vehicle.id)
                )
            ).all()
        )
    orders = await queries.possible_duplicates(caller, [number], None)
    unmasked = visibility.sees_customer_found(caller, customer.id)
    return Found(customer, vehicles, orders, unmasked)
