"""What the caller may do to an order now, so that a screen offers only that: the permissions the
use cases require, asked at the order's unit (each use case still checks on use)."""

from __future__ import annotations

from server.domain.workflow import Transition
from server.services.caller import Caller

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


def permitted_steps(caller: Caller, state: str, org_path: str) -> list[Transition]:
    """The workflow steps from `state` that the caller may take at `org_path`."""
    return [
        step
        for step in caller.profile.workflow.available(state)
        if caller.authz.check(step.permission, org_path)
    ]


def permitted_actions(caller: Caller, org_path: str) -> list[str]:
    """The other changes (ACTIONS) the caller may make to an order at `org_path`."""
    return [
        action for action, permission in ACTIONS.items() if caller.authz.check(permission, org_path)
    ]
