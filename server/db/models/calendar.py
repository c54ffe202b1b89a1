"""The business calendar: holidays, make-up days and the years whose official calendar is
loaded."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db.models.base import Base, TenantOwned


class CalendarDay(TenantOwned, Base):
    """A statutory holiday or make-up working day (from the holiday library), or a tenant's
    correction."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday, workday
    source: Mapped[str] = mapped_column(String(20))  # statutory, tenant
    note: Mapped[str | None] = mapped_column(String(200))


class CalendarYear(TenantOwned, Base):
    """A year whose official calendar is loaded: deadlines in other years are never guessed."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"), primary_key=True)
    source: Mapped[str] = mapped_column(String(40))
    loaded_at: Mapped[datetime]
