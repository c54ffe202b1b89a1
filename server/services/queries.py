"""Reading work orders: one order, a filtered page, and the batch look-ups behind GraphQL's loaders.

Every read is limited to what the caller may see: the subtrees where they hold workorder.read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    exists,
    false,
    func,
    inspect,
    or_,
    select,
    true,
)

from server.db import lookups
from server.db.among import among
from server.db.models import (
    ContactAttempt,
    Customer,
    CustomerCall,
    CustomerPhone,
    OrgUnit,
    User,
    Vehicle,
    WarningSlip,
    WorkOrder,
    WorkOrderClock,
    WorkOrderEvent,
)
from server.domain import bounds
from server.domain.errors import FieldProblem, InvalidInputError
from server.domain.workflow import Meaning, State
from server.profiles import Profile
from server.services import references
from server.services.caller import Caller
from server.services.tenancy import TenantRuntime

T = TypeVar("T")
Ts = TypeVarTuple("Ts")

MAX_PAGE = 100
DUPLICATE_DAYS = 30  # a closed order this recent is still worth showing the operator


@dataclass
class OrderFilter:
    states: list[str] | None = None
    grades: list[str] | None = None
    categories: list[str] | None = None
    channels: list[str] | None = None
    org_unit_id: int | None = None  # a dealer or a region: everything below it
    registered_from: datetime | None = None
    registered_to: datetime | None = None
    assignee_id: int | None = None
    text: str | None = None
    due_soon: bool = False  # a running clock is inside its warning window
    breached: bool = False  # a running clock is past its deadline
    pending_matters: bool = False  # in a state that means pending matters (未了事宜)


# A page's orders come back as rows, read by attribute like the mapped objects: making ~50 wide
# mapped instances cost a worklist request more CPU than its statement (bench/README.md). The
# statement stays an ORM one, so the tenant filter of server/db/session.py still applies.
# Built once: selecting 35 columns coerces each of them again on every call.
_ORDER_ROWS: Select[*tuple[Any, ...]] = select(
    *(attribute.class_attribute for attribute in inspect(WorkOrder).column_attrs)
)


@dataclass
class Page(Generic[T]):
    orders: list[T]
    has_next: bool


def visible(
    caller: Caller, permission: str = "workorder.read", column: Any = WorkOrder.org_path
) -> ColumnElement[bool]:
    """Rows whose org path `column` lies where the caller holds `permission`."""
    scopes = caller.authz.scopes(permission)
    if not scopes:
        return false()
    if f"/{caller.tenant.slug}" in scopes:
        return true()  # the tenant's root holds every order: a path condition would only cost
    return or_(*(subtree(s, column) for s in scopes))


def subtree(path: str, column: Any = WorkOrder.org_path) -> ColumnElement[bool]:
    """Rows at `path` or below it, in forms ix_work_orders_scope serves in a generic plan too (a
    LIKE whose pattern is a parameter it cannot). Path segments are [a-z0-9-] and '0' follows '/',
    so the range holds exactly the subtree; on PostgreSQL org_path has the "C" collation, so the
    comparison is by bytes in every locale."""
    return or_(column == path, and_(column >= path + "/", column < path + "0"))


async def get_order(caller: Caller, order_id: int) -> WorkOrder:
    return await references.in_scope(caller, references.ORDER, order_id)


async def list_orders(
    caller: Caller, where: OrderFilter, first: int, after: int | None
) -> Page[Row[Any]]:
    check_page(first, where)
    async with caller.db.read() as session:
        query = await order_page(session, caller, where, first, after)
        rows = list((await session.execute(query)).all())
    return Page(rows[:first], len(rows) > first)


def check_page(first: int, where: OrderFilter) -> None:
    """Refuses a page size out of range or an instant out of bounds (InvalidInputError)."""
    if not 0 < first <= MAX_PAGE:
        raise InvalidInputError(
            [FieldProblem(("first",), f"ask for 1 to {MAX_PAGE} orders a page")]
        )
    check_instants(where)


async def order_page(
    session: Any, caller: Caller, where: OrderFilter, first: int, after: int | None
) -> Select[*tuple[Any, ...]]:
    """The statement of a page of orders and the one after it (first + 1 rows, newest first):
    the interpreted list's, and the rows a compiled read builds its JSON from
    (server/services/compiled_reads.py)."""
    query = _ORDER_ROWS.where(visible(caller)).order_by(WorkOrder.id.desc()).limit(first + 1)
    if after is not None:
        query = query.where(WorkOrder.id < after)
    query = sla_filtered(caller, query, where)
    return await filtered(session, query, where)


def sla_filtered(caller: Caller, query: Select[*Ts], f: OrderFilter) -> Select[*Ts]:
    now = caller.clock()
    running = (WorkOrderClock.work_order_id == WorkOrder.id) & WorkOrderClock.stopped_at.is_(None)
    running &= WorkOrderClock.running_since.is_not(None)
    if f.breached:
        query = query.where(exists().where(running, WorkOrderClock.due_at <= now))
    if f.due_soon:
        query = query.where(
            exists().where(running, WorkOrderClock.warn_at <= now, WorkOrderClock.due_at > now)
        )
    if f.pending_matters:
        query = query.where(in_states(caller.tenant, lambda s: s.meaning is Meaning.PENDING))
    return query


def in_states(tenant: TenantRuntime, keep: Callable[[State], bool]) -> ColumnElement[bool]:
    """Orders whose state `keep` holds for as their own profile version defines it: a newer
    version may have renamed the state or changed its meaning, and an unmigrated order keeps its
    version's. One condition for the versions that agree with the one in force (also any version
    not stored, which profile_of runs by the one in force), one per version that differs."""

    def names(profile: Profile) -> list[str]:
        return sorted(s.name for s in profile.workflow.states if keep(s))

    current = names(tenant.profile)
    others = {v: kept for v, p in tenant.versions.items() if (kept := names(p)) != current}
    if not others:
        return WorkOrder.state.in_(current)
    return or_(
        and_(WorkOrder.state.in_(current), WorkOrder.profile_version.not_in(sorted(others))),
        *(
            and_(WorkOrder.profile_version == version, WorkOrder.state.in_(kept))
            for version, kept in sorted(others.items())
        ),
    )


def check_instants(where: OrderFilter) -> None:
    bounds_given = (
        ("registeredFrom", where.registered_from),
        ("registeredTo", where.registered_to),
    )
    problems = [
        FieldProblem(("filter", field), problem)
        for field, value in bounds_given
        if value is not None and (problem := bounds.instant_problem(value))
    ]
    if problems:
        raise InvalidInputError(problems)


async def filtered(session: Any, query: Select[*Ts], f: OrderFilter) -> Select[*Ts]:
    for column, values in (
        (WorkOrder.state, f.states),
        (WorkOrder.grade, f.grades),
        (WorkOrder.category, f.categories),
        (WorkOrder.channel, f.channels),
    ):
        if values:
            query = query.where(column.in_(values))
    if f.org_unit_id is not None:
        path = await session.scalar(select(OrgUnit.path).where(OrgUnit.id == f.org_unit_id))
        query = query.where(false() if path is None else subtree(path))
    if f.registered_from is not None:
        query = query.where(WorkOrder.registered_at >= f.registered_from)
    if f.registered_to is not None:
        query = query.where(WorkOrder.registered_at < f.registered_to)
    if f.assignee_id is not None:
        query = query.where(
            or_(
                WorkOrder.primary_handler_id == f.assignee_id,
                WorkOrder.secondary_handler_id == f.assignee_id,
            )
        )
    if f.text:
        query = query.where(WorkOrder.summary.contains(f.text, autoescape=True))
    return query


async def _by_ids(caller: Caller, model: Any, ids: Sequence[int]) -> list[Row[Any] | None]:
    async with caller.db.read() as session:
        rows = {row.id: row for row in await lookups.rows(session, model.id, set(ids))}
    return [rows.get(i) for i in ids]


async def orders(caller: Caller, ids: Sequence[int]) -> list[WorkOrder | None]:
    """Orders by id, limited to what the caller may see (a link may point outside their scope)."""
    async with caller.db.read() as session:
        rows = {
            o.id: o
            for o in (
                await session.scalars(
                    select(WorkOrder).where(among(session, WorkOrder.id, set(ids)), visible(caller))
                )
            ).all()
        }
    return [rows.get(i) for i in ids]


async def org_units(caller: Caller, ids: Sequence[int]) -> list[OrgUnit | None]:
    """From the tenant's runtime, which holds the org tree: no statement."""
    return [caller.tenant.units.get(i) for i in ids]


