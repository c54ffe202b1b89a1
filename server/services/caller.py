"""Who is calling, in which tenant, with what rights: what every use case receives first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import bindparam, select

from server.db.models import RoleAssignment, Tenant, User
from server.db.session import Database, TenantDb
from server.domain import bounds
from server.profiles import Profile
from server.security.auth import Claims
from server.security.authz import Authz, Grant, Principal
from server.services.tenancy import TenantRuntime, cached_runtime, runtime


def utcnow() -> datetime:
    return datetime.now(UTC)


class UnknownPrincipalError(Exception):
    """The token is genuine but names no active user of its tenant: treated like a bad token."""


@dataclass
class Caller:
    principal: Principal
    tenant: TenantRuntime
    db: TenantDb
    authz: Authz
    clock: Callable[[], datetime] = field(default=utcnow)
    # (customer id, order id or None) shown unmasked where the policy logs it: appended to the
    # access log at the end of the request (server/services/customer_access.py)
    revealed: set[tuple[int, int | None]] = field(default_factory=set)

    @property
    def profile(self) -> Profile:
        return self.tenant.profile

    @property
    def user_id(self) -> int:
        assert self.principal.user_id is not None
        return self.principal.user_id


# One row per grant (one with no role when there is none): the user, the tenant's policy version
# and the grants in one round trip, with a statement built once for every request. A deactivated
# user or tenant finds no row: its tokens are refused from the next request on.
_PRINCIPAL = (
    select(
        User.id, User.username, Tenant.policy_version, RoleAssignment.role, RoleAssignment.org_path
    )
    .join(Tenant, Tenant.id == User.tenant_id)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(User.id == bindparam("user_id"), User.active, Tenant.active)
)


async def tenant_caller(
    database: Database, claims: Claims, clock: Callable[[], datetime] = utcnow
) -> Caller:
    """One indexed read per request: the user with its tenant's policy version and its grants."""
    assert claims.tenant_id is not None
    user_id = bounds.whole_number(claims.subject, bounds.INTEGER_MAX)
    if user_id is None:
        raise UnknownPrincipalError("subject is not a user id")
    db = database.tenant(claims.tenant_id)
    try:
        return await _load(database, db, claims, user_id, clock)
    except BaseException:
        await db.close()
        raise


async def _load(
    database: Database, db: TenantDb, claims: Claims, user_id: int, clock: Callable[[], datetime]
) -> Caller:
    assert claims.tenant_id is not None
    async with db.read() as session:
        rows = (await session.execute(_PRINCIPAL, {"user_id": user_id})).all()
    if not rows:
        raise UnknownPrincipalError("no such active user in this tenant")
    row = rows[0]
    tenant = cached_runtime(database, claims.tenant_id, row.policy_version)
    if tenant is None:
        # Hand the connection back before the cold load takes its own: holding one while waiting
        # for another lets a burst of first requests exhaust the pool. Warm, the request keeps it.
        await db.close()
        tenant = await runtime(database, claims.tenant_id, row.policy_version)
    principal = Principal(
        user_id=row.id,
        username=row.username,
        tenant_id=claims.tenant_id,
        grants=tuple(Grant(r.role, r.org_path) for r in rows if r.role is not None),
    )
    return Caller(principal, tenant, db, Authz(principal, tenant.book), clock)
