"""Floor for both operations: bare Starlette endpoints that verify the same bearer token and issue
the statements the real request issues, through the same driver (asyncpg under an SQLAlchemy
AsyncSession), building the JSON by hand. No GraphQL, no ORM entities, no tenant-scoping hook, no
DataLoaders, no Casbin: what is left (HTTP, JWT, SQL, JSON) is what any implementation must pay.

POST /worklist mirrors the 9 statements of the Worklist query with first: 50, in one transaction
(the tenant binding, the caller's user with its tenant and grants, the page, then customers,
vehicles, last events, clocks, phones, and the handlers and the events' actors in one look-up, in
the order the real request sends them); the dealers come from the org units it read once, as the
product's tenant runtime holds them.
POST /register mirrors registerComplaint's 22 statements (SAVEPOINT and RELEASE among them) in
the product's two transactions: the tenant binding and the user with its grants (rolled back, as
the product closes its read session), then up to the commit the binding again, the dealer, the
phone look-up, under a savepoint the binding, the customer and its phone, the vehicle (inserted
unless its VIN is known), the earlier order on the same issue, the number, the order, the board's
counts and trend hours at each of the dealer's three levels (server/db/board_counts.py), the event
(unnested arrays, as server/db/upsert.py's insert_many sends it) and the two clocks. It answers
from what it wrote, as the real mutation does for a new customer.

Both read the same request bodies as /graphql (variables.first, variables.input).
"""

from __future__ import annotations

import base64
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, and_, bindparam, func, insert, or_, select, text, true
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as upsert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from schema.ids import decode, encode
from server import settings as settings_module
from server.db import binding, models
from server.db.among import among
from server.domain.identifiers import mask_phone
from server.profiles import Profile, bundled_profile_path, load_profile_dir
from server.security.auth import Claims, bearer, verify

# The statements the real request issued when this floor was last matched to it; the harness
# warns when the product's count moves.
MIRRORS = {"list": (9,), "register": (22,)}

USERS, TENANTS, GRANTS = (
    models.User.__table__,
    models.Tenant.__table__,
    models.RoleAssignment.__table__,
)
ORDERS, UNITS, EVENTS = (
    models.WorkOrder.__table__,
    models.OrgUnit.__table__,
    models.WorkOrderEvent.__table__,
)
CUSTOMERS, PHONES, VEHICLES = (
    models.Customer.__table__,
    models.CustomerPhone.__table__,
    models.Vehicle.__table__,
)
SEQUENCES, CLOCKS = models.NumberSequence.__table__, models.WorkOrderClock.__table__
BOARD, HOURS = models.BoardCount.__table__, models.TrendHour.__table__
Related = dict[str, Any]


# server/db/session.py's ENTER_TENANT, sent as each tenant transaction begins (row-level security).
# Not imported from there: that module's hooks refuse the floor's sessions, which belong to no
# tenant; the statement itself is binding's.
ENTER_TENANT = text(binding.ENTER)


async def enter_tenant(session: AsyncSession, claims: Claims) -> None:
    await session.execute(ENTER_TENANT, {"tenant": claims.tenant_id, "role": binding.TENANT_ROLE})


# The product's principal read (server/services/caller.py), built once as there; one tenant
# parameter in both places, as the product's tenant criteria render it.
_TENANT = bindparam("tenant")
_PRINCIPAL = (
    select(USERS.c.id, USERS.c.username, TENANTS.c.policy_version, GRANTS.c.role, GRANTS.c.org_path)
    .join(TENANTS, TENANTS.c.id == USERS.c.tenant_id)
    .outerjoin(GRANTS, and_(GRANTS.c.user_id == USERS.c.id, GRANTS.c.tenant_id == _TENANT))
    .where(
        USERS.c.id == bindparam("user_id"),
        USERS.c.active,
        TENANTS.c.active,
        USERS.c.tenant_id == _TENANT,
    )
)


async def grant_paths(session: AsyncSession, claims: Claims) -> list[str]:
    """The real request's authentication read: the user, its tenant's policy version and its grants
    in one statement; every grant's path is a scope here."""
    await enter_tenant(session, claims)
    params = {"tenant": claims.tenant_id, "user_id": int(claims.subject)}
    rows = (await session.execute(_PRINCIPAL, params)).all()
    return [row.org_path for row in rows if row.org_path is not None]


