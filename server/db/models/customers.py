"""The customers who complain, their phones and their vehicles."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, BigId, TenantOwned
from server.domain import bounds


class Customer(TenantOwned, Base):
    __tablename__ = "customers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(bounds.NAME))
    address: Mapped[str | None] = mapped_column(String(bounds.ADDRESS))
    postcode: Mapped[str | None] = mapped_column(String(bounds.POSTCODE))


class CustomerPhone(TenantOwned, Base):
    """Phones in E.164; one number belongs to one customer of a tenant, which is how callers are
    found."""

    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("tenant_id", "number"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    number: Mapped[str] = mapped_column(String(bounds.PHONE))


class Vehicle(TenantOwned, Base):
    __tablename__ = "vehicles"
    __table_args__ = (
        UniqueConstraint("tenant_id", "vin"),
        Index("ix_vehicles_customer", "tenant_id", "customer_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    vin: Mapped[str] = mapped_column(String(17))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    engine_number: Mapped[str | None] = mapped_column(String(bounds.ENGINE_NUMBER))
    plate: Mapped[str | None] = mapped_column(String(bounds.PLATE))
    model: Mapped[str | None] = mapped_column(String(bounds.MODEL))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    mileage_km: Mapped[int | None]


class CustomerAccess(TenantOwned, Base):
    """The access log: one unmasked read of a customer by someone whose reads the policy has
    logged (customer.pii.logged). Appended only; read by the tenant admin. Holds ids, never the
    phones or address that were shown."""

    __tablename__ = "customer_access"
    __table_args__ = (Index("ix_customer_access_tenant", "tenant_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    work_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("work_orders.id")
    )  # None: found by phone at intake
