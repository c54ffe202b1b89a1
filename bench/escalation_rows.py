"""Rows that escalate generated orders the way the product's services would: customers calling again
until an upgrade-warning rule fires (calls.record_call, slips.issue, with the slip's acknowledgement
clock), slips acknowledged and resulted (slips.acknowledge, slips.record_result), tier moves
(escalation.escalate) with the new tier assigning itself, and repeat complaints linked to an
earlier handled order (registration with repeats.find/link). Pure: no database here.

Every change appends history events after the order's last one, bumps the version as the service
would, and stays in the past. A tier move restarts no clock, as in the product.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bench.rows import COLUMNS as ORDER_COLUMNS
from server.db.models import WorkOrderClock
from server.domain import sla
from server.domain.calendar import BusinessCalendar
from server.domain.escalation import WarningRule, next_tier, route, triggered
from server.domain.workflow import Meaning
from server.profiles import Profile
from server.services.clocks import next_deadline, store, to_clock

COLUMNS = {
    "work_order_events": ORDER_COLUMNS["work_order_events"],
    "customer_calls": (
        "tenant_id",
        "work_order_id",
        "at",
        "channel",
        "words",
        "flags",
        "state",
        "meaning",
        "recorded_by_id",
    ),
    "warning_slips": (
        "tenant_id",
        "work_order_id",
        "trigger",
        "reason",
        "from_tier",
        "to_tier",
        "repeat_words",
        "state",
        "issued_at",
        "issued_by_id",
        "acknowledged_at",
        "acknowledged_by_id",
        "result",
        "result_handler_id",
        "result_at",
    ),
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
# The order columns an escalation may change; written back with one UPDATE ... FROM a temporary
# table.
ORDER_UPDATE = (
    "id",
    "customer_id",
    "vehicle_id",
    "category",
    "order_type",
    "grade",
    "tier",
    "version",
    "updated_at",
    "flags",
    "demands",
    "primary_handler_id",
    "secondary_handler_id",
    "next_deadline_at",
    "repeat_of_id",
    "repeat_number",
    "escalated",
)
OPEN_STATES = (
    "unprocessed",
    "in_progress",
    "pending",
)  # callers call again and tiers move while it is open
REASONS = (
    "经销商多次处理未果，客户要求上级介入",
    "客户对经销商处理方案不满意",
    "超出经销商处理权限，需区域协调",
    "涉及总部政策，需总部答复",
)
RESULTS = (
    "已与客户电话沟通并达成一致",
    "区域经理已约见客户，问题已协调解决",
    "已督促经销商兑现承诺，客户认可",
)
WORDS = {
    "W1": "客户再次来电催促，表示至今无人处理",
    "W2": "客户再次来电，对处理进度不满",
    "W3": "客户反映至今无人与其联系",
    "W4": "客户情绪激动，要求厂家立即答复",
    "W5": "来电者自称为媒体记者，要求说明情况",
    "W6": "总部指定直接处理的特殊个案",
}


@dataclass
class Order:
    """The columns of one order an escalation reads or writes; changed in place."""

    id: int
    number: str
    org_path: str
    customer_id: int
    vehicle_id: int | None
    category: str
    order_type: str
    grade: str | None
    tier: str
    state: str
    received_at: datetime
    updated_at: datetime
    version: int
    primary_handler_id: int | None
    secondary_handler_id: int | None
    flags: list[str]
    demands: list[str]
    next_deadline_at: datetime | None
    repeat_number: int = 1
    repeat_of_id: int | None = None
    escalated: bool = False


@dataclass(frozen=True)
class People:
    """Who acts at each level: the dealer's manager, the region's RBO, the brand's SE; the operator
    takes calls."""

    operator: int
    se: int
    rbos: dict[str, int]  # region path: user id
    managers: dict[str, int]  # dealer path: user id

    def at(self, level: str, dealer_path: str) -> int:
        if level == "dealer":
            return self.managers[dealer_path]
        if level == "region":
            return self.rbos[dealer_path.rsplit("/", 1)[0]]
        return self.se


@dataclass(frozen=True)
class Setting:
    tenant_id: int
    profile: Profile
    people: People
    calendar: Callable[[str], BusinessCalendar]  # for a dealer path
    now: datetime  # every row lies before this


@dataclass
class Batch:
    rows: dict[str, list[tuple[object, ...]]] = field(
        default_factory=lambda: {table: [] for table in COLUMNS}
    )
    orders: list[tuple[object, ...]] = field(default_factory=list)
    priors: list[int] = field(
        default_factory=list
    )  # repeated: a later complaint on the same issue followed
    registrations: list[tuple[int, str]] = field(
        default_factory=list
    )  # repeat order id: added to its registered event's data

    def add(self, table: str, values: dict[str, object]) -> None:
        self.rows[table].append(tuple(values.get(column) for column in COLUMNS[table]))

    def done(self, order: Order) -> None:
        values = vars(order) | {
            "flags": json.dumps(order.flags),
            "demands": json.dumps(order.demands),
        }
        self.orders.append(tuple(values[column] for column in ORDER_UPDATE))


@dataclass
class Story:
    """One order's escalation, told event by event with its clock rows."""

    setting: Setting
    batch: Batch
    rng: random.Random
    order: Order
    at: datetime
    clocks: list[WorkOrderClock] = field(default_factory=list)

    def later(self, low: float, high: float) -> datetime:
        """Minutes after the last step, always short of `now`: each step takes part of the time
        left."""
        room = (self.setting.now - self.at).total_seconds() / 60
        self.at += timedelta(
            minutes=min(self.rng.uniform(low, high), room * self.rng.uniform(0.05, 0.4))
        )
        return self.at

    def event(
        self,
        actor: int | None,
        kind: str,
        comment: str | None = None,
        data: object = None,
        bump: bool = True,
    ) -> None:
        if bump:
            self.order.version += 1
        self.order.updated_at = self.at
        row = {
            "tenant_id": self.setting.tenant_id,
            "work_order_id": self.order.id,
            "at": self.at,
            "actor_id": actor,
        }
        self.batch.add(
            "work_order_events",
            row | {"kind": kind, "comment": comment, "data": json.dumps(data or {})},
        )

    def level(self, tier: str) -> str:
        return self.setting.profile.tiers[tier].level

    def routing(self) -> tuple[str, ...]:
        return tuple(self.setting.profile.categories[self.order.category].routing)

    def finish(self) -> None:
        for row in self.clocks:
            values = {
                c: getattr(row, c)
                for c in COLUMNS["work_order_clocks"]
                if c not in ("tenant_id", "work_order_id")
            }
            self.batch.add(
                "work_order_clocks",
                values | {"tenant_id": self.setting.tenant_id, "work_order_id": self.order.id},
            )
        pending = next_deadline(self.clocks)
        if pending is not None:
            current = self.order.next_deadline_at
            self.order.next_deadline_at = pending if current is None else min(current, pending)
        self.order.escalated = True
        self.batch.done(self.order)