async def _by_id(
    session: AsyncSession, table: Any, tenant_id: int, ids: Iterable[int | None]
) -> dict[int, Row[Any]]:
    query = select(table).where(
        among(session, table.c.id, {i for i in ids if i is not None}),
        table.c.tenant_id == tenant_id,
    )
    return {row.id: row for row in (await session.execute(query.order_by(table.c.id))).all()}


async def _phones(
    session: AsyncSession, tenant_id: int, customer_ids: Iterable[int]
) -> dict[int, list[str]]:
    query = select(PHONES).where(
        among(session, PHONES.c.customer_id, set(customer_ids)), PHONES.c.tenant_id == tenant_id
    )
    grouped: dict[int, list[str]] = defaultdict(list)
    for row in (await session.execute(query.order_by(PHONES.c.id))).all():
        grouped[row.customer_id].append(row.number)
    return grouped


async def _last_events(
    session: AsyncSession, tenant_id: int, order_ids: list[int]
) -> dict[int, Row[Any]]:
    # One tenant condition in both places: one parameter, as the product's statement has it.
    tenant = EVENTS.c.tenant_id == tenant_id
    mine = (among(session, EVENTS.c.work_order_id, set(order_ids)), tenant)
    newest = select(func.max(EVENTS.c.id)).where(*mine).group_by(EVENTS.c.work_order_id)
    rows = (await session.execute(select(EVENTS).where(EVENTS.c.id.in_(newest), tenant))).all()
    return {row.work_order_id: row for row in rows}


async def _clocks(
    session: AsyncSession, tenant_id: int, order_ids: list[int]
) -> dict[int, list[Row[Any]]]:
    query = select(CLOCKS).where(
        among(session, CLOCKS.c.work_order_id, set(order_ids)), CLOCKS.c.tenant_id == tenant_id
    )
    grouped: dict[int, list[Row[Any]]] = defaultdict(list)
    for row in (await session.execute(query.order_by(CLOCKS.c.id))).all():
        grouped[row.work_order_id].append(row)
    return grouped


async def _page(session: AsyncSession, claims: Claims, first: int) -> list[Row[Any]]:
    paths = await grant_paths(session, claims)
    if any(p.count("/") == 1 for p in paths):  # the tenant's root: every order, as in the product
        scopes = true()
    else:
        scopes = or_(
            *(
                or_(
                    ORDERS.c.org_path == p,
                    and_(ORDERS.c.org_path >= p + "/", ORDERS.c.org_path < p + "0"),
                )
                for p in paths
            )
        )
    page = (
        select(ORDERS)
        .where(scopes, ORDERS.c.tenant_id == claims.tenant_id)
        .order_by(ORDERS.c.id.desc())
    )
    return list((await session.execute(page.limit(first + 1))).all())


# Each tenant's org units, read once per process as the product's tenant runtime holds them.
_units: dict[int, dict[int, Row[Any]]] = {}


async def _org_units(session: AsyncSession, tenant_id: int) -> dict[int, Row[Any]]:
    if tenant_id not in _units:
        rows = (await session.execute(select(UNITS).where(UNITS.c.tenant_id == tenant_id))).all()
        _units[tenant_id] = {row.id: row for row in rows}
    return _units[tenant_id]


async def _related(session: AsyncSession, tenant_id: int, shown: list[Row[Any]]) -> Related:
    related = {
        "dealers": await _org_units(session, tenant_id),
        "customers": await _by_id(session, CUSTOMERS, tenant_id, (o.customer_id for o in shown)),
        "vehicles": await _by_id(session, VEHICLES, tenant_id, (o.vehicle_id for o in shown)),
        "events": await _last_events(session, tenant_id, [o.id for o in shown]),
        "clocks": await _clocks(session, tenant_id, [o.id for o in shown]),
    }
    related["phones"] = await _phones(session, tenant_id, related["customers"])
    people = [u for o in shown for u in (o.primary_handler_id, o.secondary_handler_id)]
    people += [e.actor_id for e in related["events"].values()]
    related["users"] = await _by_id(session, USERS, tenant_id, people)
    return related


