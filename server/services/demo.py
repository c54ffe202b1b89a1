"""The demo tenant: the Skoda profile, 2 regions, 6 dealers with departments, a user per role and
200 orders spread over the workflow's states with their revisits (answered before closing; the
home dealer's last ones still due), so GraphiQL has something to show."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from vininfo import Vin

from server.db.models import OrgUnit, WorkOrder
from server.db.session import Database, TenantDb
from server.domain.revisit import Outcome
from server.profiles import bundled_profile_path, load_profile_dir
from server.security.auth import Claims
from server.services import (
    assignment,
    contacts,
    intake,
    organisation,
    queries,
    registration,
    revisit_results,
    revisits,
    tenancy,
    transitions,
)
from server.services.caller import Caller, tenant_caller

SLUG = "skoda"
REGIONS = {
    "east": ("华东大区", ["sh-pudong", "sh-minhang", "hz-xihu"]),
    "west": ("西部大区", ["cd-wuhou", "cq-yubei", "xa-yanta"]),
}
DEPARTMENTS = {"sales": "销售部", "aftersales": "售后部", "care": "客户关爱部"}
HOME_DEALER = "/skoda/east/sh-pudong"
CHANNEL = "hotline_400"
USERS = {  # username: (display name, role, where)
    "operator": ("CSC 接线员 王丽", "operator", "/skoda"),
    "care": ("关爱专员 李娜", "care_specialist", HOME_DEALER),
    "manager": ("关爱经理 张伟", "manager", HOME_DEALER),
    "gm": ("总经理 陈刚", "gm", HOME_DEALER),
    "rbo": ("华东大区 RBO 刘洋", "rbo", "/skoda/east"),
    "se": ("销售投诉 SE 赵敏", "se", "/skoda"),
    "admin": ("租户管理员 孙杰", "tenant_admin", "/skoda"),
}


@dataclass
class DemoClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


async def load_demo(
    database: Database, orders: int = 200, progress: Callable[[str], None] = print
) -> dict[str, int]:
    """Creates the demo tenant unless it exists; returns user ids by username."""
    tenant_id = await tenancy.tenant_id_by_slug(database, SLUG)
    if tenant_id is not None:
        progress("demo tenant 'skoda' exists already; left as it is")
        return await organisation.user_ids(database.tenant(tenant_id))
    profile = load_profile_dir(bundled_profile_path("skoda"))
    tenant_id = await tenancy.create_tenant(database, SLUG, "斯柯达 Skoda", profile)
    db = database.tenant(tenant_id)
    for region, (name, dealers) in REGIONS.items():
        await organisation.add_org_unit(db, "/skoda", "region", region, name)
        for dealer in dealers:
            path = f"/skoda/{region}/{dealer}"
            await organisation.add_org_unit(
                db, f"/skoda/{region}", "dealer", dealer, f"斯柯达 {dealer}"
            )
            for code, dept in DEPARTMENTS.items():
                await organisation.add_org_unit(db, path, "department", code, dept)
            await _add(db, f"care-{dealer}", f"{dealer} 关爱专员", "care_specialist", path)
            await _add(db, f"manager-{dealer}", f"{dealer} 关爱经理", "manager", path)
    for username, (display, role, path) in USERS.items():
        await _add(db, username, display, role, path)
    # One region keeps 10:00-19:30, to show hours inherited down the tree
    # (docs/rules.md#region-hours).
    await organisation.set_hours(db, "/skoda/west", None, ["10:00-19:30"], None)
    progress(
        "demo tenant 'skoda': 2 regions, 6 dealers with departments, "
        "a user per role and staff per dealer"
    )
    ids = await organisation.user_ids(db)
    await _orders(database, tenant_id, ids, orders, progress)
    await db.close()
    return ids


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: str
    claims: Claims  # what a token for this user says


async def demo_users(database: Database) -> list[DemoUser]:
    """One user per role of the loaded demo tenant, in USERS' order; none without the demo. The
    command line prints their tokens and the portal's sign-in lists them (complaintdesk/portal.py).
    """
    tenant_id = await tenancy.tenant_id_by_slug(database, SLUG)
    if tenant_id is None:
        return []
    db = database.tenant(tenant_id)
    try:
        ids = await organisation.user_ids(db)
    finally:
        await db.close()
    return [
        DemoUser(name, display, role, Claims(str(ids[name]), tenant_id, False))
        for name, (display, role, _path) in USERS.items()
    ]


async def _add(db: TenantDb, username: str, display: str, role: str, path: str) -> None:
    user = await organisation.add_user(db, username, display)
    await organisation.grant(db, user.id, role, path)


HANDLED = ["review", "assign", "contact", "resolve"]
DUE_REVISITS = 3
PATHS = [
    [],
    ["review"],
    ["review", "assign"],
    ["review", "assign", "contact"],
    HANDLED,
    [*HANDLED, "confirm"],
    ["review", "assign", "contact", "suspend"],
    ["cancel"],
]


@dataclass
class _Planned:
    """One demo order: the pause before it is registered, and each step with the pause before it."""

    gap: timedelta
    dealer: OrgUnit
    category: str
    steps: list[tuple[str, timedelta]]

    @property
    def span(self) -> timedelta:
        return self.gap + sum((gap for _, gap in self.steps), timedelta())


def _minutes(rng: random.Random, low: int, high: int) -> timedelta:
    return timedelta(minutes=rng.randint(low, high))


def _plan(
    rng: random.Random, count: int, dealers: list[OrgUnit], categories: list[str]
) -> list[_Planned]:
    return [
        _Planned(
            gap=_minutes(rng, 30, 300),
            dealer=rng.choice(dealers),
            category=rng.choice(categories),
            steps=[(step, _minutes(rng, 5, 90)) for step in rng.choice(PATHS)],
        )
        for _ in range(count)
    ]


async def _orders(
    database: Database,
    tenant_id: int,
    ids: dict[str, int],
    count: int,
    progress: Callable[[str], None],
) -> None:
    rng = random.Random(20261122)
    loaded_at = datetime.now(UTC)
    clock = DemoClock(loaded_at)
    operator = await tenant_caller(database, Claims(str(ids["operator"]), tenant_id, False), clock)
    se = await tenant_caller(database, Claims(str(ids["se"]), tenant_id, False), clock)
    categories = [c.code for c in operator.profile.categories.values() if c.code != "C4"]
    dealers = await organisation.units(operator.db, "dealer")
    plan = _plan(rng, count, dealers, categories)
    # The last orders are the home dealer's, handled shortly before the load: their revisits are
    # due for the demo care specialist in the next hours.
    home = next(d for d in dealers if d.path == HOME_DEALER)
    for planned in plan[-DUE_REVISITS:]:
        planned.dealer, planned.steps = home, [(s, _minutes(rng, 5, 30)) for s in HANDLED]
    # The timeline is laid out first and ends at the load moment: nothing shown in the demo
    # (an order, an event, a pending matter's "since") may be dated after it.
    clock.now = loaded_at - sum((planned.span for planned in plan), timedelta())
    for n, planned in enumerate(plan):
        clock.now += planned.gap
        dealer = planned.dealer
        order = (
            await registration.register_complaint(
                operator, _registration(rng, dealer.id, planned.category, n)
            )
        ).order
        handlers = (ids[f"care-{dealer.code}"], ids[f"manager-{dealer.code}"])
        version = order.version
        for step, gap in planned.steps:
            clock.now += gap
            version = (await _step(se, order.id, step, version, handlers)).version
        if (n + 1) % 50 == 0:
            progress(f"  {n + 1}/{count} demo orders")
    await operator.db.close()
    await se.db.close()


def _registration(rng: random.Random, dealer_id: int, category: str, n: int) -> intake.Registration:
    summaries = [
        "销售顾问承诺的赠品未兑现",
        "提车时间一再推迟",
        "价格与报价不一致",
        "新车漆面有划痕",
        "无法按时上牌",
    ]
    summary = rng.choice(summaries)
    return intake.Registration(
        dealer_id=dealer_id,
        customer=intake.CustomerInput(
            name=f"客户{n:03d}", phones=[f"139{rng.randint(10_000_000, 99_999_999)}"]
        ),
        vehicle=intake.VehicleInput(
            vin=demo_vin(rng), model=rng.choice(["明锐", "速派", "柯迪亚克"])
        ),
        channel=CHANNEL,
        category=category,
        summary=summary,
        details=f"客户来电反映：{summary}，要求尽快给予答复。",
    )


def demo_vin(rng: random.Random) -> str:
    """A random VIN with a correct check digit (tried until vininfo accepts one)."""
    body = "LSV" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(14))
    for digit in "0123456789X":
        vin = body[:8] + digit + body[9:]
        if Vin(vin).verify_checksum(check_year=False):
            return vin
    raise AssertionError("every VIN body has exactly one valid check digit")


async def _step(
    se: Caller, order_id: int, step: str, version: int, handlers: tuple[int, int]
) -> WorkOrder:
    if step == "assign":
        return await assignment.assign(se, order_id, handlers[0], handlers[1], version)
    if step == "contact":
        return (
            await contacts.log_contact(
                se, order_id, "reached", "已致电客户，安抚情绪并说明处理方案", version
            )
        )[1]
    if step == "confirm":  # after the callback: the customer was satisfied
        await _satisfied(se, order_id)
        version = (await queries.get_order(se, order_id)).version
    if step == "resolve":
        result = transitions.Resolution(
            "已与客户达成一致并兑现承诺", "补发赠品", "销售顾问承诺未登记", "客户表示满意"
        )
        return await transitions.close(se, order_id, result, version)
    comment = {"suspend": "等待厂家配件到货", "cancel": "重复登记，已取消"}.get(step)
    return await transitions.transition(se, order_id, step, version, comment)


async def _satisfied(se: Caller, order_id: int) -> None:
    """The order's open revisit answered: reached, satisfied, in the customer's words."""
    for row in (await revisits.by_orders(se, [order_id]))[0]:
        if row.state == "open":
            await revisits.log_attempt(se, row.id, revisits.Attempt(Outcome.REACHED))
            answers = [("resolved", "solved"), ("handling", "satisfied")]
            result = revisit_results.Result("satisfied", "处理得很及时，谢谢", answers)
            await revisit_results.record_result(se, row.id, result)
