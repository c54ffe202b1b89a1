"""The demo tenant of a profile, loaded from its demo organisation (`demo_plan`): the regions,
dealers and departments, staff per dealer, a user per role, and orders spread over the workflow's
states with their revisits (answered before closing; the home dealer's last ones still due), so
GraphiQL has something to show. Nothing here knows a brand: the plan is data."""

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
    transfers,
    transitions,
)
from server.services.caller import Caller, tenant_caller
from server.services.demo_plan import DemoPlan, Orders, default_profile, plan


@dataclass
class DemoClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    user_id: int
    display_name: str  # for the portal's sign-in picker (complaintdesk/portal.py)


@dataclass(frozen=True)
class LoadedDemo:
    profile: str
    slug: str
    tenant_id: int
    users: tuple[DemoUser, ...]  # one per role, in the plan's order


async def load_demo(
    database: Database,
    orders: int | None = None,
    progress: Callable[[str], None] = print,
    *,
    profile: str | None = None,
) -> LoadedDemo:
    """Creates the demo tenant of `profile` (the default demo without one) unless it exists;
    `orders` overrides the plan's count."""
    name = profile or default_profile()
    demo = plan(name)
    tenant_id = await tenancy.tenant_id_by_slug(database, demo.slug)
    if tenant_id is not None:
        progress(f"demo tenant '{demo.slug}' exists already; left as it is")
        return await demo_users(database, name)
    loaded = load_profile_dir(bundled_profile_path(name))
    tenant_id = await tenancy.create_tenant(database, demo.slug, demo.name, loaded)
    db = database.tenant(tenant_id)
    await _organisation(db, demo)
    progress(
        f"demo tenant '{demo.slug}': {len(demo.regions)} regions, "
        f"{sum(len(r.dealers) for r in demo.regions)} dealers, "
        "a user per role and staff per dealer"
    )
    ids = await organisation.user_ids(db)
    count = demo.orders.count if orders is None else orders
    await _orders(database, tenant_id, demo, ids, count, progress)
    await db.close()
    return await demo_users(database, name)


async def demo_users(database: Database, profile: str | None = None) -> LoadedDemo:
    """The demo users (one per role) of the loaded demo of `profile` (the default without one),
    with their ids, to mint their tokens."""
    name = profile or default_profile()
    demo = plan(name)
    tenant_id = await tenancy.tenant_id_by_slug(database, demo.slug)
    if tenant_id is None:
        raise LookupError(f"the demo of '{name}' is not loaded (`complaintdesk demo --profile`)")
    db = database.tenant(tenant_id)
    ids = await organisation.user_ids(db)
    await db.close()
    users = tuple(DemoUser(p.username, p.role, ids[p.username], p.display) for p in demo.users)
    return LoadedDemo(name, demo.slug, tenant_id, users)


async def _organisation(db: TenantDb, demo: DemoPlan) -> None:
    root = f"/{demo.slug}"
    for region in demo.regions:
        await organisation.add_org_unit(db, root, "region", region.code, region.name)
        for dealer in region.dealers:
            path = f"{root}/{region.code}/{dealer.code}"
            await organisation.add_org_unit(
                db, f"{root}/{region.code}", "dealer", dealer.code, dealer.name
            )
            for code, name in dealer.departments.items():
                await organisation.add_org_unit(db, path, "department", code, name)
            for staff in demo.staff:
                if staff.department is not None and staff.department not in dealer.departments:
                    continue
                at = path if staff.department is None else f"{path}/{staff.department}"
                display = f"{dealer.code} {staff.display}"
                await _add(db, f"{staff.username}-{dealer.code}", display, staff.role, at)
        if region.hours is not None:
            # Hours inherited down the tree (docs/rules.md#region-hours).
            await organisation.set_hours(db, f"{root}/{region.code}", None, region.hours, None)
    for person in demo.users:
        await _add(db, person.username, person.display, person.role, f"{root}{person.at}")


async def _add(db: TenantDb, username: str, display: str, role: str, path: str) -> None:
    user = await organisation.add_user(db, username, display)
    await organisation.grant(db, user.id, role, path)


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
    rng: random.Random, count: int, dealers: list[OrgUnit], categories: list[str], paths: Orders
) -> list[_Planned]:
    return [
        _Planned(
            gap=_minutes(rng, 30, 300),
            dealer=rng.choice(dealers),
            category=rng.choice(categories),
            steps=[(step, _minutes(rng, 5, 90)) for step in rng.choice(paths.paths)],
        )
        for _ in range(count)
    ]


