"""The customer access log in GraphQL: who read which customer unmasked, for the tenant admin.
Entries name ids only; the phones and address that were shown are never copied into it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from schema.context import Info
from schema.errors import NotPermitted, ValidationError, answer
from schema.ids import encode
from schema.queries import PageSize
from server.services import customer_access


@strawberry.type(description="One unmasked read of a customer, as the access log records it.")
class CustomerAccessEntry:
    at: datetime = strawberry.field(description="When.")
    user_id: strawberry.ID = strawberry.field(description="Who read it (a User's id).")
    customer_id: strawberry.ID = strawberry.field(description="Whose details were shown.")
    work_order_id: strawberry.ID | None = strawberry.field(
        description="The order it was read through; null: found by phone at intake."
    )


@strawberry.type(description="The latest unmasked reads of customers, newest first.")
class CustomerAccessLog:
    entries: list[CustomerAccessEntry] = strawberry.field(description="The reads.")


CustomerAccessLogResult = Annotated[
    CustomerAccessLog | ValidationError | NotPermitted,
    strawberry.union("CustomerAccessLogResult", description="The latest reads, or why not."),
]


@strawberry.type
class CustomerAccessQuery:
    @strawberry.field(
        description=(
            "The latest unmasked reads of customers by people whose reads the policy logs"
            " (customer.pii.logged): customer.access.read at the root."
        )
    )
    async def customer_access_log(
        self, info: Info, first: PageSize = 20
    ) -> CustomerAccessLogResult:
        async def run() -> CustomerAccessLog:
            rows = await customer_access.latest(info.context.caller, first)
            return CustomerAccessLog(
                entries=[
                    CustomerAccessEntry(
                        at=r.at,
                        user_id=encode("User", r.user_id),
                        customer_id=encode("Customer", r.customer_id),
                        work_order_id=encode("WorkOrder", r.work_order_id)
                        if r.work_order_id is not None
                        else None,
                    )
                    for r in rows
                ]
            )

        return await answer(run, ValidationError, NotPermitted)
