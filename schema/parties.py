"""GraphQL types of who an order concerns: the tenant's org units and people, the customer and
their vehicle; and the display label in the tenant's languages. Each wraps a row (see
schema/types.py)."""

from __future__ import annotations

from datetime import date

import strawberry

from schema.context import Context, Soon
from schema.ids import encode
from schema.rows import computed, from_row, global_id
from server.db import models
from server.domain.identifiers import mask_phone
from server.domain.workflow import Label as DomainLabel


@strawberry.type(description="A display label in the tenant's languages.")
class Label:
    zh: str = strawberry.field(description="Simplified Chinese.")
    en: str = strawberry.field(description="English.")

    @classmethod
    def of(cls, label: DomainLabel) -> Label:
        return cls(zh=label.zh, en=label.en)


@strawberry.type(
    description="A node of the tenant's org tree: brand HQ, region, dealer or department."
)
class OrgUnit:
    row: strawberry.Private[models.OrgUnit]

    id: strawberry.ID = global_id("OrgUnit")
    kind: str = from_row("brand, region, dealer or department.")
    code: str = from_row("Short code, unique among its siblings.")
    name: str = from_row("Display name.")
    path: str = from_row("Path from the brand root, e.g. /acme/east/dlr-0231.")
    parent_id: strawberry.ID | None = from_row(
        "The unit above it; none for the brand root.",
        lambda row: encode("OrgUnit", row.parent_id) if row.parent_id is not None else None,
    )
    timezone: str | None = from_row("Its own IANA timezone; none: the unit above's.")
    working_hours: list[str] | None = from_row(
        'Its own working windows, e.g. ["09:00-12:00", "13:30-18:00"] (the gap is the lunch'
        " break); none: the unit above's."
    )
    working_weekdays: list[int] | None = from_row(
        "Its own working weekdays, 0 (Monday) to 6; none: the unit above's."
    )


@strawberry.type(description="A person of the tenant.")
class User:
    row: strawberry.Private[models.User]

    id: strawberry.ID = global_id("User")
    username: str = from_row("Login name.")
    display_name: str = from_row("Name shown to colleagues.")


def soon_user(ctx: Context, user_id: int | None) -> Soon[User | None]:
    if user_id is None:
        return None
    return ctx.loaders.user_by_id.soon(user_id, lambda row: User(row=row) if row else None)


def _phones(customer: Customer) -> Soon[list[str]]:
    shown = (lambda number: number) if customer.unmasked else mask_phone
    return customer.ctx.loaders.phones_by_customer.soon(
        customer.row.id, lambda rows: [shown(p.number) for p in rows]
    )


@strawberry.type(
    description=(
        "The customer who complained. Phones and address are masked unless you hold customer.pii."
    )
)
class Customer:
    row: strawberry.Private[models.Customer]
    ctx: strawberry.Private[Context]
    unmasked: strawberry.Private[bool]

    id: strawberry.ID = global_id("Customer")
    name: str = from_row("Name as given.")
    phones: list[str] = computed(
        "Phone numbers in E.164 form (+8613812345678), masked without customer.pii.", _phones
    )
    address: str | None = computed(
        "Postal address; null when unknown or masked.",
        lambda c: c.row.address if c.unmasked else None,
    )
    postcode: str | None = computed(
        "Postcode; null when unknown or masked.", lambda c: c.row.postcode if c.unmasked else None
    )


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