def open_order(setting: Setting, batch: Batch, rng: random.Random, order: Order) -> None:
    """Calls that raise a slip, a tier move, or both (the slip's department then takes the order
    up)."""
    story = Story(setting, batch, rng, order, order.updated_at)
    moves = next_tier(story.routing(), order.tier) is not None
    plot = rng.choices(("slip", "move", "both"), weights=(35, 45, 20))[0] if moves else "slip"
    if plot in ("slip", "both"):
        _calls_until_slip(story)
    if plot in ("move", "both"):
        _move_up(story, twice=rng.random() < 0.3)
    story.finish()


def repeats_within_table(profile: Profile, prior: Order) -> bool:
    """Past the routing table a repeat also gets a REPEAT slip at intake, whose event would have to
    sit between the order's generated ones; those pairs are left out."""
    return not route(
        profile.categories[prior.category].routing, prior.repeat_number + 1
    ).beyond_table


def repeat(setting: Setting, batch: Batch, prior: Order, order: Order) -> None:
    """`order` was registered within the repeat window after `prior` was handled: at intake it
    becomes the customer's second complaint on the issue, routed to the category's next handler. Its
    version stays: the link is made before the order is first written."""
    number = prior.repeat_number + 1
    routing = route(setting.profile.categories[prior.category].routing, number)
    order.customer_id, order.vehicle_id, order.repeat_of_id, order.repeat_number = (
        prior.customer_id,
        prior.vehicle_id,
        prior.id,
        number,
    )
    order.category, order.order_type, order.grade, order.tier = (
        prior.category,
        prior.order_type,
        prior.grade,
        routing.tier,
    )
    data = {"repeat_of": {"number": prior.number, "complaint": number, "tier": routing.tier}}
    batch.registrations.append((order.id, json.dumps(data)))
    batch.priors.append(prior.id)
    order.escalated = True
    batch.done(order)


