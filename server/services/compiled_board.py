"""The compiled `board` field (schema/compiled.py): the Board's counters as one PostgreSQL statement
that builds their JSON.

The figures are read by the very statements the interpreted board runs (board_figures: the
maintained counts, the breached orders, the clocks in their warning window), here as subqueries
of one; the labels and the order of the states are the interpreted path's
(board_figures.open_state_labels). An org unit the caller cannot narrow the board to is not
answered here: the interpreted path answers NotFound.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Select, TextClause, func, select, text

from server.db.models import BoardCount
from server.domain.errors import NotFoundError
from server.services import board_figures, report_scope
from server.services.caller import Caller
from server.services.compiled_reads import Answer
from server.services.order_json import Selected, UnsupportedError, instant, object_json

# The states the board lists (`:states`), numbered in its order, with their count in the scope.
_STATES = (
    "SELECT e.v, e.i, coalesce((f.counted ->> (e.v ->> 'state'))::bigint, 0) AS n "
    "FROM json_array_elements(CAST(:states AS json)) WITH ORDINALITY AS e(v, i)"
)

# Board fields read from the figures' row `f`, and the request's instant.
_FIGURES = {
    "open": "(SELECT coalesce(sum(c.value::bigint), 0) FROM json_each_text(f.counted) AS c)",
    "dueSoon": "f.due_soon",
    "breached": "f.breached",
    "at": instant("CAST(:now AS timestamptz)"),
}


@dataclass(frozen=True, eq=False)
class BoardFigures:
    """A compiled `board` field: its JSON over one row `f` of the scope's figures. The JSON is SQL
    text made once; the figures' statements are made per request, as the interpreted path's."""

    data: TextClause

    async def run(self, caller: Caller, org_unit_id: int | None) -> Answer | None:
        """The answer; None when the interpreted path must answer (an org unit not in scope)."""
        try:
            path = report_scope.unit_path(caller, org_unit_id)
        except NotFoundError:
            return None
        now = caller.clock()  # one instant for the counts and `at`, as interpreted
        params = {"now": now, "states": _states(caller)}
        async with caller.db.read() as session:
            # The session's ORM hook adds the tenant's condition to each figure's statement.
            data = (await session.execute(self.statement(caller, path, now), params)).scalar_one()
        return Answer(data, [])

    def statement(self, caller: Caller, path: str | None, now: datetime) -> Select[Any]:
        by_state = (
            select(BoardCount.state, func.sum(BoardCount.n).label("n"))
            .where(*board_figures.counted(caller, path))
            .group_by(BoardCount.state)
            .subquery("s")
        )
        warned = board_figures.in_warning(caller, path, now).subquery("w")
        counted = select(func.json_object_agg(by_state.c.state, by_state.c.n))
        figures = select(
            counted.scalar_subquery().label("counted"),  # {state: n}, NULL when none
            board_figures.breached(caller, path, now).scalar_subquery().label("breached"),
            warned.c.every.label("due_soon"),
        )
        # Materialized: pulled up into the JSON's query, `counted` would be read once for each
        # field that names it.
        return select(self.data).select_from(figures.cte("f").prefix_with("MATERIALIZED"))


def board(key: str, selected: tuple[Selected, ...]) -> BoardFigures:
    """The `board` field's Board as the document selects it."""
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'Board'"
        elif s.field == "byState":
            value = _by_state(s.below)
        elif s.field in _FIGURES:
            value = _FIGURES[s.field]
        else:
            raise UnsupportedError(f"Board.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    return BoardFigures(
        data=text(f"json_build_object('{key}', json_build_object({', '.join(parts)}))::text")
    )


def _by_state(selected: tuple[Selected, ...]) -> str:
    parts = []
    for s in selected:
        if s.field == "__typename":
            value = "'StateCount'"
        elif s.field == "state":
            value = "t.v ->> 'state'"
        elif s.field == "label":
            value = object_json("Label", "(t.v -> 'label')", "t", s.below)
        elif s.field == "count":
            value = "t.n"
        else:
            raise UnsupportedError(f"StateCount.{s.field} is not compiled")
        parts.append(f"'{s.key}', {value}")
    # Board.byState: every open state of the version in force, zeros included; an earlier
    # version's only while orders are in it.
    listed = f"json_agg(json_build_object({', '.join(parts)}) ORDER BY t.i)"
    shown = "(t.v ->> 'current')::boolean OR t.n <> 0"
    return f"(SELECT coalesce({listed}, '[]'::json) FROM ({_STATES}) AS t WHERE {shown})"


def _states(caller: Caller) -> str:
    """The open states in the board's order, each with its label and whether the version in force
    has it, as JSON."""
    current = {state.name for state in caller.profile.workflow.states}
    return orjson.dumps(
        [
            {"state": name, "label": {"zh": label.zh, "en": label.en}, "current": name in current}
            for name, label in board_figures.open_state_labels(caller).items()
        ]
    ).decode()
