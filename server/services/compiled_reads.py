"""Compiled reads: a root field of a persisted operation answered by one PostgreSQL statement that
builds the field's JSON (server/services/order_json.py), for schema/compiled.py.

The rows are chosen by the very conditions the interpreted path uses (server/services/queries.py:
the caller's scope, the filter, the cursor), so both read the same page; what the interpreted
path would refuse with a ValidationError (a page size out of range, an instant out of bounds) is
not answered here: the caller runs the interpreted path, which words the refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Select, TextClause, func, select, text

from server.db.models import WorkOrder
from server.domain.errors import InvalidInputError
from server.services import queries
from server.services.caller import Caller
from server.services.order_json import (
    Selected,
    UnsupportedError,
    cursor,
    customer_revealed,
    object_json,
)
from server.services.tenancy import TenantRuntime

ORDER_CURSOR = "order"  # schema/cursors.py's kind for the order list


@dataclass(frozen=True)
class Answer:
    data: str  # the operation's `data`, as JSON text
    revealed: list[tuple[int, int | None]]  # unmasked customer reads the policy logs


@dataclass(frozen=True, eq=False)
class OrderPage:
    """A compiled `workOrders` field: its JSON over the page's rows `t` (numbered `n`, newest
    first), and the (customer, order) pairs of the reads to log. Both are SQL text made once: made
    per request, SQLAlchemy would scan their ~10 kB for parameters every time."""

    data: TextClause
    revealed: TextClause

    async def run(
        self,
        caller: Caller,
        where: queries.OrderFilter,
        first: int,
        after: int | None,
    ) -> Answer | None:
        """The answer; None when the interpreted path must answer (it refuses the arguments)."""
        try:
            queries.check_page(first, where)
        except InvalidInputError:
            return None
        params = bound(caller) | {"first": first}
        async with caller.db.read() as session:
            # The session's ORM hook adds the tenant's condition to the page, as to the list's.
            page = await queries.order_page(session, caller, where, first, after)
            data, logged = (await session.execute(self.statement(page), params)).one()
        revealed = [(c, o) for c, o in orjson.loads(logged)] if logged else []
        return Answer(data, revealed)

    def statement(self, page: Select[Any]) -> Select[Any]:
        # Numbered in the page's own SELECT: a wrapping one would make SQLAlchemy collect the
        # page's 35 columns on every request (~1 ms of CPU).
        number = func.row_number().over(order_by=WorkOrder.id.desc()).label("n")
        return select(self.data, self.revealed).select_from(page.add_columns(number).subquery("t"))


def order_connection(key: str, selected: tuple[Selected, ...]) -> OrderPage:
    """The `workOrders` connection (WorkOrderConnection) as the document selects it."""
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'WorkOrderConnection'"
        elif s.field == "edges":
            value = _edges(s.below)
        elif s.field == "pageInfo":
            last = f"array_agg({cursor(ORDER_CURSOR, 't.id')} ORDER BY t.id)"
            value = page_info(s.below, f"({last} FILTER (WHERE t.n <= :first))[1]")
        else:
            raise UnsupportedError(f"WorkOrderConnection.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    node = [n for s in selected if s.field == "edges" for n in s.below if n.field == "node"]
    shows_customers = any(f.field == "customer" for n in node for f in n.below)
    revealed = (
        "json_agg(json_build_array(t.customer_id, t.id)) "
        f"FILTER (WHERE t.n <= :first AND {customer_revealed('t')})"
        if shows_customers
        else "NULL"
    )
    return OrderPage(
        data=text(f"json_build_object('{key}', json_build_object({', '.join(parts)}))::text"),
        revealed=text(f"{revealed}::text"),
    )


def _edges(selected: tuple[Selected, ...]) -> str:
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'WorkOrderEdge'"
        elif s.field == "cursor":
            value = cursor(ORDER_CURSOR, "t.id")
        elif s.field == "node":
            value = object_json("WorkOrder", "t", "t", s.below)
        else:
            raise UnsupportedError(f"WorkOrderEdge.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    edge = f"json_build_object({', '.join(parts)})"
    page = f"json_agg({edge} ORDER BY t.id DESC) FILTER (WHERE t.n <= :first)"
    return f"coalesce({page}, '[]'::json)"


def page_info(selected: tuple[Selected, ...], end: str) -> str:
    """PageInfo over the page's rows `t`, numbered `n`, of which the first :first are shown;
    `end` is the SQL of the last shown row's cursor."""
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'PageInfo'"
        elif s.field == "hasNextPage":
            value = "count(*) > :first"
        elif s.field == "endCursor":
            value = end
        else:
            raise UnsupportedError(f"PageInfo.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    return f"json_build_object({', '.join(parts)})"


def bound(caller: Caller) -> dict[str, Any]:
    """What the compiled SQL reads of the caller: who, when, and where their permissions hold."""
    scopes = caller.authz.scopes
    return {
        "tenant": caller.tenant.tenant_id,
        "me": caller.user_id,
        "now": caller.clock(),
        "labels": state_labels(caller.tenant),
        "read": scopes("workorder.read"),
        "pii": scopes("customer.pii"),
        "handle": scopes("workorder.handle"),
        "logged": scopes("customer.pii.logged"),
    }


_labels: dict[int, tuple[TenantRuntime, str]] = {}


def state_labels(tenant: TenantRuntime) -> str:
    """The state labels of each stored profile version, and ('') of the one in force, as JSON;
    made once per tenant runtime (a new runtime comes with a profile change)."""
    cached = _labels.get(tenant.tenant_id)
    if cached is not None and cached[0] is tenant:
        return cached[1]
    versions = {**tenant.versions, "": tenant.profile}
    labels = orjson.dumps(
        {
            version: {s.name: {"zh": s.label.zh, "en": s.label.en} for s in p.workflow.states}
            for version, p in versions.items()
        }
    ).decode()
    _labels[tenant.tenant_id] = (tenant, labels)
    return labels
