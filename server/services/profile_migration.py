"""migrateOrders: move open orders registered under earlier profile versions to the version in
force, as its mapping says, their running clocks taking its deadlines. A dry run reports exactly
what applying would change: it is the same work, rolled back."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import DirectoryEvent, ProfileVersion, WorkOrder
from server.services import clocks, history, profile_versions
from server.services.caller import Caller


@dataclass(frozen=True)
class OrderMigration:
    order_id: int
    number: str
    from_version: str
    changes: list[str] = field(default_factory=list)  # "state a -> b", "response now 2 ..."


@dataclass(frozen=True)
class MigrationReport:
    to_version: str
    applied: bool
    orders: list[OrderMigration]


class _DryRun(Exception):
    """Rolls the dry run's transaction back, carrying its report out."""

    def __init__(self, report: MigrationReport):
        super().__init__("dry run")
        self.report = report


async def migrate_orders(caller: Caller, *, apply: bool) -> MigrationReport:
    """Needs tenant.profile at the brand root. Every open order on another version moves to the
    one in force; the history records each order's move and the migration as a whole."""
    caller.authz.require("tenant.profile", f"/{caller.tenant.slug}")
    tenant, target = caller.tenant, caller.profile
    try:
        async with caller.db.write() as session:
            mapping = (
                await session.scalar(
                    select(ProfileVersion.mapping).where(ProfileVersion.version == target.version)
                )
            ) or {}
            opened = await profile_versions.open_orders(
                session, tenant.tenant_id, tenant.versions, target
            )
            moving = [order for order in opened if order.profile_version != target.version]
            # Refused as the import was, had it not carried a mapping: nothing moves.
            profile_versions.refuse_drops(moving, target, mapping)
            now = caller.clock()
            report = MigrationReport(
                target.version, apply, [await _move(session, caller, o, mapping) for o in moving]
            )
            await history.record_all(
                session,
                [
                    history.Event(
                        order,
                        caller.user_id,
                        now,
                        "profile_migrated",
                        data={"from": moved.from_version, "to": target.version},
                    )
                    for order, moved in zip(moving, report.orders, strict=True)
                ],
            )
            session.add(
                DirectoryEvent(
                    at=now,
                    actor_id=caller.user_id,
                    actor=caller.principal.username,
                    kind="orders.migrated",
                    target=target.version,
                    data={"orders": [moved.number for moved in report.orders]},
                )
            )
            if not apply:
                raise _DryRun(report)
    except _DryRun as dry:
        return dry.report
    return report


async def _move(
    session: AsyncSession, caller: Caller, order: WorkOrder, mapping: dict[str, dict[str, str]]
) -> OrderMigration:
    moved = OrderMigration(order.id, order.number, order.profile_version)
    for kind, column in profile_versions.KINDS.items():
        before = getattr(order, column)
        after = mapping.get(kind, {}).get(before, before) if before is not None else None
        if after != before:
            setattr(order, column, after)
            moved.changes.append(f"{column} {before} -> {after}")
    order.profile_version = caller.profile.version
    moved.changes.extend(await clocks.retarget(session, caller.tenant, order))
    order.version += 1
    order.updated_at = caller.clock()
    return moved
