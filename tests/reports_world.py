"""A hand-built set of orders for the reports' tests: seven orders at three dealers with states,
grades, tiers, categories, clocks and instants set by hand, so each figure is known in advance.

| order | dealer | category | state       | grade | tier     | clock     | registered (Shanghai) |
|-------|--------|----------|-------------|-------|----------|-----------|-----------------------|
| o1    | a      | A4a      | unprocessed | A     | DLR      | breached  | 2026-10-03 10:00      |
| o2    | a      | A4a      | in_progress | B     | RBO      | due soon  | 2026-10-03 23:30      |
| o3    | a      | A4b      | handled     | A     | RBO      | on time   | 2026-10-04 00:30      |
| o4    | a      | A4a      | closed      | A     | DLR      | -         | 2026-10-05 09:00      |
| o5    | b      | A4c      | pending     | C     | SALES_SE | stopped   | 2026-10-05 15:00      |
| o6    | c      | A4a      | in_progress | A     | DLR      | breached  | 2026-10-10 12:00      |
| o7    | a      | A4a      | closed      | A     | DLR      | -         | 2026-09-20 12:00      |

o2 is a repeat (its second complaint), o5 escalated; root causes: o3 and o4 培训不足, o5 库存不足.
Response clocks, stopped, in business minutes: 30 60 90 120 600 150 45. o3 handled 2026-10-05
10:00, o4 handled 2026-10-05 11:00 and closed 2026-10-06 09:00 (closure clock used 1000).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, update
from support import World, register

from schema.ids import key
from server.db.models import WorkOrder, WorkOrderClock
from server.services import board

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


ORDERS: list[dict[str, Any]] = [
    {
        "dealer": "a",
        "category": "A4a",
        "state": "unprocessed",
        "grade": "A",
        "tier": "DLR",
        "clock": "breached",
        "registered": "2026-10-03 10:00",
        "response": 30,
    },
    {
        "dealer": "a",
        "category": "A4a",
        "state": "in_progress",
        "grade": "B",
        "tier": "RBO",
        "clock": "due_soon",
        "registered": "2026-10-03 23:30",
        "response": 60,
        "repeat_number": 2,
    },
    {
        "dealer": "a",
        "category": "A4b",
        "state": "handled",
        "grade": "A",
        "tier": "RBO",
        "clock": "on_time",
        "registered": "2026-10-04 00:30",
        "response": 90,
        "handled": "2026-10-05 10:00",
        "root_cause": "培训不足",
    },
    {
        "dealer": "a",
        "category": "A4a",
        "state": "closed",
        "grade": "A",
        "tier": "DLR",
        "clock": "closed",
        "registered": "2026-10-05 09:00",
        "response": 120,
        "handled": "2026-10-05 11:00",
        "closed": "2026-10-06 09:00",
        "root_cause": "培训不足",
    },
    {
        "dealer": "b",
        "category": "A4c",
        "state": "pending",
        "grade": "C",
        "tier": "SALES_SE",
        "clock": "stopped",
        "registered": "2026-10-05 15:00",
        "response": 600,
        "root_cause": "库存不足",
        "escalated": True,
    },
    {
        "dealer": "c",
        "category": "A4a",
        "state": "in_progress",
        "grade": "A",
        "tier": "DLR",
        "clock": "breached",
        "registered": "2026-10-10 12:00",
        "response": 150,
        "late_hours": 1,
    },
    {
        "dealer": "a",
        "category": "A4a",
        "state": "closed",
        "grade": "A",
        "tier": "DLR",
        "clock": "closed",
        "registered": "2026-09-20 12:00",
        "response": 45,
    },
]


def _closure(spec: dict[str, Any], now: datetime) -> tuple[dict[str, Any], datetime | None]:
    """The closure clock's columns for the status the spec names, and the order's deadline."""
    hour = timedelta(hours=1)
    kind = spec["clock"]
    if kind == "breached":
        due = now - hour * spec.get("late_hours", 2)
        return {"running_since": now - 50 * hour, "due_at": due, "warn_at": due - hour}, due
    if kind == "due_soon":
        return {"running_since": now - 5 * hour, "due_at": now + hour, "warn_at": now - hour}, (
            now + hour
        )
    if kind == "on_time":
        due = now + 120 * hour
        return {"running_since": now - hour, "due_at": due, "warn_at": due - 24 * hour}, due
    if kind == "stopped":  # paused: no clock running
        return {"running_since": None, "due_at": None, "warn_at": None}, None
    return {"running_since": None, "stopped_at": now - hour, "used": 1000}, None


async def build(world: World) -> list[int]:
    """Registers the seven orders and sets them as the table says; their ids, o1 first."""
    now = world.clock.now
    ids = []
    for spec in ORDERS:
        order = await register(world, dealer=spec["dealer"], category=spec["category"])
        ids.append(key("WorkOrder", order["id"]))
    db = world.database.tenant(world.tenant_id)
    async with db.write() as session:
        for order_id, spec in zip(ids, ORDERS, strict=True):
            closure, deadline = _closure(spec, now)
            await session.execute(
                delete(WorkOrderClock).where(WorkOrderClock.work_order_id == order_id)
            )
            started = local(spec["registered"])
            base = {
                "tenant_id": world.tenant_id,
                "work_order_id": order_id,
                "target": 1,
                "unit": "business_minutes",
                "started_at": started,
            }
            session.add(
                WorkOrderClock(
                    **base,
                    name="response",
                    running_since=None,
                    used=spec["response"],
                    stopped_at=started + timedelta(hours=1),
                )
            )
            session.add(WorkOrderClock(**base, name="closure", **closure))
            values = {
                "state": spec["state"],
                "grade": spec["grade"],
                "tier": spec["tier"],
                "registered_at": started,
                "next_deadline_at": deadline,
                "handled_at": local(spec["handled"]) if "handled" in spec else None,
                "closed_at": local(spec["closed"]) if "closed" in spec else None,
                "root_cause": spec.get("root_cause"),
                "repeat_number": spec.get("repeat_number", 1),
                "escalated": spec.get("escalated", False),
            }
            await session.execute(
                update(WorkOrder)
                .where(WorkOrder.id == order_id)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
    await db.close()
    # Set by UPDATE statements, not through the ORM's flush: recounted as after a bulk load.
    await board.recount(world.database, world.tenant_id, fix=True)
    return ids
