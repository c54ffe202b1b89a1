"""Profile versions: every profile a tenant has had is kept, and each order is run by the version
it was registered under until an admin migrates it (services/profile_migration.py).

A new version may not drop a state, grade or category that open orders still use unless it
carries a mapping of each such code to one of its own; the refusal names the orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import ProfileVersion, WorkOrder
from server.domain.errors import FieldProblem, InvalidInputError
from server.profiles import Profile, parse_profile

# What a mapping may rename, and the WorkOrder column each names.
KINDS = {"states": "state", "grades": "grade", "categories": "category"}
# Orders named in one refusal: enough to find them, bounded for a tenant with thousands.
NAMED = 50


@dataclass(frozen=True)
class Actor:
    """Who imports: a tenant admin (its user id and name) or the platform (id None)."""

    user_id: int | None
    name: str


PLATFORM = Actor(None, "platform")


async def store(
    session: AsyncSession,
    tenant_id: int,
    profile: Profile,
    *,
    mapping: Mapping[str, Mapping[str, str]],
    actor: Actor,
    at: datetime,
) -> ProfileVersion:
    """Add the profile as the tenant's next version, in the caller's platform transaction."""
    last = await session.scalar(
        select(func.max(ProfileVersion.number)).where(ProfileVersion.tenant_id == tenant_id)
    )
    row = ProfileVersion(
        tenant_id=tenant_id,
        number=(last or 0) + 1,
        name=profile.name,
        version=profile.version,
        documents=dict(profile.documents),
        mapping={kind: dict(codes) for kind, codes in mapping.items()},
        imported_at=at,
        imported_by_id=actor.user_id,
    )
    session.add(row)
    await session.flush()
    return row


async def load(session: AsyncSession, tenant_id: int) -> dict[str, Profile]:
    """Every stored version of the tenant, parsed, by version."""
    rows = await session.scalars(
        select(ProfileVersion)
        .where(ProfileVersion.tenant_id == tenant_id)
        .order_by(ProfileVersion.number)
    )
    return {row.version: parse_profile(row.documents) for row in rows}


async def taken(session: AsyncSession, tenant_id: int, version: str) -> ProfileVersion | None:
    return await session.scalar(
        select(ProfileVersion).where(
            ProfileVersion.tenant_id == tenant_id, ProfileVersion.version == version
        )
    )


def check_mapping(raw: Any, profile: Profile) -> dict[str, dict[str, str]]:
    """The mapping as {kind: {old: new}}, each new code one of `profile`'s; or every problem."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise InvalidInputError([FieldProblem(("mapping",), "send an object of kinds")])
    known = codes(profile)
    problems, mapping = [], {}
    for kind, codes_ in raw.items():
        if kind not in KINDS:
            allowed = ", ".join(KINDS)
            problems.append(FieldProblem(("mapping", str(kind)), f"unknown kind (use {allowed})"))
            continue
        if not isinstance(codes_, Mapping):
            problems.append(FieldProblem(("mapping", kind), "send an object of old: new codes"))
            continue
        for old, new in codes_.items():
            if not isinstance(new, str) or new not in known[kind]:
                message = f"'{new}' is not one of the new version's {kind}"
                problems.append(FieldProblem(("mapping", kind, str(old)), message))
        mapping[kind] = {str(old): str(new) for old, new in codes_.items()}
    if problems:
        raise InvalidInputError(problems)
    return mapping


def codes(profile: Profile) -> dict[str, set[str]]:
    return {
        "states": {state.name for state in profile.workflow.states},
        "grades": set(profile.grades),
        "categories": set(profile.categories),
    }


async def open_orders(
    session: AsyncSession, tenant_id: int, versions: Mapping[str, Profile], current: Profile
) -> list[WorkOrder]:
    """The tenant's orders not in a final state of their own version."""
    # Final in every version: no open order is in such a state, whatever its version.
    final = set.intersection(
        *({s.name for s in p.workflow.states if s.final} for p in (current, *versions.values()))
    )
    query = select(WorkOrder).where(
        WorkOrder.tenant_id == tenant_id, WorkOrder.state.not_in(sorted(final))
    )
    return [
        order
        for order in await session.scalars(query.order_by(WorkOrder.id))
        if not _final(versions.get(order.profile_version, current), order.state)
    ]


def _final(profile: Profile, state: str) -> bool:
    found = {s.name: s for s in profile.workflow.states}.get(state)
    return found is not None and found.final


def refuse_drops(
    orders: list[WorkOrder], profile: Profile, mapping: Mapping[str, Mapping[str, str]]
) -> None:
    """Refuse `profile` if it drops a code open orders use and has no mapping for it."""
    known = codes(profile)
    stranded: dict[tuple[str, str], list[str]] = {}
    for order in orders:
        for kind, column in KINDS.items():
            code = getattr(order, column)
            if code is None or code in known[kind] or code in mapping.get(kind, {}):
                continue
            stranded.setdefault((kind, code), []).append(order.number)
    problems = []
    for (kind, code), numbers in sorted(stranded.items()):
        named = ", ".join(numbers[:NAMED])
        more = f" and {len(numbers) - NAMED} more" if len(numbers) > NAMED else ""
        problems.append(
            FieldProblem(
                ("mapping", kind, code),
                f"the new version drops '{code}', which {len(numbers)} open orders use: "
                f"{named}{more}; map it to one of the new version's {kind}",
            )
        )
    if problems:
        raise InvalidInputError(problems)