async def users(caller: Caller, ids: Sequence[int]) -> list[Row[Any] | None]:
    return await _by_ids(caller, User, ids)


async def customers(caller: Caller, ids: Sequence[int]) -> list[Row[Any] | None]:
    return await _by_ids(caller, Customer, ids)


async def vehicles(caller: Caller, ids: Sequence[int]) -> list[Row[Any] | None]:
    return await _by_ids(caller, Vehicle, ids)


async def _grouped(caller: Caller, key: Any, ids: Sequence[int]) -> list[list[Row[Any]]]:
    """The rows whose `key` column is each of `ids`, in the order they were written."""
    async with caller.db.read() as session:
        rows = await lookups.rows(session, key, set(ids))
    groups: dict[int, list[Row[Any]]] = {i: [] for i in ids}
    for row in rows:
        groups[getattr(row, key.key)].append(row)
    return [groups[i] for i in ids]


async def phones(caller: Caller, customer_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, CustomerPhone.customer_id, customer_ids)


async def histories(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, WorkOrderEvent.work_order_id, order_ids)


async def contact_attempts(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, ContactAttempt.work_order_id, order_ids)


async def last_events(caller: Caller, order_ids: Sequence[int]) -> list[Row[Any] | None]:
    async with caller.db.read() as session:
        rows = {
            e.work_order_id: e
            for e in await lookups.newest(session, WorkOrderEvent.work_order_id, set(order_ids))
        }
    return [rows.get(i) for i in order_ids]