def _calls_until_slip(story: Story) -> None:
    """The customer calls until one of the rules that can hold in this state fires; every rule that
    holds after a call gets its slip, as calls.evaluate issues them."""
    order, profile, rng = story.order, story.setting.profile, story.rng
    meaning = profile.workflow.state(order.state).meaning
    rule = rng.choice([r for r in profile.warning_rules if r.meaning in (None, meaning)])
    counts: dict[Meaning, int] = {}
    issued: set[str] = set()
    while rule.code not in issued:
        flags, demands, words = (
            sorted(rule.flags),
            sorted(rule.demands),
            WORDS.get(rule.code, "客户再次来电"),
        )
        story.later(30, 24 * 60)
        call = {
            "tenant_id": story.setting.tenant_id,
            "work_order_id": order.id,
            "at": story.at,
            "channel": rng.choice(tuple(profile.channels)),
        }
        story.batch.add(
            "customer_calls",
            call
            | {
                "words": words,
                "flags": json.dumps(flags),
                "state": order.state,
                "meaning": meaning.value,
                "recorded_by_id": story.setting.people.operator,
            },
        )
        order.flags = list(dict.fromkeys([*order.flags, *flags]))
        order.demands = list(dict.fromkeys([*order.demands, *demands]))
        counts[meaning] = counts.get(meaning, 0) + 1
        story.event(
            story.setting.people.operator,
            "customer_call",
            words,
            {"channel": call["channel"], "flags": flags, "demands": demands},
        )
        for fired in triggered(
            profile.warning_rules, meaning, counts, frozenset(order.flags), frozenset(order.demands)
        ):
            if fired.code not in issued:  # the call and its slips are one transaction: one version
                issued.add(fired.code)
                _slip(story, fired, words)


def _reason(rule: WarningRule) -> str:
    return f"{rule.label.zh} / {rule.label.en}"


def _slip(story: Story, rule: WarningRule, words: str) -> None:
    """Issued with its acknowledgement clock; then, unless it is one of the open ones, acknowledged
    by the tier it goes to and given a result."""
    setting, order, trigger, reason, by = (
        story.setting,
        story.order,
        rule.code,
        _reason(rule),
        story.setting.people.operator,
    )
    to_tier = next_tier(story.routing(), order.tier) or order.tier
    slip = {
        "tenant_id": setting.tenant_id,
        "work_order_id": order.id,
        "trigger": trigger,
        "reason": reason,
        "from_tier": order.tier,
        "to_tier": to_tier,
        "repeat_words": words,
        "state": "issued",
        "issued_at": story.at,
        "issued_by_id": by,
    }
    clock = _ack_clock(story, f"slip-{trigger}")
    story.event(by, "slip_issued", reason, {"trigger": trigger, "to_tier": to_tier}, bump=False)
    stage = story.rng.random()
    if stage > 0.2:  # a fifth stays open: the board's work
        handler = setting.people.at(story.level(to_tier), order.org_path)
        slip |= {
            "state": "acknowledged",
            "acknowledged_at": story.later(10, 300),
            "acknowledged_by_id": handler,
        }
        _stop(clock, story.at, setting.calendar(order.org_path))
        story.event(handler, "slip_acknowledged", data={"trigger": trigger})
        if stage > 0.55:
            result = story.rng.choice(RESULTS)
            slip |= {
                "state": "resulted",
                "result": result,
                "result_handler_id": handler,
                "result_at": story.later(60, 3 * 24 * 60),
            }
            story.event(handler, "slip_resulted", result, {"trigger": trigger})
    story.batch.add("warning_slips", slip)


def _ack_clock(story: Story, name: str) -> WorkOrderClock | None:
    target = story.setting.profile.slip_acknowledgement
    if target is None:
        return None
    calendar = story.setting.calendar(story.order.org_path)
    row = WorkOrderClock(name=name)
    store(
        row,
        sla.start(
            name,
            target.amount,
            sla.Unit(target.unit),
            story.at,
            calendar,
            story.setting.profile.warn_before_percent,
        ),
    )
    story.clocks.append(row)
    return row


def _stop(row: WorkOrderClock | None, at: datetime, calendar: BusinessCalendar) -> None:
    if row is not None:
        store(row, sla.stop(to_clock(row), at, calendar))


def _move_up(story: Story, twice: bool) -> None:
    """escalateWorkOrder from the current tier's level; the new tier takes the order unassigned and,
    more often than not, assigns itself (the RBO or SE as primary, the level above or the SE as
    deputy)."""
    order, people, rng = story.order, story.setting.people, story.rng
    for _ in range(2 if twice else 1):
        target = next_tier(story.routing(), order.tier)
        if target is None:
            return
        before = {
            "tier": order.tier,
            "primary": order.primary_handler_id,
            "secondary": order.secondary_handler_id,
        }
        actor = people.at(story.level(order.tier), order.org_path)
        story.later(60, 3 * 24 * 60)
        order.tier, order.primary_handler_id, order.secondary_handler_id = target, None, None
        story.event(actor, "escalated", rng.choice(REASONS), {"before": before, "tier": target})
        if rng.random() < 0.6:
            level = story.level(target)
            primary = people.at(level, order.org_path)
            secondary = people.se if level != "brand" else people.at("region", order.org_path)
            data = {
                "before": {"primary": None, "secondary": None},
                "primary": primary,
                "secondary": secondary,
            }
            story.later(10, 8 * 60)
            order.primary_handler_id, order.secondary_handler_id = primary, secondary
            story.event(primary, "assigned", data=data)
