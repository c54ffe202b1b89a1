"""Intake aids: who is calling, looked up by the number they call from."""

from __future__ import annotations

from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import NotPermitted, ValidationError, answer
from schema.parties import Customer, Vehicle
from schema.types import WorkOrder
from server.services import customers


@strawberry.type(
    description=(
        "What is known of a calling number: the customer (null when it is new), "
        "their vehicles and orders."
    )
)
class CustomerLookup:
    customer: Customer | None = strawberry.field(
        description="The customer with this phone number; null for a first-time caller."
    )
    vehicles: list[Vehicle] = strawberry.field(description="Their vehicles, oldest first.")
    orders: list[WorkOrder] = strawberry.field(
        description=(
            "Their open or recent orders that you may see, newest first: "
            "link a repeat instead of registering a duplicate."
        )
    )


CustomerLookupResult = Annotated[
    CustomerLookup | ValidationError | NotPermitted,
    strawberry.union("CustomerLookupResult", description="The lookup, or why it was refused."),
]


@strawberry.type(description="Intake aids.")
class IntakeQuery:
    @strawberry.field(
        description=(
            "The customer calling from this number, for the intake form (needs workorder.register)."
        )
    )
    async def customer_lookup(
        self,
        info: Info,
        phone: Annotated[
            str,
            strawberry.argument(
                description="The calling number in any usual format, e.g. 138 1234 5678."
            ),
        ],
    ) -> CustomerLookupResult:
        async def run() -> CustomerLookup:
            found = await customers.find_by_phone(info.context.caller, phone)
            if found is None:
                return CustomerLookup(customer=None, vehicles=[], orders=[])
            return CustomerLookup(
                customer=Customer(row=found.customer, ctx=info.context, unmasked=found.unmasked),
                vehicles=[Vehicle(row=v) for v in found.vehicles],
                orders=[WorkOrder(row=o, ctx=info.context) for o in found.orders],
            )

        return await answer(run, ValidationError, NotPermitted)
