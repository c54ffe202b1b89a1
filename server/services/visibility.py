"""What a caller may see of rows it already holds: the permission decisions behind fields that the
GraphQL layer shows or hides, asked here so that authorization stays in the services."""

from __future__ import annotations

from server.db.models import WorkOrder
from server.services.caller import Caller


def reads_orders_at(caller: Caller, org_path: str) -> bool:
    """Whether the caller may read the orders at `org_path`: an event of an order there is sent to
    its live streams only then (the subscriber sees what `workOrder(id)` would show it now)."""
    return caller.authz.check("workorder.read", org_path)


def sees_customer_details(caller: Caller, order: WorkOrder) -> bool:
    """Whether the customer of `order` is shown with phones and address unmasked: with
    customer.pii there, or to a handler named on the order who needs them to call the customer.
    A read the policy logs there (customer.pii.logged) is noted for the access log."""
    path = order.org_path
    shown = caller.authz.check("customer.pii", path) or (
        caller.user_id in (order.primary_handler_id, order.secondary_handler_id)
        and caller.authz.check("workorder.handle", path)
    )
    if shown and caller.authz.check("customer.pii.logged", path):
        caller.revealed.add((order.customer_id, order.id))
    return shown


def sees_customers_at(caller: Caller, org_path: str) -> tuple[bool, bool]:
    """Whether customers of orders at `org_path` are shown unmasked in bulk (an export), and
    whether each such read is logged: with customer.pii there only; a handler's own orders are no
    exception in a file of many."""
    shown = caller.authz.check("customer.pii", org_path)
    return shown, shown and caller.authz.check("customer.pii.logged", org_path)


def sees_customer_found(caller: Caller, customer_id: int) -> bool:
    """Whether a customer found by phone at intake is shown unmasked: customers belong to the
    whole tenant, so customer.pii at its root."""
    root = f"/{caller.tenant.slug}"
    shown = caller.authz.check("customer.pii", root)
    if shown and caller.authz.check("customer.pii.logged", root):
        caller.revealed.add((customer_id, None))
    return shown
