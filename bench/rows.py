"""Rows of one batch of orders, in COPY column order: customers, phones, vehicles, orders, history
events and contact attempts. Pure: no database here, only the ids the caller reserved.

Orders are spread evenly over a time span ending a day ago, so ids grow with registration time
(the list is newest first) and every history step lies in the past. Numbers follow the product's
format, <prefix>-<local date>-<5-digit sequence>, with the sequence restarting each local day.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bench.identifiers import mobile, vin
from bench.org import Dealer, Org
from server.profiles import Profile

COLUMNS = {
    "customers": ("id", "tenant_id", "name", "address", "postcode"),
    "customer_phones": ("tenant_id", "customer_id", "number"),
    "vehicles": (
        "id",
        "tenant_id",
        "vin",
        "customer_id",
        "engine_number",
        "plate",
        "model",
        "purchase_date",
        "mileage_km",
    ),
    "work_orders": (
        "id",
        "tenant_id",
        "number",
        "org_unit_id",
        "org_path",
        "customer_id",
        "vehicle_id",
        "profile_version",
        "channel",
        "order_type",
        "category",
        "grade",
        "tier",
        "state",
        "version",
        "received_at",
        "registered_at",
        "registered_by_id",
        "updated_at",
        "summary",
        "details",
        "demands",
        "flags",
        "primary_handler_id",
        "secondary_handler_id",
        "responded_at",
        "handled_at",
        "closed_at",
        "resolution",
        "measures",
        "root_cause",
        "customer_feedback",
        "next_deadline_at",
    ),
    "work_order_events": (
        "tenant_id",
        "work_order_id",
        "at",
        "actor_id",
        "kind",
        "transition",
        "from_state",
        "to_state",
        "comment",
        "data",
    ),
    "contact_attempts": ("tenant_id", "work_order_id", "at", "actor_id", "outcome", "note"),
    # Filled only with --clocks (bench/clock_rows.py), like the orders' next_deadline_at.
    "work_order_clocks": (
        "tenant_id",
        "work_order_id",
        "name",
        "target",
        "unit",
        "started_at",
        "running_since",
        "used",
        "budget",
        "due_at",
        "warn_at",
        "stopped_at",
        "missing_year",
        "next_check_at",
    ),
}
# What happens after registration; 1-3 steps, so every order has 2-4 history events.
PATHS = (
    ("assign",),
    ("review",),
    ("assign", "review"),
    ("assign", "review", "contact"),
    ("review", "suspend"),
    ("assign", "review", "resolve"),
    ("review", "resolve", "confirm"),
    ("cancel",),
)
# --open: the paths that leave an order open (handled waits for the call centre's confirmation).
OPEN_PATHS = tuple(path for path in PATHS if not {"confirm", "cancel"} & set(path))
TRANSITIONS = {  # step: (from, to, comment)
    "review": ("unprocessed", "in_progress", None),
    "suspend": ("in_progress", "pending", "等待厂家配件到货"),
    "resolve": ("in_progress", "handled", None),
    "confirm": ("handled", "closed", None),
    "cancel": ("unprocessed", "cancelled", "重复登记，已取消"),
}
SUMMARIES = (
    "销售顾问承诺的赠品未兑现",
    "提车时间一再推迟",
    "价格与报价不一致",
    "新车漆面有划痕",
    "无法按时上牌",
    "金融方案与合同不符",
)
MODELS = (
    ("明锐", "NE3A5"),
    ("速派", "SU7B2"),
    ("柯迪亚克", "KD5N9"),
    ("柯米克", "KM2C4"),
    ("昕锐", "XR1D3"),
)
NAMES = "王李张刘陈杨赵黄周吴"


@dataclass(frozen=True)
class Category:
    code: str
    order_type: str
    grade: str | None
    tier: str


@dataclass(frozen=True)
class Setting:
    """What every row draws from: the tenant, its people and the profile's vocabulary."""

    org: Org
    prefix: str
    zone: ZoneInfo
    profile_version: str
    channels: tuple[str, ...]
    categories: tuple[Category, ...]
    paths: tuple[tuple[str, ...], ...] = PATHS

    @classmethod
    def of(cls, org: Org, profile: Profile, paths: tuple[tuple[str, ...], ...] = PATHS) -> Setting:
        categories = tuple(
            Category(c.code, c.order_type, c.grade, c.routing[0])
            for c in profile.categories.values()
            if c.routing
        )
        return cls(
            org,
            profile.number_prefix,
            ZoneInfo(profile.timezone),
            profile.version,
            tuple(profile.channels),
            categories,
            paths,
        )


