"""Loading what a set of orders shows before graphql-core walks it.

A relation field answers at once when the request's loaders already hold its rows (`Loader.soon`);
otherwise it returns an awaitable, and graphql-core then gathers the page's fields with a task per
awaitable, which cost a 50-order worklist more than its SQL (bench/README.md, findings 2 and 9).
So whoever makes the WorkOrder objects of a page first loads, in one batch per kind, what the
query selects of them: the fields then all answer in place. What is not loaded here still
resolves, through the same loaders, only later.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField, Selection

from schema.context import Info

# WorkOrder field → the loader (of Loaders) that holds it and the order column that keys it.
_ORDER_RELATIONS: dict[str, tuple[str, str]] = {
    "dealer": ("org_unit_by_id", "org_unit_id"),
    "customer": ("customer_by_id", "customer_id"),
    "vehicle": ("vehicle_by_id", "vehicle_id"),
    "lastEvent": ("last_event_by_order", "id"),
    "history": ("history_by_order", "id"),
    "contactAttempts": ("contacts_by_order", "id"),
    "customerCalls": ("calls_by_order", "id"),
    "warningSlips": ("slips_by_order", "id"),
    "writtenReports": ("written_reports_by_order", "id"),
    "facts": ("facts_by_order", "id"),
    "clocks": ("clocks_by_order", "id"),
    "responseDueAt": ("clocks_by_order", "id"),
    "closureDueAt": ("clocks_by_order", "id"),
    "currentStepDueAt": ("clocks_by_order", "id"),
    "repeatOf": ("order_by_id", "repeat_of_id"),
}
# WorkOrder fields naming users by a column of the order.
_ORDER_USERS = {
    "registeredBy": "registered_by_id",
    "primaryHandler": "primary_handler_id",
    "secondaryHandler": "secondary_handler_id",
}
# Relations whose rows name users in turn: WorkOrder field → {user field of the row: its column}.
_ROW_USERS = {
    "lastEvent": {"actor": "actor_id"},
    "history": {"actor": "actor_id"},
    "contactAttempts": {"actor": "actor_id"},
    "warningSlips": {"issuedBy": "issued_by_id", "resultHandler": "result_handler_id"},
    "facts": {"recordedBy": "recorded_by_id"},
}


def selected(selections: Iterable[Selection], *path: str) -> dict[str, list[Selection]]:
    """The fields selected at `path` below `selections`, by name, with their own selections merged
    (fragments are looked through: they may only narrow a union, which the caller knows)."""
    found: dict[str, list[Selection]] = {}
    for selection in selections:
        if isinstance(selection, (InlineFragment, FragmentSpread)):
            for name, below in selected(selection.selections, *path).items():
                found.setdefault(name, []).extend(below)
        elif isinstance(selection, SelectedField):
            if not path:
                found.setdefault(selection.name, []).extend(selection.selections)
            elif selection.name == path[0]:
                for name, below in selected(selection.selections, *path[1:]).items():
                    found.setdefault(name, []).extend(below)
    return found


async def orders(info: Info, rows: Sequence[Any], *path: str) -> None:
    """Load, in one batch per kind, what the selection at `path` below the current field shows of
    the orders `rows`: first their relations, then every user they or those relations name."""
    fields = selected([s for field in info.selected_fields for s in field.selections], *path)
    if not rows or not fields:
        return
    loaders = info.context.loaders
    loaded = {}
    for name, (loader, column) in _ORDER_RELATIONS.items():
        if name in fields:
            loaded[name] = await getattr(loaders, loader).fill(
                k for k in (getattr(r, column) for r in rows) if k is not None
            )
    if "customer" in fields and "phones" in selected(fields["customer"]):
        await loaders.phones_by_customer.fill(r.customer_id for r in rows)

    # Users last, so that the handlers and the actors of the loaded rows come in one batch.
    users = {
        getattr(r, column) for name, column in _ORDER_USERS.items() if name in fields for r in rows
    }
    if "involvedStaff" in fields:
        users.update(u for r in rows for u in r.involved_staff)
    for name, columns in _ROW_USERS.items():
        if name in fields:
            wanted = selected(fields[name])
            users.update(
                getattr(row, column)
                for row in _rows(loaded[name])
                for field, column in columns.items()
                if field in wanted
            )
    users.discard(None)
    if users:
        await loaders.user_by_id.fill(users)


def _rows(values: list[Any]) -> Iterable[Any]:
    """The rows of a loader's answers: one row, none, or a list per key."""
    for value in values:
        if isinstance(value, list):
            yield from value
        elif value is not None:
            yield value
