"""The only door for authorization: `Authz.check(permission, org_path)`.

Which roles a user holds at an org unit is the union of their grants on the unit and its
ancestors (Plone's local roles, acquired downward). Casbin answers the other half: whether a
role carries a permission in the tenant's policy (base policy plus the profile's changes, with
role inheritance as `g` lines). Asking Casbin per role keeps its cost flat however many org
units a tenant has (docs/architecture.md#casbin).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import casbin

from server.domain.errors import NotPermittedError
from server.domain.tree import covers, outermost
from server.profiles.catalogue import POLICIES, base_policy


@dataclass(frozen=True)
class Grant:
    role: str
    path: str


@dataclass(frozen=True)
class Principal:
    """Who is calling. Tenant users carry a tenant and grants; the platform admin carries
    neither."""

    user_id: int | None
    username: str
    tenant_id: int | None
    grants: tuple[Grant, ...] = ()


def known_roles() -> frozenset[str]:
    return frozenset(row[1] for row in base_policy()) | frozenset(
        row[2] for row in base_policy() if row[0] == "g"
    )


# The tenant roles from least to most. A grant is never a way up: who grants or revokes a role at a
# unit must hold one at least as high there (server/services/directory.py).
RANKS = (
    "operator",
    "advisor",
    "care_specialist",
    "cr_manager",
    "manager",
    "gm",
    "rbo",
    "se",
    "tenant_admin",
)


def known_permissions() -> frozenset[str]:
    return frozenset(row[3] for row in base_policy() if row[0] == "p")


class PolicyBook:
    """One tenant's role → permission policy, built once per policy version."""

    def __init__(
        self,
        domain: str,
        add: tuple[tuple[str, str], ...] = (),
        remove: tuple[tuple[str, str], ...] = (),
    ):
        self.domain = domain
        self._enforcer = casbin.Enforcer(str(POLICIES / "model.conf"))
        for row in base_policy():
            ptype, *values = row
            values = [domain if v == "*" else v for v in values]
            if ptype == "g":
                self._enforcer.add_grouping_policy(*values)
            else:
                self._enforcer.add_policy(*values)
        for role, permission in add:
            self._enforcer.add_policy(role, domain, permission)
        for role, permission in remove:
            self._enforcer.remove_policy(role, domain, permission)
        self._answers: dict[tuple[str, str], bool] = {}

    def allows(self, role: str, permission: str) -> bool:
        key = (role, permission)
        if key not in self._answers:
            self._answers[key] = bool(self._enforcer.enforce(role, self.domain, permission))
        return self._answers[key]


@dataclass
class Authz:
    principal: Principal
    book: PolicyBook
    _checked: dict[tuple[str, str], bool] = field(default_factory=dict)

    def check(self, permission: str, path: str) -> bool:
        key = (permission, path)
        if key not in self._checked:
            self._checked[key] = any(
                covers(g.path, path) and self.book.allows(g.role, permission)
                for g in self.principal.grants
            )
        return self._checked[key]

    def require(self, permission: str, path: str) -> None:
        if not self.check(permission, path):
            raise NotPermittedError(permission)

    def rank(self, path: str) -> int:
        """The rank (index in RANKS) of the highest role the caller holds at `path`; -1: none."""
        grants = self.principal.grants
        held = [RANKS.index(g.role) for g in grants if g.role in RANKS and covers(g.path, path)]
        return max(held, default=-1)

    def scopes(self, permission: str) -> list[str]:
        """The subtrees where the caller holds `permission`, for filtering lists in SQL."""
        return outermost(
            [g.path for g in self.principal.grants if self.book.allows(g.role, permission)]
        )
