"""The board's maintained counts (tables board_counts and trend_hours): every flush that inserts,
changes or deletes a work order adds its moves to the counts in the same transaction, so whichever
use case changes an order's state, grade, tier, category, dealer, running clock, or its handled
or closed instant, the counts follow
(docs/architecture.md#board). The two use cases that change those columns by a Core UPDATE (the
deadline scan's breach actions, clocks given their deadline once a calendar year arrives) apply
their moves themselves (`key_of`, `move`, `apply`); a bulk load is recounted with
`grouped` and `rolled_up` (`complaintdesk board-counts --fix`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, inspect, literal, select
from sqlalchemy.orm import Session

from server.db import upsert
from server.db.models import BoardCount, TrendHour, WorkOrder

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


def _loaded(order: WorkOrder, history: Any, name: str) -> Any:
    """The value as it was loaded, before the pending change."""
    if not history.has_changes():
        return getattr(order, name)
    return history.deleted[0] if history.deleted else None


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
    statement = upsert.made_once(connection.dialect.name, "board counts", _add_counts)
    for row in rows:
        connection.execute(statement, row)


def _add_counts(insert: Callable[[Any], Any]) -> Any:
    table = BoardCount.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", *UNIQUE],
        set_={"n": table.c.n + statement.excluded.n},
    )


def _add_hours(insert: Callable[[Any], Any]) -> Any:
    table = TrendHour.__table__
    statement = insert(table)
    return statement.on_conflict_do_update(
        index_elements=["tenant_id", "org_path", "hour"],
        set_={m: table.c[m] + statement.excluded[m] for m in MOMENTS},
    )


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


MOMENTS = ("registered", "handled", "closed")
HourKey = tuple[int, str, datetime, str]  # tenant, org path, UTC hour, moment


def hour_of(at: datetime) -> datetime:
    return at.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def _moments(tenant_id: int, values: dict[str, Any]) -> list[HourKey]:
    return [
        (tenant_id, values["org_path"], hour_of(at), moment)
        for moment in MOMENTS
        if (at := values[f"{moment}_at"]) is not None
    ]


def hour_moves(session: Session) -> Counter[HourKey]:
    """What the pending flush does to the trend's hours: an order counts once per moment it has
    (registered, handled, closed), in the hour of that instant."""
    out: Counter[HourKey] = Counter()
    names = ("org_path", *(f"{m}_at" for m in MOMENTS))
    for order in session.new:
        if isinstance(order, WorkOrder):
            out.update(_moments(order.tenant_id, {n: getattr(order, n) for n in names}))
    for order in session.dirty:
        if not isinstance(order, WorkOrder):
            continue
        attrs = inspect(order).attrs
        if not any(attrs[n].history.has_changes() for n in names):
            continue
        before = {n: _loaded(order, attrs[n].history, n) for n in names}
        out.subtract(_moments(order.tenant_id, before))
        out.update(_moments(order.tenant_id, {n: getattr(order, n) for n in names}))
    for order in session.deleted:
        if isinstance(order, WorkOrder):
            out.subtract(_moments(order.tenant_id, {n: getattr(order, n) for n in names}))
    return out


def rolled_up_hours(counted: Counter[HourKey]) -> dict[tuple[int, str, datetime], dict[str, int]]:
    """Per tenant, unit (the order's and every one above it) and hour: each moment's count."""
    out: dict[tuple[int, str, datetime], dict[str, int]] = {}
    for (tenant_id, path, hour, moment), n in counted.items():
        if not n:
            continue
        parts = path.split("/")
        for depth in range(2, len(parts) + 1):
            row = out.setdefault(
                (tenant_id, "/".join(parts[:depth]), hour), dict.fromkeys(MOMENTS, 0)
            )
            row[moment] += n
    return out


def apply_hours(session: Session, counted: Counter[HourKey]) -> None:
    rows = sorted(rolled_up_hours(counted).items())
    if not rows:
        return
    connection = session.connection()
    statement = upsert.made_once(connection.dialect.name, "trend hours", _add_hours)
    for (tenant_id, path, hour), moments in rows:
        connection.execute(
            statement, {"tenant_id": tenant_id, "org_path": path, "hour": hour, **moments}
        )
