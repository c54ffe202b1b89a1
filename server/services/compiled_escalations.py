"""The compiled `escalations` field (schema/compiled.py): the escalations board's page as one
PostgreSQL statement that builds the field's JSON, as server/services/compiled_reads.py does for
the order list.

The rows are the interpreted list's own statement (escalation_board.escalation_page), so scope,
filter, sort and position are the same by construction; what it would refuse with a
ValidationError is not answered here (the interpreted path words the refusal).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, TextClause, func, select, text

from server.domain.errors import InvalidInputError
from server.services import escalation_board
from server.services.caller import Caller
from server.services.compiled_reads import Answer, bound, page_info
from server.services.escalation_board import EscalationFilter, EscalationPosition
from server.services.order_json import (
    FIELDS,
    Selected,
    UnsupportedError,
    cursor,
    object_json,
    value_json,
)

# Escalation.slips reads an order's slips as WorkOrder.warningSlips does (the same loader).
_SLIPS = FIELDS["WorkOrder"]["warningSlips"]


# schema/escalation_board._cursor by sort: BREACH's holds the deadline in whole microseconds since
# the epoch (schema/cursors.micros; extract's numeric is exact), '-' for none.
_MICROS = "(extract(epoch FROM t.next_deadline_at) * 1000000)::bigint::text"
_CURSORS = {
    "age": cursor("age", "t.id"),
    "breach": cursor("breach", f"coalesce({_MICROS}, '-') || '|' || t.id"),
}


@dataclass(frozen=True, eq=False)
class EscalationPage:
    """A compiled `escalations` field: its JSON over the page's rows `t`, numbered `n` in the
    sort's order, one text per sort (the cursors differ); made once."""

    data: dict[str, TextClause]  # by escalation_board's sort name

    async def run(
        self,
        caller: Caller,
        where: EscalationFilter,
        first: int,
        after: EscalationPosition | None,
    ) -> Answer | None:
        """The answer; None when the interpreted path must answer (it refuses the arguments)."""
        try:
            escalation_board.check_page(first, where)
        except InvalidInputError:
            return None
        async with caller.db.read() as session:
            # The session's ORM hook adds the tenant's condition to the page, as to the list's.
            page = await escalation_board.escalation_page(session, caller, where, first, after)
            data = await session.scalar(
                self.statement(page, where.sort), bound(caller) | {"first": first}
            )
        # No customer is selected (escalation_connection refuses it): no read to log.
        return Answer(data, [])

    def statement(self, page: Select[Any], sort: str) -> Select[Any]:
        order = escalation_board.escalation_order(sort)
        number = func.row_number().over(order_by=order).label("n")
        return select(self.data[sort]).select_from(page.add_columns(number).subquery("t"))


def escalation_connection(key: str, selected: tuple[Selected, ...]) -> EscalationPage:
    """The `escalations` connection (EscalationConnection) as the document selects it."""
    data = {}
    for sort, last in _CURSORS.items():
        parts = []
        for s in selected:
            if s.field == "__typename":
                value = "'EscalationConnection'"
            elif s.field == "nodes":
                value = _nodes(s.below)
            elif s.field == "pageInfo":
                end = f"(array_agg({last} ORDER BY t.n DESC) FILTER (WHERE t.n <= :first))[1]"
                value = page_info(s.below, end)
            else:
                raise UnsupportedError(f"EscalationConnection.{s.field} is not compiled")
            parts.append(f"'{s.key}', {value}")
        data[sort] = text(
            f"json_build_object('{key}', json_build_object({', '.join(parts)}))::text"
        )
    return EscalationPage(data)


def _nodes(selected: tuple[Selected, ...]) -> str:
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'Escalation'"
        elif s.field == "order":
            if any(f.field == "customer" for f in s.below):
                # Its unmasked reads would have to be logged (RecordCustomerAccess).
                raise UnsupportedError("Escalation.order.customer is not compiled")
            value = object_json("WorkOrder", "t", "t", s.below)
        elif s.field == "slips":
            value = value_json(_SLIPS, "t", s)
        else:
            raise UnsupportedError(f"Escalation.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    node = f"json_build_object({', '.join(parts)})"
    return f"coalesce(json_agg({node} ORDER BY t.n) FILTER (WHERE t.n <= :first), '[]'::json)"
