"""The declarative base every table maps onto, the tenant-ownership marker and the key
type of large tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, MetaData, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from server.db.types import UtcDateTime

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys for large tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }
    # Each model maps one declared table (SQLAlchemy types it as any FromClause, a join or select).
    __table__: ClassVar[Table]


class TenantOwned:
    """Marks a table whose rows belong to one tenant; server/db/session.py scopes every query on
    it."""

    tenant_id: Mapped[int] = mapped_column(ForeignKey("tenants.id"))
