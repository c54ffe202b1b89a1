"""What the caller may do to an order now, so that a screen offers only that: the permissions the
use cases require, asked at the order's unit (each use case still checks on use)."""

from __future__ import annotations

from typing import Protocol

from server.domain.workflow import Transition
from server.services.caller import Caller
from server.services.tenancy import Placed, Staged

# action: the permission its use case requires (contacts, assignment, escalation, regrading,
# calls); the workflow's own steps carry theirs in workflow.yaml.
ACTIONS = {
    "contact": "workorder.contact",
    "assign": "workorder.assign",
    "escalate": "workorder.escalate",
    "return": "workorder.return",
    "regrade": "workorder.regrade",
    "call": "workorder.call",
}


class Order(Staged, Placed, Protocol):
    """An order, or its columns: its state, its unit and its profile version."""


def available_steps(caller: Caller, order: Staged) -> tuple[Transition, ...]:
    """The workflow steps from the order's state under its own profile version, whoever takes
    them."""
    return caller.tenant.profile_of(order).workflow.available(order.state)


def permitted_steps(caller: Caller, order: Order) -> list[Transition]:
    """The available_steps that the caller may take at the order's unit."""
    return [
        step
        for step in available_steps(caller, order)
        if caller.authz.check(step.permission, order.org_path)
    ]


def permitted_actions(caller: Caller, org_path: str) -> list[str]:
    """The other changes (ACTIONS) the caller may make to an order at `org_path`."""
    return [
        action for action, permission in ACTIONS.items() if caller.authz.check(permission, org_path)
    ]