async def worklist(
    session: AsyncSession, claims: Claims, first: int, profile: Profile
) -> dict[str, Any]:
    orders = await _page(session, claims, first)
    related = await _related(session, claims.tenant_id, orders[:first])  # type: ignore[arg-type]
    now = datetime.now(UTC)  # one instant for every clock's status, as the product's page
    edges = [
        {"cursor": _cursor(o.id), "node": _node(o, related, profile, now)} for o in orders[:first]
    ]
    page_info = {
        "hasNextPage": len(orders) > first,
        "endCursor": edges[-1]["cursor"] if edges else None,
    }
    return {
        "data": {
            "workOrders": {
                "__typename": "WorkOrderConnection",
                "edges": edges,
                "pageInfo": page_info,
            }
        }
    }


def _cursor(order_id: int) -> str:
    return base64.urlsafe_b64encode(f"order|{order_id}".encode()).decode()  # schema/cursors.py


def _user(users: dict[int, Row[Any]], user_id: int | None) -> dict[str, Any] | None:
    user = users.get(user_id) if user_id is not None else None
    return {"id": encode("User", user.id), "displayName": user.display_name} if user else None


def _actor(users: dict[int, Row[Any]], user_id: int | None) -> dict[str, Any] | None:
    user = users.get(user_id) if user_id is not None else None
    return {"displayName": user.display_name} if user else None  # the document asks no id


def _status(clock: Row[Any], now: datetime) -> str:
    """server/domain/sla.py's status, read off the row (the product builds a Clock first)."""
    if clock.cancelled:
        return "CANCELLED"
    if clock.stopped_at is not None:
        late = clock.due_at is not None and clock.stopped_at > clock.due_at
        exhausted = clock.budget is not None and clock.used > clock.budget
        return "MET_LATE" if late or exhausted else "MET"
    if clock.missing_year is not None:
        return "CALENDAR_MISSING"
    if clock.running_since is None:
        return "BREACHED" if clock.budget is not None and clock.used > clock.budget else "PAUSED"
    if clock.due_at is not None and now >= clock.due_at:
        return "BREACHED"
    return "DUE_SOON" if clock.warn_at is not None and now >= clock.warn_at else "ON_TRACK"