async def _orders(
    database: Database,
    tenant_id: int,
    demo: DemoPlan,
    ids: dict[str, int],
    count: int,
    progress: Callable[[str], None],
) -> None:
    spec = demo.orders
    rng = random.Random(spec.seed)
    loaded_at = datetime.now(UTC)
    clock = DemoClock(loaded_at)
    registrar = await tenant_caller(
        database, Claims(str(ids[spec.registrar]), tenant_id, False), clock
    )
    # The users who take steps: the plan's actor, and whoever it names for a step (a profile may
    # forbid one person two steps of an order, e.g. resolving and confirming).
    actors = {
        name: await tenant_caller(database, Claims(str(ids[name]), tenant_id, False), clock)
        for name in {spec.actor, *spec.step_actors.values()}
    }
    profile = registrar.profile
    categories = [
        c.code
        for c in profile.categories.values()
        if (not spec.categories or c.code in spec.categories)
        and c.code not in spec.exclude_categories
    ]
    dealers = await organisation.units(registrar.db, "dealer")
    plan_ = _plan(rng, count, dealers, categories, spec)
    # The last orders are the home dealer's, handled shortly before the load: their revisits are
    # due in the next hours.
    home = next(d for d in dealers if d.path == f"/{demo.slug}{demo.home_dealer}")
    for planned in plan_[len(plan_) - min(spec.last_handled, len(plan_)) :]:
        planned.dealer, planned.steps = home, [(s, _minutes(rng, 5, 30)) for s in spec.handled]
    # The timeline is laid out first and ends at the load moment: nothing shown in the demo
    # (an order, an event, a pending matter's "since") may be dated after it.
    clock.now = loaded_at - sum((planned.span for planned in plan_), timedelta())
    handlers = [s.username for s in demo.staff[:2]]
    for n, planned in enumerate(plan_):
        clock.now += planned.gap
        dealer = planned.dealer
        registered = await registration.register_complaint(
            registrar, _registration(rng, spec, dealer.id, planned.category, n)
        )
        pair = (ids[f"{handlers[0]}-{dealer.code}"], ids[f"{handlers[1]}-{dealer.code}"])
        version = registered.order.version
        for step, gap in planned.steps:
            clock.now += gap
            actor = actors[spec.step_actors.get(step, spec.actor)]
            target = _transfer(spec, step, dealer, ids)
            changed = await _step(
                actor, spec, registered.order.id, step, version, pair, transfer=target
            )
            version = changed.version
        if (n + 1) % 50 == 0:
            progress(f"  {n + 1}/{count} demo orders")
    await registrar.db.close()
    for caller in actors.values():
        await caller.db.close()


def _registration(
    rng: random.Random, spec: Orders, dealer_id: int, category: str, n: int
) -> intake.Registration:
    summary = rng.choice(spec.summaries)
    return intake.Registration(
        dealer_id=dealer_id,
        customer=intake.CustomerInput(
            name=f"客户{n:03d}", phones=[f"139{rng.randint(10_000_000, 99_999_999)}"]
        ),
        vehicle=intake.VehicleInput(
            vin=demo_vin(rng, spec.vin_prefix), model=rng.choice(spec.models)
        ),
        channel=spec.channel,
        category=category,
        summary=summary,
        details=f"客户来电反映：{summary}，要求尽快给予答复。",
    )


def demo_vin(rng: random.Random, prefix: str) -> str:
    """A random VIN with a correct check digit (tried until vininfo accepts one)."""
    body = prefix + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(14))
    for digit in "0123456789X":
        vin = body[:8] + digit + body[9:]
        if Vin(vin).verify_checksum(check_year=False):
            return vin
    raise AssertionError("every VIN body has exactly one valid check digit")


def _transfer(
    spec: Orders, step: str, dealer: OrgUnit, ids: dict[str, int]
) -> transfers.Target | None:
    """The target the plan names for a transfer step: its staff at the order's own dealer."""
    chosen = spec.transfers.get(step)
    if chosen is None:
        return None
    return transfers.Target(dealer.id, chosen.authority, ids[f"{chosen.staff}-{dealer.code}"])


async def _step(
    actor: Caller,
    spec: Orders,
    order_id: int,
    step: str,
    version: int,
    handlers: tuple[int, int],
    *,
    transfer: transfers.Target | None,
) -> WorkOrder:
    if step == "assign":
        return await assignment.assign(actor, order_id, handlers[0], handlers[1], version)
    if step == "contact":
        return (await contacts.log_contact(actor, order_id, "reached", spec.contact_note, version))[
            1
        ]
    if step == "revisit":  # the customer answered the callback
        await _answer_revisit(actor, spec, order_id)
        return await queries.get_order(actor, order_id)
    workflow = actor.profile.workflow
    if any(t.name == step and t.records_resolution for t in workflow.transitions):
        return await transitions.close(
            actor, order_id, transitions.Resolution(*spec.resolution), version
        )
    comment = spec.comments.get(step)
    return await transitions.transition(actor, order_id, step, version, comment, transfer=transfer)


async def _answer_revisit(actor: Caller, spec: Orders, order_id: int) -> None:
    """The order's open revisit answered: reached, with the plan's result, in the customer's
    words."""
    answer = spec.revisit
    if answer is None:
        return
    for row in (await revisits.by_orders(actor, [order_id]))[0]:
        if row.state == "open":
            await revisits.log_attempt(actor, row.id, revisits.Attempt(Outcome.REACHED))
            answers = [(q, a) for q, a in answer.answers]
            result = revisit_results.Result(answer.result, answer.words, answers)
            await revisit_results.record_result(actor, row.id, result)
