"""SLA clocks of generated orders, in COPY column order, made by the product's own code: the
profile's rules (`clocks.rules_for`), the deadline arithmetic (`sla.start/pause/stop`) with the
tenant's business calendar, and `clocks.store`/`clocks.next_deadline` for the row and the order's
next_deadline_at. So the rows are those the services would have written.

The generator spreads registrations over a year, and clocks started then would all have run out
long ago. A deadline scan needs open orders whose deadlines still lie ahead, so each order's
clocks start at a recent instant of their own, drawn so that no warning comes within `MARGIN`:
the scan benchmark decides which orders fall due (bench/due_set.py), and nothing else may. For
the same reason the response clock (120 business minutes, far shorter than the margin) has met:
first contact was made soon after the start. The closure clock runs (A: 3 working days, B: 7, C:
unlimited), is paused on pending orders and stopped on handled ones, as the workflow would leave it.
Consultations have no clocks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench import rows
from server.db.models import WorkOrder, WorkOrderClock
from server.domain import sla
from server.domain.calendar import BusinessCalendar
from server.domain.sla import Unit
from server.profiles import ClockRule
from server.services import clocks
from server.services.tenancy import TenantRuntime

# No generated warning falls within this much of the load: a benchmark run hours later still
# finds only the orders it made due itself.
MARGIN = timedelta(hours=12)
# Clock starts are drawn from the last OLDEST; halved until the first warning clears the margin.
OLDEST = timedelta(days=2)
TRIES = 8


@dataclass(frozen=True)
class Order:
    """What the clocks of one order depend on."""

    id: int
    org_path: str
    grade: str | None
    category: str
    channel: str
    state: str


@dataclass
class Clocks:
    """Makes the clock rows of a tenant's orders as of `now`; calendars cached by org path."""

    tenant: TenantRuntime
    now: datetime
    rng: random.Random
    _calendars: dict[str, BusinessCalendar] = field(default_factory=dict)
    _distinct: dict[BusinessCalendar, BusinessCalendar] = field(default_factory=dict)
    _rules: dict[tuple[str | None, str, str], dict[str, ClockRule]] = field(default_factory=dict)

    def calendar(self, path: str) -> BusinessCalendar:
        """Equal calendars are one object, so callers can key on it."""
        if path not in self._calendars:
            calendar = self.tenant.calendar(path)
            self._calendars[path] = self._distinct.setdefault(calendar, calendar)
        return self._calendars[path]

    def rules(self, order: Order) -> dict[str, ClockRule]:
        shape = (order.grade, order.category, order.channel)
        if shape not in self._rules:
            like = WorkOrder(grade=order.grade, category=order.category, channel=order.channel)
            self._rules[shape] = clocks.rules_for(self.tenant.profile, like)
        return self._rules[shape]

    def at(self, order: Order, started: datetime, contacted: bool = True) -> list[WorkOrderClock]:
        """The order's clocks as the services leave them when its clocks started at `started`."""
        profile = self.tenant.profile
        calendar = self.calendar(order.org_path)
        rows = []
        for name, rule in self.rules(order).items():
            if rule.starts_on != "registered":
                continue
            clock = sla.start(
                name, rule.target, Unit(rule.unit), started, calendar, profile.warn_before_percent
            )
            later = started + timedelta(minutes=self.rng.randint(5, 100))
            if name == "response" and contacted:
                clock = sla.stop(clock, later, calendar)
            elif name == "closure" and order.state == "pending":
                clock = sla.pause(clock, later, calendar)
            elif name == "closure" and order.state == "handled":
                clock = sla.stop(clock, later, calendar)
            row = WorkOrderClock(tenant_id=self.tenant.tenant_id, work_order_id=order.id, name=name)
            clocks.store(row, clock)
            rows.append(row)
        return rows

    def ahead(self, order: Order) -> list[WorkOrderClock]:
        """Clocks started recently, with every warning at least MARGIN after `now`."""
        age = OLDEST
        for _ in range(TRIES):
            made = self.at(order, self.now - age * self.rng.random())
            first = first_check(made)
            if first is None or first > self.now + MARGIN:
                return made
            age /= 2
        return self.at(order, self.now)


def add(batch: rows.Batch, made: Clocks) -> None:
    """The batch's clock rows, and each order's next_deadline_at (the last work_orders column)."""
    columns = rows.COLUMNS["work_orders"]
    at = {
        name: columns.index(name)
        for name in ("id", "org_path", "grade", "category", "channel", "state")
    }
    assert columns[-1] == "next_deadline_at"
    orders = batch.rows["work_orders"]
    for i, values in enumerate(orders):
        order = Order(**{name: values[k] for name, k in at.items()})  # type: ignore[arg-type]
        started = made.ahead(order)
        batch.rows["work_order_clocks"].extend(_record(row) for row in started)
        orders[i] = (*values[:-1], clocks.next_deadline(started))


def first_check(rows: list[WorkOrderClock]) -> datetime | None:
    """When the deadline scan first looks at any of these clocks."""
    return min((row.next_check_at for row in rows if row.next_check_at is not None), default=None)


def _record(row: WorkOrderClock) -> tuple[object, ...]:
    return tuple(getattr(row, column) for column in rows.COLUMNS["work_order_clocks"])
