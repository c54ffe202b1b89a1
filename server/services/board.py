"""The board: how many open orders a scope holds, per state, and how many of them are running
late."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from server.domain.workflow import Label
from server.services import queries
from server.services.caller import Caller


@dataclass(frozen=True)
class Board:
    # Every open state of the workflow in force, in its order, zeros included; then any open
    # state only an earlier version has, while unmigrated orders are in it.
    by_state: dict[str, int]
    labels: dict[str, Label]  # each of those states' label
    due_soon: int
    breached: int
    at: datetime


async def board(caller: Caller, org_unit_id: int | None = None) -> Board:
    """The caller's whole scope, or the part of it at or below one org unit."""
    # An unmigrated order may sit in a state the version in force renamed.
    profiles = (caller.profile, *caller.tenant.versions.values())
    labels: dict[str, Label] = {}
    for profile in profiles:
        for state in profile.workflow.states:
            if not state.final:
                labels.setdefault(state.name, state.label)
    open_states = list(labels)
    scope = queries.OrderFilter(org_unit_id=org_unit_id, states=open_states)
    counts = await queries.count_by_state(caller, scope)
    due_soon = await queries.count_by_state(caller, replace(scope, due_soon=True))
    breached = await queries.count_by_state(caller, replace(scope, breached=True))
    current = {state.name for state in caller.profile.workflow.states}
    return Board(
        by_state={
            state: counts.get(state, 0)
            for state in open_states
            if state in current or counts.get(state)
        },
        labels=labels,
        due_soon=sum(due_soon.values()),
        breached=sum(breached.values()),
        at=caller.clock(),
    )
