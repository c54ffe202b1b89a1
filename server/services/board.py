"""The board: how many open orders a scope holds, per state, and how many of them are running
late."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from server.services import queries
from server.services.caller import Caller


@dataclass(frozen=True)
class Board:
    by_state: dict[str, int]  # every open state of the workflow, in its order, zeros included
    due_soon: int
    breached: int
    at: datetime


async def board(caller: Caller, org_unit_id: int | None = None) -> Board:
    """The caller's whole scope, or the part of it at or below one org unit."""
    open_states = [s.name for s in caller.profile.workflow.states if not s.final]
    scope = queries.OrderFilter(org_unit_id=org_unit_id, states=open_states)
    counts = await queries.count_by_state(caller, scope)
    due_soon = await queries.count_by_state(caller, replace(scope, due_soon=True))
    breached = await queries.count_by_state(caller, replace(scope, breached=True))
    return Board(
        by_state={state: counts.get(state, 0) for state in open_states},
        due_soon=sum(due_soon.values()),
        breached=sum(breached.values()),
        at=caller.clock(),
    )
