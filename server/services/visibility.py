"""What a caller may see of rows it already holds: the permission decisions behind fields that the
GraphQL layer shows or hides, asked here so that authorization stays in the services."""

from __future__ import annotations

from server.services.caller import Caller


def reads_orders_at(caller: Caller, org_path: str) -> bool:
    """Whether the caller may read the orders at `org_path`: an event of an order there is sent to
    its live streams only then (the subscriber sees what `workOrder(id)` would show it now)."""
    return caller.authz.check("workorder.read", org_path)


def sees_customer_details(caller: Caller, org_path: str) -> bool:
    """Whether the customer of an order at `org_path` is shown with phones and address unmasked."""
    return caller.authz.check("customer.pii", org_path)
