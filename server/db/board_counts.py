"""The board's maintained counts (table board_counts): every flush that inserts, changes or
deletes a work order adds its moves to the counts in the same transaction, so whichever use case
changes an order's state, grade, tier, category, dealer or running clock, the counts follow
(docs/architecture.md#board). The two use cases that change those columns by a Core UPDATE (the
deadline scan's breach actions, clocks given their deadline once a calendar year arrives) apply
their moves themselves (`key_of`, `move`, `apply`); a bulk load is recounted with
`grouped` and `rolled_up` (`complaintdesk board-counts --fix`)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import delete, func, inspect, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from server.db.models import BoardCount, WorkOrder

KEYS = ("org_path", "state", "grade", "tier", "category")
Key = tuple[int, str, str, str, str, str, bool]


def _key(tenant_id: int, values: dict[str, Any]) -> Key:
    return (
        tenant_id,
        values["org_path"],
        values["state"],
        values["grade"] or "",
        values["tier"],
        values["category"],
        values["next_deadline_at"] is not None,
    )


def key_of(order: Any, **changed: Any) -> Key:
    """The count an order (or a row with its columns) falls in, with `changed` values instead;
    for the changes made by a Core UPDATE, whose moves their use case applies itself."""
    values = {name: getattr(order, name) for name in (*KEYS, "next_deadline_at")}
    return _key(order.tenant_id, values | changed)


def move(counted: Counter[Key], before: Key, after: Key) -> None:
    if before != after:
        counted[before] -= 1
        counted[after] += 1


def _now(order: WorkOrder) -> dict[str, Any]:
    return {name: getattr(order, name) for name in (*KEYS, "next_deadline_at")}


def _before(order: WorkOrder) -> dict[str, Any] | None:
    """The counted values as they were loaded, or None when none of them changed."""
    attrs = inspect(order).attrs
    values, changed = {}, False
    for name in (*KEYS, "next_deadline_at"):
        history = attrs[name].history
        if history.has_changes():
            changed = True
            values[name] = history.deleted[0] if history.deleted else None
        else:
            values[name] = getattr(order, name)
    return values if changed else None


def moves(session: Session) -> Counter[Key]:
    """What the pending flush does to the counts."""
    out: Counter[Key] = Counter()
    for order in session.new:
        if isinstance(order, WorkOrder):
            out[_key(order.tenant_id, _now(order))] += 1
    for order in session.dirty:
        if isinstance(order, WorkOrder) and (before := _before(order)) is not None:
            after = _key(order.tenant_id, _now(order))
            if (old := _key(order.tenant_id, before)) != after:
                out[old] -= 1
                out[after] += 1
    for order in session.deleted:
        if isinstance(order, WorkOrder):
            out[_key(order.tenant_id, _now(order))] -= 1
    return out


def rolled_up(counted: Counter[Key]) -> Counter[Key]:
    """Each count at its order's org unit and at every unit above it, so a scope reads the rows of
    its own unit alone (the brand's board a few hundred rows, not every dealer's)."""
    out: Counter[Key] = Counter()
    for (tenant_id, path, state, grade, tier, category, running), n in counted.items():
        parts = path.split("/")
        for depth in range(2, len(parts) + 1):
            out[(tenant_id, "/".join(parts[:depth]), state, grade, tier, category, running)] += n
    return out


def apply(session: Session, counted: Counter[Key]) -> None:
    """Adds the moves at every level, each row once, in key order (two transactions lock rows
    alike)."""
    rows = [
        dict(zip(("tenant_id", *KEYS, "running"), key, strict=True), n=n)
        for key, n in sorted(rolled_up(counted).items())
        if n
    ]
    if not rows:
        return
    connection = session.connection()
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    table = BoardCount.__table__
    for row in rows:
        statement = dialect.insert(table).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=["tenant_id", *UNIQUE],
            set_={"n": table.c.n + statement.excluded.n},
        )
        connection.execute(statement)


UNIQUE = ("state", "org_path", "grade", "tier", "category", "running")


def grouped(tenant_id: int) -> Any:
    """The tenant's orders counted per order org unit and key, for `rolled_up`."""
    running = WorkOrder.next_deadline_at.is_not(None)
    dimensions = (
        WorkOrder.org_path,
        WorkOrder.state,
        func.coalesce(WorkOrder.grade, literal("")),
        WorkOrder.tier,
        WorkOrder.category,
        running,
    )
    return (
        select(*dimensions, func.count())
        .where(WorkOrder.tenant_id == tenant_id)
        .group_by(*dimensions)
    )


def clear(tenant_id: int) -> Any:
    table = BoardCount.__table__
    return delete(table).where(table.c.tenant_id == tenant_id)