def _instant(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _clock(clock: Row[Any], now: datetime) -> dict[str, Any]:
    return {
        "name": clock.name,
        "dueAt": _instant(clock.due_at),
        "warnAt": _instant(clock.warn_at),
        "stoppedAt": _instant(clock.stopped_at),
        "status": _status(clock, now),
    }


def _node(o: Row[Any], r: Related, profile: Profile, now: datetime) -> dict[str, Any]:
    label = profile.workflow.state(o.state).label
    dealer, customer = r["dealers"][o.org_unit_id], r["customers"][o.customer_id]
    vehicle, event = r["vehicles"].get(o.vehicle_id), r["events"].get(o.id)
    phones = r["phones"].get(customer.id, [])
    last = (
        {
            "kind": event.kind,
            "at": event.at.isoformat(),
            "actor": _actor(r["users"], event.actor_id),
        }
        if event
        else None
    )
    return {
        "id": encode("WorkOrder", o.id),
        "number": o.number,
        "version": o.version,
        "state": o.state,
        "stateLabel": {"zh": label.zh, "en": label.en},
        "grade": o.grade,
        "category": o.category,
        "summary": o.summary,
        "registeredAt": o.registered_at.isoformat(),
        "dealer": {"id": encode("OrgUnit", dealer.id), "name": dealer.name},
        "primaryHandler": _user(r["users"], o.primary_handler_id),
        "secondaryHandler": _user(r["users"], o.secondary_handler_id),
        # The bench's list caller (the SE) holds no customer.pii: the product masks every number.
        "customer": {"name": customer.name, "phones": [mask_phone(n) for n in phones]},
        "vehicle": {"vin": vehicle.vin, "model": vehicle.model} if vehicle else None,
        "lastEvent": last,
        "clocks": [_clock(c, now) for c in r["clocks"].get(o.id, ())],
    }


async def _customer(
    session: AsyncSession, claims: Claims, tenant_id: int, data: dict[str, Any]
) -> int:
    phone = "+86" + data["phones"][0]  # the real mutation parses and validates it with phonenumbers
    known = select(PHONES).where(PHONES.c.number.in_([phone]), PHONES.c.tenant_id == tenant_id)
    if found := (await session.execute(known)).first():
        return found.customer_id
    # A new customer goes in under a savepoint, as the product's (a concurrent registration may
    # take the number); the product's session binds the savepoint to the tenant again.
    async with session.begin_nested():
        await enter_tenant(session, claims)
        customer = insert(CUSTOMERS).values(
            tenant_id=tenant_id, name=data["name"], address=None, postcode=None
        )
        customer_id = (await session.execute(customer.returning(CUSTOMERS.c.id))).scalar_one()
        number = {"tenant_id": tenant_id, "customer_id": customer_id, "number": phone}
        added = upsert(PHONES).values(number).on_conflict_do_nothing().returning(*PHONES.c)
        await session.execute(added)
    return customer_id


async def _vehicle(
    session: AsyncSession, tenant_id: int, customer_id: int, data: dict[str, Any]
) -> int:
    """Inserted first, looked up only when the VIN is known, as the product does."""
    values = {
        "tenant_id": tenant_id,
        "vin": data["vin"],
        "customer_id": customer_id,
        "model": data.get("model"),
    }
    values |= {"engine_number": None, "plate": None, "purchase_date": None, "mileage_km": None}
    added = upsert(VEHICLES).values(values).on_conflict_do_nothing().returning(*VEHICLES.c)
    if inserted := (await session.execute(added)).first():
        return inserted.id
    known = select(VEHICLES).where(VEHICLES.c.vin == data["vin"], VEHICLES.c.tenant_id == tenant_id)
    return (await session.execute(known)).one().id


async def _earlier_order(
    session: AsyncSession, tenant_id: int, ids: tuple[int, int], category: str
) -> None:
    """The repeat check: a handled order on the same issue within the profile's window (7 days)."""
    now = datetime.now(UTC)
    same = or_(ORDERS.c.customer_id == ids[0], ORDERS.c.vehicle_id == ids[1])
    window = (
        ORDERS.c.handled_at.is_not(None),
        ORDERS.c.handled_at <= now,
        ORDERS.c.handled_at >= now - timedelta(days=7),
    )
    query = select(ORDERS).where(
        same, ORDERS.c.category == category, *window, ORDERS.c.tenant_id == tenant_id
    )
    await session.execute(query.order_by(ORDERS.c.handled_at.desc()).limit(1))


async def _number(session: AsyncSession, tenant_id: int, profile: Profile, now: datetime) -> str:
    day = now.astimezone(ZoneInfo(profile.timezone)).strftime("%Y%m%d")
    statement = (
        upsert(SEQUENCES)
        .values(tenant_id=tenant_id, day=day, value=1)
        .on_conflict_do_update(
            index_elements=["day", "tenant_id"], set_={"value": SEQUENCES.c.value + 1}
        )
        .returning(SEQUENCES.c.value)
    )
    return f"{profile.number_prefix}-{day}-{(await session.execute(statement)).scalar_one():05d}"


# The columns a new order leaves empty: the ORM names every column in its INSERT, so the floor does.
_EMPTY = (
    "department",
    "primary_handler_id",
    "secondary_handler_id",
    "responded_at",
    "handled_at",
    "closed_at",
    "resolution",
    "measures",
    "root_cause",
    "customer_feedback",
    "repeat_of_id",
)


def _order_values(
    claims: Claims, data: dict[str, Any], dealer: Row[Any], ids: tuple[int, int], profile: Profile
) -> dict[str, Any]:
    category, now = profile.categories[data["category"]], datetime.now(UTC)
    return dict.fromkeys(_EMPTY) | {
        "tenant_id": claims.tenant_id,
        "org_unit_id": dealer.id,
        "org_path": dealer.path,
        "customer_id": ids[0],
        "vehicle_id": ids[1],
        "profile_version": profile.version,
        "channel": data["channel"],
        "order_type": category.order_type,
        "category": category.code,
        "grade": category.grade,
        "tier": category.routing[0],
        "state": profile.workflow.initial,
        "version": 1,
        "received_at": now,
        "registered_at": now,
        "registered_by_id": int(claims.subject),
        "updated_at": now,
        "summary": data["summary"],
        "details": data["details"],
        "demands": [],
        "flags": [],
        "next_deadline_at": now + timedelta(hours=2),
        "repeat_number": 1,
        "repeated": False,
        "escalated": False,
        "involved_staff": [],
    }


def _clock_rows(tenant_id: int, order_id: int, now: datetime) -> list[dict[str, Any]]:
    """Grade A starts two clocks; the real service computes their instants on the business
    calendar."""
    common = {
        "tenant_id": tenant_id,
        "work_order_id": order_id,
        "started_at": now,
        "running_since": now,
        "used": 0,
        "cancelled": False,
    }
    common |= {"stopped_at": None, "missing_year": None, "due_at": now + timedelta(hours=2)}
    common |= {"warn_at": now + timedelta(minutes=96), "next_check_at": now + timedelta(minutes=96)}
    response = {"name": "response", "target": 120, "unit": "business_minutes", "budget": 120}
    closure = {"name": "closure", "target": 3, "unit": "working_days", "budget": 1620}
    return [common | response, common | closure]


def _ancestors(path: str) -> list[str]:
    """/bench/r01/d01001 -> /bench, /bench/r01, /bench/r01/d01001: the levels a count rolls up."""
    parts = path.split("/")
    return ["/".join(parts[:depth]) for depth in range(2, len(parts) + 1)]


# server/db/board_counts.py's upserts, built once: the product sends one per level, in path order.
_BOARD_ROW = upsert(BOARD).values(
    {c: bindparam(c) for c in ("tenant_id", "org_path", "state", "grade", "tier", "category")}
    | {"running": bindparam("running"), "n": bindparam("n")}
)
_BOARD = _BOARD_ROW.on_conflict_do_update(
    index_elements=["tenant_id", "state", "org_path", "grade", "tier", "category", "running"],
    set_={"n": BOARD.c.n + _BOARD_ROW.excluded.n},
)
_MOMENTS = ("registered", "handled", "closed")
_HOUR_ROW = upsert(HOURS).values(
    {c: bindparam(c) for c in ("tenant_id", "org_path", "hour", *_MOMENTS)}
)
_HOUR = _HOUR_ROW.on_conflict_do_update(
    index_elements=["tenant_id", "org_path", "hour"],
    set_={m: HOURS.c[m] + _HOUR_ROW.excluded[m] for m in _MOMENTS},
)


def _event_insert() -> Any:
    """server/db/upsert.py's insert_many on PostgreSQL: the rows as one array per column."""
    columns = ["tenant_id", "work_order_id", "at", "actor_id", "kind", "transition"]
    columns += ["from_state", "to_state", "comment", "data"]  # history.record_all's row
    arrays = [bindparam(c, type_=postgresql.ARRAY(EVENTS.c[c].type)) for c in columns]
    rows = func.unnest(*arrays).table_valued(*columns, with_ordinality="position").render_derived()
    ordered = select(*(rows.c[c] for c in columns)).order_by(rows.c.position)
    return upsert(EVENTS).from_select(columns, ordered).returning(EVENTS.c.id)


_EVENTS = _event_insert()


async def _counts(session: AsyncSession, values: dict[str, Any]) -> None:
    """The board's counts and trend hours the product's flush maintains for a new order."""
    key = {k: values[k] for k in ("tenant_id", "state", "tier", "category")}
    key |= {"grade": values["grade"] or "", "running": values["next_deadline_at"] is not None}
    paths = _ancestors(values["org_path"])
    for path in paths:
        await session.execute(_BOARD, key | {"org_path": path, "n": 1})
    hour = values["registered_at"].replace(minute=0, second=0, microsecond=0)
    for path in paths:
        moments = {"registered": 1, "handled": 0, "closed": 0}
        row = {"tenant_id": values["tenant_id"], "org_path": path, "hour": hour}
        await session.execute(_HOUR, row | moments)


async def _write_order(session: AsyncSession, claims: Claims, values: dict[str, Any]) -> int:
    order_id = (
        await session.execute(insert(ORDERS).values(values).returning(ORDERS.c.id))
    ).scalar_one()
    await _counts(session, values)
    event = {"tenant_id": [values["tenant_id"]], "work_order_id": [order_id]}
    event |= {"at": [values["registered_at"]], "actor_id": [int(claims.subject)]}
    event |= {"kind": ["registered"], "transition": [None], "from_state": [None]}
    event |= {"to_state": [values["state"]], "comment": [None]}
    event["data"] = [{"clocks": ["response started", "closure started"]}]
    await session.execute(_EVENTS, event)
    # The clocks go in last, at the commit's flush, with their ids back in row order.
    clocks = insert(CLOCKS).returning(CLOCKS.c.id, sort_by_parameter_order=True)
    await session.execute(
        clocks, _clock_rows(values["tenant_id"], order_id, values["registered_at"])
    )
    return order_id


async def register(
    session: AsyncSession, claims: Claims, data: dict[str, Any], profile: Profile
) -> dict[str, Any]:
    await grant_paths(session, claims)
    # The product reads the caller in a transaction of its own and writes in another.
    await session.rollback()
    await enter_tenant(session, claims)
    dealer_id = decode("OrgUnit", data["dealerId"])
    dealer_query = select(UNITS, UNITS.c.path).where(
        UNITS.c.kind == "dealer", UNITS.c.id == dealer_id, UNITS.c.tenant_id == claims.tenant_id
    )
    dealer = (await session.execute(dealer_query)).one()
    customer_id = await _customer(session, claims, claims.tenant_id, data["customer"])  # type: ignore[arg-type]
    ids = (customer_id, await _vehicle(session, claims.tenant_id, customer_id, data["vehicle"]))  # type: ignore[arg-type]
    await _earlier_order(session, claims.tenant_id, ids, data["category"])  # type: ignore[arg-type]
    values = _order_values(claims, data, dealer, ids, profile)
    values["number"] = await _number(session, claims.tenant_id, profile, values["registered_at"])  # type: ignore[arg-type]
    order_id = await _write_order(session, claims, values)
    await session.commit()
    payload = {"__typename": "WorkOrderPayload", "order": _payload(order_id, values, data, dealer)}
    return {"data": {"registerComplaint": payload}}


def _payload(
    order_id: int, values: dict[str, Any], data: dict[str, Any], dealer: Row[Any]
) -> dict[str, Any]:
    customer = {"id": encode("Customer", values["customer_id"]), "name": data["customer"]["name"]}
    customer["phones"] = ["+86" + data["customer"]["phones"][0]]
    return {
        "id": encode("WorkOrder", order_id),
        "number": values["number"],
        "version": 1,
        "state": values["state"],
        "grade": values["grade"],
        "category": values["category"],
        "tier": values["tier"],
        "receivedAt": values["received_at"].isoformat(),
        "customer": customer,
        "vehicle": {"vin": data["vehicle"]["vin"]},
        "dealer": {"id": data["dealerId"], "name": dealer.name, "path": dealer.path},
    }


def create_app() -> Starlette:
    settings = settings_module.load()
    engine = create_async_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    profile = load_profile_dir(bundled_profile_path("skoda"))

    async def worklist_endpoint(request: Request) -> JSONResponse:
        claims = verify(settings, bearer(request.headers.get("authorization")))
        first = (await request.json())["variables"]["first"]
        async with sessions() as session:
            return JSONResponse(await worklist(session, claims, first, profile))

    async def register_endpoint(request: Request) -> JSONResponse:
        claims = verify(settings, bearer(request.headers.get("authorization")))
        data = (await request.json())["variables"]["input"]
        async with sessions() as session:
            return JSONResponse(await register(session, claims, data, profile))

    async def healthz(_request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/worklist", worklist_endpoint, methods=["POST"]),
        Route("/register", register_endpoint, methods=["POST"]),
    ]
    return Starlette(routes=[*routes, Route("/healthz", healthz)])