async def clocks(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, WorkOrderClock.work_order_id, order_ids)


async def slips(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, WarningSlip.work_order_id, order_ids)


async def calls(caller: Caller, order_ids: Sequence[int]) -> list[list[Row[Any]]]:
    return await _grouped(caller, CustomerCall.work_order_id, order_ids)


async def possible_duplicates(
    caller: Caller, phones: list[str], vin: str | None, exclude: int | None = None
) -> list[WorkOrder]:
    """Open or recent orders of the same customer (by phone) or vehicle (by VIN), for the operator
    to link a repeat instead of registering a duplicate."""
    recent = caller.clock() - timedelta(days=DUPLICATE_DAYS)
    same = [
        WorkOrder.customer_id.in_(
            select(CustomerPhone.customer_id).where(CustomerPhone.number.in_(phones))
        )
    ]
    if vin:
        same.append(WorkOrder.vehicle_id.in_(select(Vehicle.id).where(Vehicle.vin == vin)))
    query = (
        select(WorkOrder)
        .where(
            visible(caller),
            or_(*same),
            or_(~in_states(caller.tenant, lambda s: s.final), WorkOrder.registered_at >= recent),
        )
        .order_by(WorkOrder.id.desc())
        .limit(10)
    )
    if exclude is not None:
        query = query.where(WorkOrder.id != exclude)
    async with caller.db.read() as session:
        return list((await session.scalars(query)).all())


async def count_by_state(caller: Caller, where: OrderFilter) -> dict[str, int]:
    """How many of the orders the caller may see match `where`, per state."""
    query = select(WorkOrder.state, func.count()).where(visible(caller)).group_by(WorkOrder.state)
    query = sla_filtered(caller, query, where)
    async with caller.db.read() as session:
        query = await filtered(session, query, where)
        return dict((await session.execute(query)).all())
