"""Which conditional deadlines hold for an order (docs/rules.md#conditional-deadlines): a clock
takes the other target its profile gives once a fact is recorded on the order or an event
happened to it, wherever its clocks are computed (started, retargeted after a regrade)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import OrderFact, WorkOrderEvent
from server.profiles import ClockRule, Profile
from server.profiles.rules import ConditionalDeadline

FACT = "fact"


async def holding(
    session: AsyncSession, profile: Profile, order_id: int, happened: Iterable[str] = ()
) -> dict[str, ConditionalDeadline]:
    """By clock, the conditional deadlines whose fact is recorded on the order or whose event is
    in its history or in `happened` (the event being applied now). Nothing is read when the
    profile has none."""
    conditional = profile.conditional_deadlines
    if not conditional:
        return {}
    facts: set[str] = set()
    if any(d.fact for d in conditional):
        recorded = select(OrderFact.code).where(
            OrderFact.work_order_id == order_id, OrderFact.kind == FACT
        )
        facts = set((await session.scalars(recorded)).all())
    events = set(happened)
    wanted = {d.event for d in conditional if d.event} - events
    if wanted:
        query = select(WorkOrderEvent.transition).where(
            WorkOrderEvent.work_order_id == order_id, WorkOrderEvent.transition.in_(wanted)
        )
        events |= {e for e in (await session.scalars(query)).all() if e is not None}
    return {d.clock: d for d in conditional if d.fact in facts or d.event in events}


def applied(
    rules: Mapping[str, ClockRule], holds: Mapping[str, ConditionalDeadline]
) -> dict[str, ClockRule]:
    """The order's clock rules, each with the target of the conditional deadline that holds."""
    return {
        name: replace(rule, target=holds[name].target, unit=holds[name].unit)
        if name in holds
        else rule
        for name, rule in rules.items()
    }