@dataclass
class Timeline:
    """Registration instants and numbers, carried from batch to batch."""

    start: datetime
    step: timedelta
    day: str = ""
    sequence: int = 0

    @classmethod
    def ending_yesterday(cls, now: datetime, total: int, days: int) -> Timeline:
        end = now - timedelta(days=1)
        return cls(end - timedelta(days=days), timedelta(days=days) / max(total, 1))

    @classmethod
    def between(cls, start: datetime, end: datetime, total: int) -> Timeline:
        # The last history step is at most 4.5 hours after registration: the month's last orders
        # reach into the next month, as they would.
        return cls(start, (end - start) / max(total, 1))

    def registered(self, k: int, rng: random.Random) -> datetime:
        return (
            self.start + self.step * k + self.step * rng.random() * 0.9
        )  # jitter below one step: stays ordered

    def number(self, prefix: str, at: datetime, zone: ZoneInfo) -> str:
        day = at.astimezone(zone).strftime("%Y%m%d")
        self.sequence = self.sequence + 1 if day == self.day else 1
        self.day = day
        return f"{prefix}-{day}-{self.sequence:05d}"


@dataclass
class Ids:
    """Ids reserved from the tables' sequences, because orders must name their customer and
    vehicle."""

    customers: list[int]
    vehicles: list[int]
    orders: list[int]


@dataclass
class Batch:
    rows: dict[str, list[tuple[object, ...]]] = field(
        default_factory=lambda: {table: [] for table in COLUMNS}
    )
    last_numbers: dict[str, int] = field(default_factory=dict)  # local day: highest sequence issued

    def add(self, table: str, values: dict[str, object]) -> None:
        self.rows[table].append(tuple(values.get(column) for column in COLUMNS[table]))


def build(setting: Setting, timeline: Timeline, rng: random.Random, first: int, ids: Ids) -> Batch:
    """Orders first .. first+len(ids.orders)-1 (global counters keep phones, VINs and numbers
    unique)."""
    batch = Batch()
    for i, order_id in enumerate(ids.orders):
        k = first + i
        dealer = rng.choice(setting.org.dealers)
        customer_id = _customer(batch, setting, rng, ids.customers[i], k)
        vehicle_id = (
            _vehicle(batch, setting, rng, ids.vehicles[i], customer_id, k)
            if rng.random() < 0.9
            else None
        )
        order = _order(setting, timeline, rng, k, order_id, dealer, customer_id, vehicle_id)
        _history(batch, setting, rng, order, dealer)
        batch.add("work_orders", order)
        batch.last_numbers[timeline.day] = timeline.sequence
    return batch


def _customer(batch: Batch, setting: Setting, rng: random.Random, customer_id: int, k: int) -> int:
    tenant_id = setting.org.tenant_id
    address = f"上海市浦东新区张江路{k % 2000 + 1}号" if rng.random() < 0.6 else None
    batch.add(
        "customers",
        {
            "id": customer_id,
            "tenant_id": tenant_id,
            "name": f"{rng.choice(NAMES)}先生{k}",
            "address": address,
        },
    )
    for phone in range(1 if rng.random() < 0.7 else 2):
        batch.add(
            "customer_phones",
            {
                "tenant_id": tenant_id,
                "customer_id": customer_id,
                "number": mobile("139", 2 * k + phone),
            },
        )
    return customer_id


def _vehicle(
    batch: Batch, setting: Setting, rng: random.Random, vehicle_id: int, customer_id: int, k: int
) -> int:
    model, vds = rng.choice(MODELS)
    batch.add(
        "vehicles",
        {
            "id": vehicle_id,
            "tenant_id": setting.org.tenant_id,
            "vin": vin("LSV", vds, "R", k),
            "customer_id": customer_id,
            "model": model,
            "plate": f"沪A{k % 100000:05d}",
            "mileage_km": rng.randint(0, 3000),
        },
    )
    return vehicle_id


