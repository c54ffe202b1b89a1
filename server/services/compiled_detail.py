"""A compiled `workOrder(id)`: one PostgreSQL statement builds the order's JSON for every field it
can (server/services/order_json.py) and returns beside it the columns of the order that the
Computed fields read; Python then adds those, from the services the interpreted resolvers call.

The order is read under the conditions of the interpreted look-up (queries.get_order): the
tenant's, and workorder.read where it lies. No row (no such order, another tenant's, one outside
the caller's scope) is no answer here: the interpreted path words NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson
from sqlalchemy import TextClause, text

from server.db.models import WorkOrder
from server.services.caller import Caller
from server.services.compiled_reads import Answer, bound
from server.services.order_json import (
    Computed,
    Selected,
    computed_json,
    covered,
    customer_revealed,
    in_python,
    object_json,
)


@dataclass(frozen=True, eq=False)
class OrderDetail:
    """The statement (made once) and the fields Python adds to the JSON it returns."""

    key: str
    statement: TextClause
    computed: dict[Selected, Computed]

    async def run(self, caller: Caller, order_id: int) -> Answer | None:
        async with caller.db.read() as session:
            row = (await session.execute(self.statement, bound(caller) | {"id": order_id})).first()
        if row is None:
            return None
        order = orjson.loads(row.data)
        for s, c in self.computed.items():
            order[s.key] = computed_json(c, caller, row, s)
        revealed = [(row.customer_id, row.id)] if row.revealed else []
        return Answer(orjson.dumps({self.key: order}).decode(), revealed)


def order_detail(key: str, selected: tuple[Selected, ...]) -> OrderDetail:
    """The `workOrder` field (a WorkOrder; NotFound is left to the interpreted path)."""
    in_sql, computed = in_python("WorkOrder", selected)
    shows_customer = any(s.field == "customer" for s in in_sql)
    reads = sorted({"id", "customer_id", *(r for c in computed.values() for r in c.reads)})
    statement = text(
        f"SELECT {object_json('WorkOrder', 't', 't', in_sql)}::text AS data, "
        f"{customer_revealed('t') if shows_customer else 'false'} AS revealed, "
        f"{', '.join(f't.{column}' for column in reads)} "
        f"FROM {WorkOrder.__tablename__} t WHERE t.id = :id AND t.tenant_id = :tenant "
        f"AND {covered('t.org_path', 'read')}"
    )
    return OrderDetail(key, statement, computed)
