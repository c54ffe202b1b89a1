"""The ids a use case accepts, resolved inside the caller's tenant and scope: `find` is the one
look-up every mutation's ids go through, so an id of another tenant, one outside the caller's scope
and one of nothing at all are answered alike, before anything is written.

The rule (frontend-contract/ERRORS.md): the id of the object a mutation acts on answers
NotFoundError; an id the input refers to (a dealer, a handler, an earlier order, ...) answers
InvalidInputError naming its field, with the same sentence whatever the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from server.db.models import (
    OrgUnit,
    Revisit,
    RoleAssignment,
    User,
    WarningSlip,
    WorkOrder,
    WrittenReport,
)
from server.domain.errors import DomainError, FieldProblem, InvalidInputError, NotFoundError
from server.services.caller import Caller

R = TypeVar("R")


@dataclass(frozen=True)
class Kind(Generic[R]):
    """What an id may name: its noun in messages, its key column, the statement reading the row with
    the org path(s) it lies at, and the permissions of which the caller must hold one there to see
    it (none: everyone of the tenant sees it)."""

    noun: str
    key: InstrumentedAttribute[int]
    statement: Select[R, str]  # the path is None where an outer join finds no grant
    scope: tuple[str, ...] = ()


READ = ("workorder.read",)
ORDER: Kind[WorkOrder] = Kind(
    "work order", WorkOrder.id, select(WorkOrder, WorkOrder.org_path), READ
)
SLIP: Kind[WarningSlip] = Kind(
    "warning slip",
    WarningSlip.id,
    select(WarningSlip, WorkOrder.org_path).join(
        WorkOrder, WorkOrder.id == WarningSlip.work_order_id
    ),
    READ,
)
# A written report lies at its order's dealer; who may read the order sees it.
WRITTEN_REPORT: Kind[WrittenReport] = Kind(
    "written report",
    WrittenReport.id,
    select(WrittenReport, WorkOrder.org_path).join(
        WorkOrder, WorkOrder.id == WrittenReport.work_order_id
    ),
    READ,
)
# A revisit lies at its order's dealer; who may read revisits there sees it.
REVISIT: Kind[Revisit] = Kind(
    "revisit", Revisit.id, select(Revisit, Revisit.org_path), ("revisit.read",)
)
# Registering for a dealer needs no sight of its orders (the call centre registers for every one).
DEALER: Kind[OrgUnit] = Kind(
    "dealer",
    OrgUnit.id,
    select(OrgUnit, OrgUnit.path).where(OrgUnit.kind == "dealer"),
    ("workorder.read", "workorder.register"),
)
# An org unit a board, a stream or the directory is narrowed to: one the caller reads orders at
# or keeps the tree of. A dealer's people do not learn the ids of other dealers.
ORG_UNIT: Kind[OrgUnit] = Kind(
    "org unit", OrgUnit.id, select(OrgUnit, OrgUnit.path), ("workorder.read", "tenant.org")
)
# A user lies where they hold a role: one row per grant (a null path for a user who holds none).
_USERS = select(User, RoleAssignment.org_path).outerjoin(
    RoleAssignment, RoleAssignment.user_id == User.id
)
# Anyone of the tenant: whom an order may name (handlers, staff involved, a slip's result handler).
USER: Kind[User] = Kind("user", User.id, _USERS)
# Someone working where the caller reads orders: whose own record the caller may change.
COLLEAGUE: Kind[User] = Kind("user", User.id, _USERS, READ)


async def find(
    session: AsyncSession,
    caller: Caller,
    kind: Kind[R],
    key: int,
    *,
    lock: bool = False,
) -> R | None:
    """The row with this id in the caller's tenant (the session adds the tenant's filter, row-level
    security backs it), provided the caller holds one of the kind's scope permissions where it
    lies."""
    statement = kind.statement.where(kind.key == key)
    if lock:
        statement = statement.with_for_update(of=kind.key.class_)
    rows = (await session.execute(statement)).all()
    if not rows:
        return None
    if not sees(caller, kind, [path for _, path in rows if path is not None]):
        return None
    return rows[0][0]


def sees(caller: Caller, kind: Kind[Any], paths: list[str]) -> bool:
    """Whether the caller holds one of the kind's scope permissions where the object lies."""
    return not kind.scope or any(caller.authz.check(p, path) for path in paths for p in kind.scope)


async def in_scope(caller: Caller, kind: Kind[R], key: int) -> R:
    """`resolve` for a query's or a subscription's argument, in the caller's read session."""
    async with caller.db.read() as session:
        return await resolve(session, caller, kind, key)


def missing(kind: Kind[Any], key: int | str, field: str | None = None) -> DomainError:
    """The refusal for an id that names nothing the caller may see: NotFoundError for the target,
    InvalidInputError naming `field` for a reference."""
    if field is None:
        return NotFoundError(kind.noun, str(key))
    return InvalidInputError([unknown(kind, field)])


def unknown(kind: Kind[Any], field: str | tuple[str, ...]) -> FieldProblem:
    path = (field,) if isinstance(field, str) else field
    return FieldProblem(path, f"no {kind.noun} with this id is visible to you")


async def resolve(
    session: AsyncSession,
    caller: Caller,
    kind: Kind[R],
    key: int,
    *,
    lock: bool = False,
) -> R:
    """`find` for the object a use case acts on: NotFoundError when it finds nothing."""
    found = await find(session, caller, kind, key, lock=lock)
    if found is None:
        raise missing(kind, key)
    return found