def _order(
    setting: Setting,
    timeline: Timeline,
    rng: random.Random,
    k: int,
    order_id: int,
    dealer: Dealer,
    customer_id: int,
    vehicle_id: int | None,
) -> dict[str, object]:
    category = rng.choice(setting.categories)
    at = timeline.registered(k, rng)
    summary = rng.choice(SUMMARIES)
    return {
        "id": order_id,
        "tenant_id": setting.org.tenant_id,
        "number": timeline.number(setting.prefix, at, setting.zone),
        "org_unit_id": dealer.id,
        "org_path": dealer.path,
        "customer_id": customer_id,
        "vehicle_id": vehicle_id,
        "profile_version": setting.profile_version,
        "channel": rng.choice(setting.channels),
        "order_type": category.order_type,
        "category": category.code,
        "grade": category.grade,
        "tier": category.tier,
        "state": "unprocessed",
        "version": 1,
        "received_at": at - timedelta(minutes=rng.randint(0, 120)),
        "registered_at": at,
        "registered_by_id": setting.org.users["operator"],
        "updated_at": at,
        "summary": summary,
        "details": f"客户来电反映：{summary}，多次联系经销商未果，要求尽快给予书面答复。",
        "demands": "[]",
        "flags": "[]",
    }


def _history(
    batch: Batch, setting: Setting, rng: random.Random, order: dict[str, object], dealer: Dealer
) -> None:
    users = setting.org.users
    _event(
        batch,
        order,
        order["registered_at"],
        users["operator"],
        "registered",
        to_state="unprocessed",
    )
    at = order["registered_at"]
    for step in rng.choice(setting.paths):
        at += timedelta(minutes=rng.randint(5, 90))  # type: ignore[operator]
        order["version"] += 1  # type: ignore[operator]
        order["updated_at"] = at
        if step == "assign":
            _assign(batch, order, at, users["se"], dealer)
        elif step == "contact":
            _contact(batch, setting, order, at, dealer.care_id)
        else:
            _transition(batch, order, at, _actor(step, users, dealer), step)


def _event(
    batch: Batch,
    order: dict[str, object],
    at: object,
    actor_id: int,
    kind: str,
    data: object = None,
    **fields: object,
) -> None:
    row = {
        "tenant_id": order["tenant_id"],
        "work_order_id": order["id"],
        "at": at,
        "actor_id": actor_id,
        "kind": kind,
    }
    batch.add("work_order_events", row | fields | {"data": json.dumps(data or {})})


def _assign(batch: Batch, order: dict[str, object], at: object, se_id: int, dealer: Dealer) -> None:
    order["primary_handler_id"], order["secondary_handler_id"] = dealer.care_id, dealer.manager_id
    data = {
        "before": {"primary": None, "secondary": None},
        "primary": dealer.care_id,
        "secondary": dealer.manager_id,
    }
    _event(batch, order, at, se_id, "assigned", data)


def _contact(
    batch: Batch, setting: Setting, order: dict[str, object], at: object, actor_id: int
) -> None:
    note = "已致电客户，安抚情绪并说明处理方案"
    row = {
        "tenant_id": setting.org.tenant_id,
        "work_order_id": order["id"],
        "at": at,
        "actor_id": actor_id,
    }
    batch.add("contact_attempts", row | {"outcome": "reached", "note": note})
    order["responded_at"] = at
    _event(batch, order, at, actor_id, "contact", {"outcome": "reached"}, comment=note)


def _actor(step: str, users: dict[str, int], dealer: Dealer) -> int:
    """Who takes a step: cancelling needs a manager, confirming the call centre, the rest the care
    specialist."""
    return {"cancel": dealer.manager_id, "confirm": users["operator"]}.get(step, dealer.care_id)


def _transition(batch: Batch, order: dict[str, object], at: object, actor: int, step: str) -> None:
    source, target, comment = TRANSITIONS[step]
    order["state"] = target
    if step == "resolve":
        order.update(
            handled_at=at,
            resolution="已与客户达成一致并兑现承诺",
            measures="补发赠品",
            customer_feedback="客户表示满意",
        )
    elif step == "confirm":
        order["closed_at"] = at
    _event(
        batch,
        order,
        at,
        actor,
        "transition",
        transition=step,
        from_state=source,
        to_state=target,
        comment=comment,
    )
